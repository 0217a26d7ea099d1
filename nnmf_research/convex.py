"""Semi-NMF, convex NMF and kernel convex NMF (Ding, Li & Jordan, IEEE TPAMI 32(1):45–55, 2010).

X is p×n of any sign (columns are samples), k the number of factors (clusters):

semi_nmf           minimize ‖X − F Gᵀ‖²_F          subject to G ≥ 0           (F free)
convex_nmf         minimize ‖X − X W Gᵀ‖²_F        subject to W ≥ 0, G ≥ 0    (F = XW)
kernel_convex_nmf  minimize Tr K − 2Tr(GᵀKW) + Tr(WᵀKWGᵀG)  subject to W, G ≥ 0   (K PSD)

Each is a run of :func:`nnmf_research.drivers.block_coordinate.block_coordinate` over two
blocks; the block updates are the NumPy rules of :mod:`nnmf_research.kernels.convex`
(``method="mu"``, the paper's multiplicative rules, monotone by its Theorems 2 and 4) or the
compiled CVXPY models of :mod:`nnmf_research.models.convex` (``method="cvxpy"``, exact block
minimisation). The F-step of semi-NMF is always the closed form F = XG(GᵀG)⁻¹.

Initialization (``init="kmeans"``, the paper's §6 and its public codes): k-means labels
(scikit-learn ``KMeans(n_init=10, random_state=seed)``) give an indicator H (n×k),
G₀ = H + 0.2 and W₀ = G₀ D⁻¹ with D = diag(cluster sizes). ``init="random"``: uniform
[0, 1) + 0.2 entries from the seeded generator. Semi-NMF with G restricted to indicators is
k-means (F holds the centroids), so the k-means start is the paper's natural one.

Example
-------
>>> import numpy as np
>>> X = np.array([[1.0, 1.1, -1.0, -0.9], [2.0, 2.1, 0.5, 0.4]])
>>> fit = semi_nmf(X, 2, random_state=0)
>>> fit.labels[0] == fit.labels[1] != fit.labels[2] == fit.labels[3]
np.True_
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .checks import (NMFInputError, check_choice, check_nonnegative_real, check_positive_int,
                     check_random_state)
from .kernels.convex import (inner, kernel_loss, mu_G, mu_W_products, neg, pos, semi_F,
                             semi_loss)
from .drivers.block_coordinate import block_coordinate
from .kernels import EPS
from .results import ConvexFactorization
from .threads import blas_threads

__all__ = ["semi_nmf", "convex_nmf", "kernel_convex_nmf", "convex_init", "check_real_matrix",
           "check_kernel", "kmeans_labels", "CONVEX_METHODS"]

CONVEX_METHODS = ("mu", "cvxpy")


def check_real_matrix(X, name: str = "X") -> np.ndarray:
    """X as a finite 2-D float array of any sign, not constant; errors name the problem."""
    try:
        A = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise NMFInputError(f"{name} is not a numeric matrix: {exc}") from None
    if A.ndim != 2:
        raise NMFInputError(f"{name} must be a 2-D matrix, got a {A.ndim}-D array of shape {A.shape}")
    if A.size == 0:
        raise NMFInputError(f"{name} is empty (shape {A.shape})")
    finite = np.isfinite(A)
    if not finite.all():
        idx = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise NMFInputError(f"{name} entry {idx} is not finite: {A[idx]}")
    if np.all(A == A.flat[0]):
        raise NMFInputError(f"{name} is constant (every entry is {A.flat[0]:g}): nothing to factorize")
    return A


def check_kernel(K, name: str = "K", *, tol: float = 1e-10) -> np.ndarray:
    """K as a symmetric positive semidefinite n×n matrix, else a named error.

    Symmetric to relative 1e-12 of max|K|; PSD when its smallest eigenvalue is ≥ −tol·λ_max
    (the message states the smallest eigenvalue).
    """
    A = check_real_matrix(K, name)
    if A.shape[0] != A.shape[1]:
        raise NMFInputError(f"{name} must be square (a kernel matrix), got shape {A.shape}")
    scale = float(np.max(np.abs(A)))
    asym = float(np.max(np.abs(A - A.T)))
    if asym > 1e-12 * scale:
        idx = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(A - A.T)), A.shape))
        raise NMFInputError(f"{name} is not symmetric: |K - Kᵀ| = {asym:.3g} at entry {idx}")
    A = 0.5 * (A + A.T)
    lam = np.linalg.eigvalsh(A)
    if lam[0] < -tol * max(lam[-1], 0.0) or lam[-1] <= 0:
        raise NMFInputError(
            f"{name} is not positive semidefinite: smallest eigenvalue {lam[0]:.6g} "
            f"(largest {lam[-1]:.6g})")
    return A


def kmeans_labels(points: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Cluster of each row of ``points``: scikit-learn ``KMeans(n_clusters=k, n_init=10,
    random_state=seed)`` (Lloyd's algorithm from 10 k-means++ seedings, the best inertia
    kept) — the k-means of the paper's start, and of the comparisons against it."""
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit(points).labels_


def convex_init(X_or_K, k: int, *, init: str = "kmeans", random_state=None,
                kernel: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(G₀, W₀), both n×k: the k-means indicator + 0.2 and G₀D⁻¹ (module docstring), or random.

    With ``kernel=True`` the argument is K and k-means runs on the rows of L, K = LLᵀ (the
    kernel k-means embedding: squared distances between rows of L are those of φ(X)).
    """
    rng = check_random_state(random_state)
    init = check_choice(init, "init", ("kmeans", "random"))
    n = X_or_K.shape[1]
    if init == "random":
        G0 = rng.random((n, k)) + 0.2
        return G0, G0 / n
    if kernel:
        from .kernels.convex import gram_factor
        points = gram_factor(X_or_K).T
    else:
        points = X_or_K.T
    seed = int(rng.integers(2**31 - 1)) if not isinstance(random_state, int) else random_state
    labels = kmeans_labels(points, k, seed)
    H = np.zeros((n, k))
    H[np.arange(n), labels] = 1.0
    G0 = H + 0.2
    sizes = np.maximum(H.sum(axis=0), 1.0)
    return G0, G0 / sizes


def _check_common(n: int, k, method: str, max_iter, tol):
    k = check_positive_int(k, "k", low=1, high=n)
    method = check_choice(method, "method", CONVEX_METHODS)
    return k, method, check_positive_int(max_iter, "max_iter", low=0), check_nonnegative_real(tol, "tol")


def _start(G0, W0, shape, X, k, init, random_state, kernel):
    if G0 is None or W0 is None:
        Gi, Wi = convex_init(X, k, init=init, random_state=random_state, kernel=kernel)
        G0 = Gi if G0 is None else G0
        W0 = Wi if W0 is None else W0
    out = []
    for name, A in (("G0", G0), ("W0", W0)):
        A = np.asarray(A, dtype=float)
        if A.shape != shape:
            raise NMFInputError(f"{name} has shape {A.shape}, expected {shape}")
        if not np.all(np.isfinite(A)) or (A < 0).any():
            idx = tuple(int(i) for i in np.argwhere(~(np.isfinite(A) & (A >= 0)))[0])
            raise NMFInputError(f"{name} entry {idx} must be finite and >= 0: {A[idx]}")
        out.append(np.maximum(A, EPS))
    return out


def semi_nmf(X, k: int, *, method: str = "mu", init: str = "kmeans", random_state=None,
             G0=None, max_iter: int = 500, tol: float = 1e-6, time_limit=None,
             constraints: Callable | None = None, penalty: Callable | None = None,
             solver: str | None = None, progress=None,
             threads: int | None = None) -> ConvexFactorization:
    """Semi-NMF: minimize ‖X − F Gᵀ‖²_F subject to G ≥ 0, F free (Ding, Li & Jordan 2010, §3).

    X (p×n) may have any sign. Each sweep: F ← XG(GᵀG)⁻¹, then G by the paper's
    multiplicative rule (``method="mu"``) or by the exact NNLS model
    (``method="cvxpy"``, :func:`~nnmf_research.models.convex.g_model`, where
    ``constraints=`` / ``penalty=`` act on G). Returns a
    :class:`~nnmf_research.results.ConvexFactorization` with ``W = None``. ``threads``: BLAS
    threads for the whole fit, as in :func:`~nnmf_research.factorize.factorize` (None: the
    current default, 1 unless an enclosing :func:`~nnmf_research.threads.blas_threads` says
    otherwise).
    """
    with blas_threads(threads):
        return _semi_run(X, k, method, init, random_state, G0, max_iter, tol, time_limit,
                         constraints, penalty, solver, progress)


def _semi_run(X, k, method, init, random_state, G0, max_iter, tol, time_limit, constraints,
              penalty, solver, progress) -> ConvexFactorization:
    X = check_real_matrix(X)
    p, n = X.shape
    k, method, max_iter, tol = _check_common(n, k, method, max_iter, tol)
    G0, _ = _start(G0, np.ones((n, k)), (n, k), X, k, init, random_state, False)
    norm2 = float(np.vdot(X, X))
    if method == "mu":
        if constraints is not None or penalty is not None:
            raise NMFInputError("constraints= and penalty= need method='cvxpy'")
        g_update = lambda b: mu_G(X.T @ b[0], b[0].T @ b[0], b[1])  # noqa: E731
    else:
        from .models.convex import g_model  # late: cvxpy loads only when used

        model = g_model(n, k, constraints=constraints, penalty=penalty, solver=solver)
        g_update = lambda b: model(X.T @ b[0], b[0].T @ b[0], b[1])  # noqa: E731
    res = block_coordinate(
        (semi_F(X, G0), G0), (lambda b: semi_F(X, b[1]), g_update),
        lambda b: semi_loss(X, b[0], b[1]), max_iter=max_iter, tol=tol,
        time_limit=time_limit, progress=progress, loss_scale=norm2, loss_name="frobenius")
    F, G = res.blocks
    loss = semi_loss(X, F, G)
    return ConvexFactorization(F=F, G=G, W=None, loss=loss, model="semi", method=method,
                               n_iter=res.n_iter, stop_reason=res.stop_reason,
                               history=res.history, times=res.times,
                               relative_error=float(np.sqrt(loss / norm2)), seconds=res.seconds)


class _KernelProducts:
    """The products with K that a convex-NMF sweep needs, each formed once, the cheaper way.

    A sweep (G-step, W-step, loss) needs KW and WᵀKW for the current W (shared by the loss,
    the next G-step and the W-step: cached by the identity of W, since blocks are never
    modified) and K⁺G, K⁻G for the new G. Three ways, chosen by sign and shape:

    ``"x"``      X ≥ 0, K not formed: KW = Xᵀ(XW), WᵀKW = (XW)ᵀ(XW), KG = Xᵀ(XG) and the
                 W-step's denominator (KW)GᵀG from the cached KW: four products of X with
                 a thin matrix a sweep (4pnk flops; a Lee–Seung sweep costs 2pnk). G and W
                 are held column-major (Gᵀ, Wᵀ as C-ordered k×n arrays), so the products
                 are (XW)ᵀ = Wᵀ·Xᵀ (k×n by n×p) and (KW)ᵀ = (XW)ᵀ·X (k×p by p×n), the two
                 shapes of a Lee–Seung sweep (HXᵀ and WᵀX); X @ W with a C-ordered W
                 was measured about 1.6× slower on the digits (64 × 1797, k = 10) with
                 OpenBLAS on one thread.
    ``"k"``      K ≥ 0 formed once (pn² flops): KW = K W, KG = K G (2n²k a sweep).
    ``"split"``  K with negative entries (mixed-sign X, or a kernel): K⁺ and K⁻ formed once;
                 K⁺W, K⁻W give KW = K⁺W − K⁻W and the W-step's K±W, K⁺G, K⁻G the rest
                 (4n²k a sweep; K does not factor through X once split).

    For X ≥ 0, ``"k"`` is chosen when it costs fewer flops over ``max_iter`` sweeps:
    pn² + 2n²k·T < 4pnk·T (roughly n < 2p); the iterates agree with the paper's rules on K
    to rounding (tests/test_convex.py).
    """

    def __init__(self, X, K, k, max_iter, *, split=True):
        self.X, self._K, self._W, self._G, self._Xt = X, K, None, None, None
        self.trace_K = float(np.vdot(X, X)) if K is None else float(np.trace(K))
        if X is not None and not (X < 0).any():
            self.nonnegative = True
            p, n = X.shape
            T = max(max_iter, 1)
            self.mode = "k" if p * n * n + 2 * n * n * k * T < 4 * p * n * k * T else "x"
        else:
            self.nonnegative = not (self.kernel() < 0).any()
            self.mode = "split" if split and not self.nonnegative else "k"
        if self.mode == "k":
            self.kernel()
        elif self.mode == "split":
            self.Kp, self.Km = pos(self._K), neg(self._K)
        elif self.mode == "x":
            self._Xt = np.ascontiguousarray(X.T)

    def layout(self, block: np.ndarray) -> np.ndarray:
        """A starting block in the layout the products want: column-major through X, else
        as given (the same values)."""
        return np.asfortranarray(block) if self.mode == "x" else block

    def kernel(self) -> np.ndarray:
        """K (n×n), formed from X on first use."""
        if self._K is None:
            self._K = self.X.T @ self.X
        return self._K

    def _for(self, W) -> dict:
        if self._W is not W:
            self._W, self._cache = W, {}
            c = self._cache
            if self.mode == "x":
                XWt = W.T @ self._Xt                               # (XW)ᵀ, k×p
                c["KW"], c["WKW"] = (XWt @ self.X).T, XWt @ XWt.T  # column-major n×k
            elif self.mode == "k":
                c["KW"] = self._K @ W
                c["WKW"] = W.T @ c["KW"]
            else:
                c["KpW"], c["KmW"] = self.Kp @ W, self.Km @ W
                c["KW"] = c["KpW"] - c["KmW"]
                c["WKW"] = W.T @ c["KW"]
        return self._cache

    def kw(self, W) -> np.ndarray:
        return self._for(W)["KW"]

    def wkw(self, W) -> np.ndarray:
        return self._for(W)["WKW"]

    def gtg(self, G) -> np.ndarray:
        """GᵀG, once per G (the W-step and the loss after it share it)."""
        if self._G is not G:
            self._G, self._GtG = G, G.T @ G
        return self._GtG

    def loss(self, blocks) -> float:
        """‖X − XWGᵀ‖²_F = Tr K − 2⟨KW, G⟩ + ⟨WᵀKW, GᵀG⟩ from the cached products (accurate
        to about 1e-13·Tr K; the final loss is recomputed directly), clipped at 0."""
        G, W = blocks
        c = self._for(W)
        return max(self.trace_K - 2.0 * inner(c["KW"], G)
                   + inner(c["WKW"], self.gtg(G)), 0.0)

    def mu_g(self, blocks) -> np.ndarray:
        G, W = blocks
        c = self._for(W)
        return mu_G(c["KW"], c["WKW"], G, nonnegative=self.nonnegative)

    def mu_w(self, blocks) -> np.ndarray:
        G, W = blocks
        c, GtG = self._for(W), self.gtg(G)
        if self.mode == "x":
            return mu_W_products(W, ((G.T @ self._Xt) @ self.X).T, c["KW"], GtG)
        if self.mode == "k":
            return mu_W_products(W, self._K @ G, c["KW"], GtG)
        return mu_W_products(W, self.Kp @ G, c["KpW"], GtG, self.Km @ G, c["KmW"])


def _convex_run(K, X, k, model_name, method, init, random_state, G0, W0, max_iter, tol,
                time_limit, constraints_W, penalty_W, constraints_G, penalty_G, solver,
                progress) -> ConvexFactorization:
    """One convex-NMF run on K, or on X with K = XᵀX (``K=None``: formed only if needed).

    The products with K are formed once each, through X or with K by sign and shape
    (:class:`_KernelProducts`): on non-negative data an MU sweep costs four products of X
    with a thin matrix, or two of K when n is below about 2p; mixed-sign data form K⁺, K⁻.
    """
    n = (X if K is None else K).shape[1]
    k, method, max_iter, tol = _check_common(n, k, method, max_iter, tol)
    G0, W0 = _start(G0, W0, (n, k), K if X is None else X, k, init, random_state, X is None)
    if method == "mu":
        if any(h is not None for h in (constraints_W, penalty_W, constraints_G, penalty_G)):
            raise NMFInputError("constraints= and penalty= need method='cvxpy'")
        products = _KernelProducts(X, K, k, max_iter)
        g_update, w_update = products.mu_g, products.mu_w
    else:
        from .models.convex import g_model, w_model

        products = _KernelProducts(X, K, k, 0, split=False)   # KW and WᵀKW for the G-model
        gm = g_model(n, k, constraints=constraints_G, penalty=penalty_G, solver=solver)
        wm = w_model(products.kernel(), k, constraints=constraints_W, penalty=penalty_W,
                     solver=solver)
        g_update = lambda b: gm(products.kw(b[1]), products.wkw(b[1]), b[0])  # noqa: E731
        w_update = lambda b: wm(b[1], b[0])  # noqa: E731
    trace_K = products.trace_K
    # Blocks (G, W), G first as in the paper's algorithm and its public codes.
    res = block_coordinate(
        (products.layout(G0), products.layout(W0)), (g_update, w_update), products.loss,
        max_iter=max_iter, tol=tol, time_limit=time_limit, progress=progress,
        loss_scale=trace_K, loss_name="frobenius")
    G, W = (np.ascontiguousarray(B) for B in res.blocks)
    F = None if X is None else X @ W
    loss = kernel_loss(K, W, G, trace_K) if X is None else semi_loss(X, F, G)
    return ConvexFactorization(F=F, G=G, W=W, loss=loss, model=model_name, method=method,
                               n_iter=res.n_iter, stop_reason=res.stop_reason,
                               history=res.history, times=res.times,
                               relative_error=float(np.sqrt(loss / trace_K)), seconds=res.seconds)


def convex_nmf(X, k: int, *, method: str = "mu", init: str = "kmeans", random_state=None,
               G0=None, W0=None, max_iter: int = 500, tol: float = 1e-6, time_limit=None,
               constraints_W: Callable | None = None, penalty_W: Callable | None = None,
               constraints_G: Callable | None = None, penalty_G: Callable | None = None,
               solver: str | None = None, progress=None,
               threads: int | None = None) -> ConvexFactorization:
    """Convex NMF: minimize ‖X − X W Gᵀ‖²_F subject to W ≥ 0, G ≥ 0 (Ding, Li & Jordan 2010, §4).

    The basis F = XW holds non-negative combinations of data columns. X (p×n) may have any
    sign. Each sweep updates G then W, by the paper's multiplicative rules on K = XᵀX
    (``method="mu"``; each product with K formed once, through X or with K, whichever
    costs less: O(pnk) a sweep when X ≥ 0) or by the compiled CVXPY block models
    (``method="cvxpy"``; OSQP by
    default, see :mod:`nnmf_research.models.convex`). Returns a
    :class:`~nnmf_research.results.ConvexFactorization` with F = X @ W. ``threads`` as in
    :func:`semi_nmf`.
    """
    X = check_real_matrix(X)
    with blas_threads(threads):
        return _convex_run(None, X, k, "convex", method, init, random_state, G0, W0,
                           max_iter, tol, time_limit, constraints_W, penalty_W,
                           constraints_G, penalty_G, solver, progress)


def kernel_convex_nmf(K, k: int, *, method: str = "mu", init: str = "kmeans",
                      random_state=None, G0=None, W0=None, max_iter: int = 500,
                      tol: float = 1e-6, time_limit=None,
                      constraints_W: Callable | None = None, penalty_W: Callable | None = None,
                      constraints_G: Callable | None = None, penalty_G: Callable | None = None,
                      solver: str | None = None, progress=None,
                      threads: int | None = None) -> ConvexFactorization:
    """Kernel convex NMF: minimize ‖φ(X) − φ(X) W Gᵀ‖² = Tr K − 2Tr(GᵀKW) + Tr(WᵀKWGᵀG)
    subject to W ≥ 0, G ≥ 0, from the n×n kernel K = φ(X)ᵀφ(X) alone (Ding, Li & Jordan
    2010, §5). K must be symmetric PSD (else a named error stating its smallest eigenvalue).
    With K = XᵀX it is :func:`convex_nmf` (the same iterates from the same start); ``F`` is
    None in the result. The k-means start clusters the rows of L, K = LLᵀ. ``threads`` as
    in :func:`semi_nmf`.
    """
    K = check_kernel(K)
    with blas_threads(threads):
        return _convex_run(K, None, k, "kernel-convex", method, init, random_state, G0, W0,
                           max_iter, tol, time_limit, constraints_W, penalty_W,
                           constraints_G, penalty_G, solver, progress)
