"""ANLS: exact non-negative least squares for every column of H, all columns at once.

min_{H ≥ 0} ‖W H − X‖²_F splits into one problem per column, min_{h ≥ 0} ‖W h − x‖², i.e.
min ½hᵀGh − cᵀh with the driver's statistics G = WᵀW, c = Wᵀx (:mod:`nnmf_research.gram`).
That form squares the condition number (cond(G) = cond(W)²), so it is used only while
cond(W) ≤ ``NORMAL_EQUATIONS_MAX_COND`` (1e3); beyond, W = QR (thin QR) gives
‖Wh − x‖² = ‖Rh − Qᵀx‖² + const exactly, and every column is a k-variable problem on the
triangular factor R (cond(R) = cond(W)).

Block principal pivoting (Kim & Park, "Fast nonnegative matrix factorization: an active-set-like
method and comparisons", SIAM J. Sci. Comput. 33(6):3261–3281, 2011, Algorithm 2). For one
column, a passive set F ⊆ {1..k} gives the candidate h_F = argmin ‖R_F h_F − d‖ (h = 0 off F;
G_FF h_F = c_F in the Gram form) and the gradient y = Rᵀ(R h − d) = Gh − c (y_F = 0). The pair
is the NNLS solution exactly when it is complementary and feasible: h_F ≥ 0 and y_G ≥ 0 on
G = complement of F (the KKT conditions). Each round exchanges the infeasible indices
V = {i ∈ F : h_i < 0} ∪ {i ∈ G : y_i < 0} between F and G all at once while |V| keeps
decreasing, allows three rounds without decrease, and then falls back to exchanging only the
largest infeasible index (Murty's rule, finite). The passive sets start from the support of
the previous iterate (Kim & Park's warm start).

All columns of a round are solved together, in a few batched LAPACK calls (columns in one
call padded to one size by identity blocks, :func:`_principal_solves`); measured on the
benchmark's data, passive sets are nearly all distinct, so grouping equal sets would not pay.
In the Gram form a column solves the smaller of two systems: G_FF h_F = c_F (|F| unknowns)
or, through the Schur complement in G⁻¹, (G⁻¹)_BB μ = z_B on the active set B (|B| unknowns,
z = G⁻¹c, h = z − (G⁻¹)_{:,B} μ; :class:`_GramSystems`), the latter only while
cond(G) ≤ ``SCHUR_MAX_COND``² and kept only where the residual (Gh − c)_F certifies the
solution to ``SCHUR_RESIDUAL`` (else solved directly). When at most
``LAWSON_HANSON_COLUMNS`` columns are left infeasible, they are finished by Lawson–Hanson.

Block pivoting needs R of full column rank (then every problem is strictly convex and its
minimiser unique); with cond(R) above ``PIVOTING_MAX_COND`` the columns are solved by
Lawson–Hanson (``scipy.optimize.nnls``) instead, and so are any columns still infeasible after
``max_rounds`` rounds: the update is exact NNLS in every case.

Regularization (``l1``, ``l2``: min ½‖Wh − x‖² + l1·1ᵀh + ½ l2‖h‖², scikit-learn's scaled
penalty). In the Gram form the problem is the same with (WᵀW + l2 I, WᵀX − l1)
(:func:`~nnmf_research.kernels.base.regularized_stats`). In the QR form the ridge term is
exact in the least-squares form: ‖Wh − x‖² + l2‖h‖² = ‖[W; √l2 I] h − [x; 0]‖², so R is the
triangular factor of the stacked matrix (full rank for l2 > 0). The l1 term is linear:
‖Rh − d‖² + 2 l1 1ᵀh = ‖Rh − d'‖² + const with d' = d − l1 R⁻ᵀ1 (Rᵀd' = Rᵀd − l1·1), which
needs R non-singular; where it is not (cond(R) > ``PIVOTING_MAX_COND``, l2 = 0) the kernel
says so (``solvable``) and ``factorize`` solves that step as the QP of the CVXPY Frobenius
model with the penalty hook. A scipy.sparse X is read only through WᵀX or QᵀX (sparse-dense
products).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.optimize import nnls

from ..checks import NMFInputError
from .base import OneFactorKernel, _stats, regularized_stats

__all__ = ["ANLS", "nnls_block_pivoting", "nnls_gram", "NORMAL_EQUATIONS_MAX_COND",
           "PIVOTING_MAX_COND", "SCHUR_MAX_COND", "SCHUR_RESIDUAL", "LAWSON_HANSON_COLUMNS"]


NORMAL_EQUATIONS_MAX_COND = 1e3
"""Largest cond(R) at which the passive-set systems are solved through the Gram matrix
G = RᵀR = WᵀW (its condition number is cond(R)², so ≤ 1e6 here: solutions to ~1e-10
relative); above it, by the batched QR of the module docstring."""


PIVOTING_MAX_COND = 1e8
"""Largest cond(R) for block pivoting. Above it (W near rank deficient, as on Swimmer, where
cond ~ 1e17) the passive-set solutions lose too many digits for their signs to be trusted, and
every column is solved by Lawson–Hanson (``scipy.optimize.nnls``), which selects columns with
its own tolerance."""


SCHUR_MAX_COND = 1e2
"""Largest cond(R) (so cond(G) ≤ 1e4) at which a column with more passive than active
indices is solved through the Schur complement in G⁻¹, on its active set (module docstring);
each such solution is checked by its residual (``SCHUR_RESIDUAL``) and solved directly on
its passive set where the check fails."""


SCHUR_RESIDUAL = 1e-11
"""A Schur-complement solution h (h_G = 0) of the passive set F is kept when
‖(Gh − c)_F‖₂ ≤ SCHUR_RESIDUAL · λ_min(G) · ‖h‖₂. That bounds its error: the exact h* has
G_FF h*_F = c_F, so ‖h − h*‖₂ = ‖G_FF⁻¹(Gh − c)_F‖₂ ≤ ‖(Gh − c)_F‖₂ / λ_min(G_FF), and
λ_min(G_FF) ≥ λ_min(G) (Cauchy interlacing)."""


_CALL_COST = 40.0
"""Modelled cost in µs of one batched LAPACK call with its gathers, in the units of
:func:`_matrix_cost`; it only decides how systems of different sizes share a call."""


def _matrix_cost(s):
    """Modelled µs per s×s system inside one batched ``np.linalg.solve`` (measured with
    OpenBLAS on 1 thread: 0.06 µs at s = 1, 0.47 at 8, 1.9 at 16, 5 at 25)."""
    return s * (0.05 + 0.0004 * s * s)


def _size_classes(counts):
    """Batches for ``counts[s]`` systems of size s (s = 1..k), largest sizes first: the next
    smaller size joins the current batch (padded to its largest size P) when the padding
    costs less than a call of its own. Returns [(P, smallest size in the batch)]."""
    classes = []
    for s in range(len(counts) - 1, 0, -1):
        if not counts[s]:
            continue
        if classes and counts[s] * (_matrix_cost(classes[-1][0]) - _matrix_cost(s)) < _CALL_COST:
            classes[-1][1] = s
        else:
            classes.append([s, s])
    return classes


def _principal_solves(A, rhs, mask, sizes, which=None):
    """x with x_S = (A_w)_SS⁻¹ rhs_S on S = {i : mask[i, j]} and x = 0 off S, for every column
    j (``sizes`` = |S| per column), where w = which[j] picks a k×k matrix of the stack ``A``
    (t×k×k; ``which`` may be None when t = 1).

    The c systems go to a few batched ``np.linalg.solve`` calls: columns are sorted by |S| and
    a column in a batch of size P > |S| solves [(A_w)_SS 0; 0 I] x = [rhs_S; 0], whose extra
    unknowns are 0 exactly (partial pivoting never mixes the two diagonal blocks), so the
    solution does not depend on the batching."""
    t, k, _ = A.shape
    c = mask.shape[1]
    out = np.zeros((2 * k, c))
    counts = np.bincount(sizes, minlength=k + 1)
    classes = _size_classes(counts)
    if not classes:
        return out[:k]
    A_ext = np.zeros((t, 2 * k, 2 * k))
    A_ext[:, :k, :k] = A
    A_ext[:, np.arange(k, 2 * k), np.arange(k, 2 * k)] = 1.0
    A_ext = A_ext.ravel()                       # gathered by flat index: one np.take
    rhs_ext = np.concatenate([rhs, np.zeros((k, c))])
    # idx[j, s]: the s-th member of S_j (ascending), or the padding unknown k + s past |S_j|
    idx = np.tile(np.arange(k, 2 * k), (c, 1))
    col, member = np.nonzero(mask.T)
    idx[col, np.arange(col.size) - (np.cumsum(sizes) - sizes)[col]] = member
    order = np.argsort(sizes.astype(np.uint8 if k < 256 else np.intp), kind="stable")  # radix
    starts = np.concatenate([[0], np.cumsum(counts)])
    for P, low in classes:
        sel = order[starts[low]:starts[P + 1]]
        I = idx[sel, :P]
        rows = I * (2 * k)
        if t > 1:
            rows += (which[sel] * (4 * k * k))[:, None]
        M = np.take(A_ext, rows[:, :, None] + I[:, None, :])
        out[I, sel[:, None]] = np.linalg.solve(M, rhs_ext[I, sel[:, None]][:, :, None])[:, :, 0]
    return out[:k]


class _GramSystems:
    """The passive-set solutions of min_{h ≥ 0} ½hᵀGh − cᵀh for the columns c of C, with what
    every round shares: G, C and, when cond(G) ≤ SCHUR_MAX_COND², G⁻¹ and Z = G⁻¹C (from the
    eigendecomposition G = V diag(λ) Vᵀ).

    For a passive set F (active set B, h_B = 0) the solution has G_FF h_F = c_F. Directly that
    is an |F|×|F| system. Through G⁻¹ it is a |B|×|B| one: Gh − c vanishes off B, so
    h = z − (G⁻¹)_{:,B} μ with z = G⁻¹c, and h_B = 0 gives (G⁻¹)_BB μ = z_B (and the gradient
    Gh − c = −μ on B); this is the Schur-complement identity (G_FF)⁻¹ = (G⁻¹)_FF −
    (G⁻¹)_FB ((G⁻¹)_BB)⁻¹ (G⁻¹)_BF. Each column takes the smaller system; Schur solutions are
    kept only where their residual certifies them (``SCHUR_RESIDUAL``), the others are solved
    directly."""

    def __init__(self, G, C, lam, V):
        self.G, self.C = G, C
        self.residual2 = (SCHUR_RESIDUAL * lam[0]) ** 2
        self.schur_solved = self.schur_rejected = 0   # columns, over all rounds
        self.inv = None
        if lam[-1] <= SCHUR_MAX_COND**2 * lam[0]:
            inv = (V / lam) @ V.T
            self.inv = 0.5 * (inv + inv.T)
            self.Z = self.inv @ C
            self.stack = np.stack([G, self.inv])

    def __call__(self, F, cols, H, Y):
        G, k = self.G, self.G.shape[0]
        full = cols.size == F.shape[1]          # then cols = 0..n-1
        passive = F if full else F[:, cols]
        C = self.C if full else self.C[:, cols]
        size = passive.sum(axis=0)
        use = None if self.inv is None else 2 * size > k    # more passive than active
        if use is None or not use.any():
            h = _principal_solves(G[None], C, passive, size)
            use = None
        else:
            Z = self.Z if full else self.Z[:, cols]
            if use.all():
                h = Z - self.inv @ _principal_solves(self.inv[None], Z, ~passive, k - size)
            else:
                x = _principal_solves(self.stack, C + use * (Z - C), passive ^ use,
                                      size + use * (k - 2 * size), use.astype(np.intp))
                h = x + use * (Z - self.inv @ x - x)
            h *= passive
        y = G @ h
        y -= C
        if use is not None:                     # certify the Schur solutions (SCHUR_RESIDUAL)
            r = y * passive
            bad = np.einsum("ij,ij->j", r, r) > self.residual2 * np.einsum("ij,ij->j", h, h)
            bad &= use
            self.schur_solved += int(use.sum())
            if bad.any():
                b = np.flatnonzero(bad)
                self.schur_rejected += b.size
                h[:, b] = _principal_solves(G[None], C[:, b], passive[:, b], size[b])
                y[:, b] = G @ h[:, b] - C[:, b]
        y *= ~passive
        if full:
            H[...] = h
            Y[...] = y
        else:
            H[:, cols] = h
            Y[:, cols] = y


def _qr_systems(R, D):
    """The passive-set solutions for an R too ill-conditioned for the Gram matrix: h_F =
    argmin ‖R_F h_F − d‖, h_G = 0, and y = Rᵀ(R h − d) (y_F = 0), by one batched QR: column j
    solves the least-squares problem [R·diag(F_j); diag(G_j)] h = [d_j; 0], whose solution is
    h_G = 0 and h_F as above (the identity rows pin the G entries without squaring any
    condition number; cond(R_F) ≤ cond(R), which the caller bounds)."""
    k = R.shape[1]

    def solve(F, cols, H, Y):
        passive = F[:, cols].T                                       # c × k
        A = np.concatenate([R[None, :, :] * passive[:, None, :],
                            np.eye(k)[None, :, :] * ~passive[:, None, :]], axis=1)
        rhs = np.concatenate([D[:, cols].T, np.zeros((cols.size, k))], axis=1)[:, :, None]
        Qb, Rb = np.linalg.qr(A)
        h = np.linalg.solve(Rb, np.swapaxes(Qb, 1, 2) @ rhs)[:, :, 0].T
        h[~passive.T] = 0.0
        H[:, cols] = h
        y = R.T @ (R @ h - D[:, cols])
        y[passive.T] = 0.0
        Y[:, cols] = y

    return solve


LAWSON_HANSON_COLUMNS = 16
"""A round of block pivoting with at most this many infeasible columns left leaves them to
Lawson–Hanson instead (one ~15 µs ``scipy.optimize.nnls`` call each, against ~0.3 ms of
batched work for a round, whatever its size)."""


def _block_pivoting(solve, C, passive, max_rounds):
    """Kim & Park's block principal pivoting (module docstring) for the columns of C (k×n, the
    negative gradient at h = 0) with ``solve(F, cols, H, Y)`` the passive-set solutions and
    their gradients. Returns H and the columns still infeasible after ``max_rounds`` rounds or
    when at most ``LAWSON_HANSON_COLUMNS`` are, for the caller to finish by Lawson–Hanson."""
    k, n = C.shape
    if max_rounds is None:
        max_rounds = 5 * k + 10
    H = np.zeros((k, n))
    if passive is None or not passive.any():
        F = np.zeros((k, n), dtype=bool)        # passive sets, one column per problem
        Y = -C                                  # the gradient at h = 0
    else:
        F = np.array(passive, dtype=bool)
        Y = np.empty((k, n))
        solve(F, np.arange(n), H, Y)
    alpha = np.full(n, 3)
    beta = np.full(n, k + 1)
    todo = np.arange(n)
    for _ in range(max_rounds):
        if todo.size == n:
            infeasible = np.where(F, H < 0, Y < 0)
        else:
            infeasible = np.where(F[:, todo], H[:, todo] < 0, Y[:, todo] < 0)
        count = infeasible.sum(axis=0)
        active = count > 0
        todo, infeasible, count = todo[active], infeasible[:, active], count[active]
        if todo.size <= LAWSON_HANSON_COLUMNS:
            return H, todo
        fewer = count < beta[todo]
        beta[todo[fewer]] = count[fewer]
        alpha[todo[fewer]] = 3
        patient = ~fewer & (alpha[todo] >= 1)
        alpha[todo[patient]] -= 1
        backup = ~fewer & ~patient              # Murty's rule: only the largest index
        if backup.any():
            cols = np.flatnonzero(backup)
            last = k - 1 - np.argmax(infeasible[::-1, cols], axis=0)
            single = np.zeros((k, cols.size), dtype=bool)
            single[last, np.arange(cols.size)] = True
            infeasible[:, cols] = single
        F[:, todo] ^= infeasible
        solve(F, todo, H, Y)
    infeasible = np.where(F[:, todo], H[:, todo] < 0, Y[:, todo] < 0)
    return H, todo[infeasible.any(axis=0)]


def nnls_block_pivoting(R: np.ndarray, D: np.ndarray, passive: np.ndarray | None = None,
                        max_rounds: int | None = None) -> np.ndarray:
    """argmin_{H ≥ 0} ‖R H − D‖²_F column by column, by block principal pivoting (module
    docstring). R is p×k, D is p×n; returns the k×n minimiser (entries ≥ 0 exactly).

    ``passive`` (k×n bool) is the starting guess of the passive sets, e.g. the support of the
    previous iterate in ANLS (Kim & Park's warm start); the minimiser does not depend on it
    when R has full column rank (then it is unique), only the number of rounds does."""
    k, n = R.shape[1], D.shape[1]
    sv = np.linalg.svd(R, compute_uv=False)
    cond = sv[0] / sv[-1] if sv.size == k and sv[-1] > 0 else np.inf
    if not cond <= PIVOTING_MAX_COND:           # (near) rank deficient: Lawson–Hanson
        return (np.column_stack([nnls(R, D[:, j])[0] for j in range(n)]) if n
                else np.zeros((k, n)))
    C = R.T @ D
    if cond <= NORMAL_EQUATIONS_MAX_COND:
        G = R.T @ R
        solve = _GramSystems(G, C, *np.linalg.eigh(G))
    else:
        solve = _qr_systems(R, D)
    H, unfinished = _block_pivoting(solve, C, passive, max_rounds)
    for j in unfinished:
        H[:, j] = nnls(R, D[:, j])[0]
    np.maximum(H, 0.0, out=H)                   # -0.0 and nothing else: h_F >= 0 at the end
    return H


def nnls_gram(G: np.ndarray, C: np.ndarray, passive: np.ndarray | None = None,
              max_rounds: int | None = None) -> np.ndarray | None:
    """argmin_{H ≥ 0} ½⟨H, GH⟩ − ⟨C, H⟩ column by column (for G = WᵀW, C = WᵀX: the NNLS
    problems min ‖WH − X‖²_F), by block principal pivoting on the Gram matrix, or None when
    cond(G) > NORMAL_EQUATIONS_MAX_COND² (then use :func:`nnls_block_pivoting` on qr(W).R,
    whose conditioning is the square root of G's). ``passive`` as there."""
    lam, V = np.linalg.eigh(G)
    if not (lam[0] > 0 and lam[-1] <= NORMAL_EQUATIONS_MAX_COND**2 * lam[0]):
        return None
    H, unfinished = _block_pivoting(_GramSystems(G, C, lam, V), C, passive, max_rounds)
    if unfinished.size:                         # Lawson–Hanson on R = chol(G)ᵀ, d = R⁻ᵀc
        R = np.linalg.cholesky(G).T
        D = np.linalg.solve(R.T, C[:, unfinished])
        for i, j in enumerate(unfinished):
            H[:, j] = nnls(R, D[:, i])[0]
    np.maximum(H, 0.0, out=H)
    return H


@dataclass(frozen=True)
class ANLS(OneFactorKernel):
    """Exact NNLS for every column of H (alternating non-negative least squares), by block
    principal pivoting on the Gram statistics (WᵀX, WᵀW) the driver passes, or on the
    triangular factor of W where W is too ill-conditioned for them (module docstring)."""

    loss: ClassVar[str] = "frobenius"
    sparse: ClassVar[bool] = True
    eps: float = 0.0
    l1: float = 0.0
    l2: float = 0.0

    def _factor(self, W):
        m, k = W.shape
        A = np.vstack([W, np.sqrt(self.l2) * np.eye(k)]) if self.l2 else W
        Q, R = np.linalg.qr(A)
        return Q[:m], R

    def solvable(self, W) -> bool:
        """Whether this kernel solves the step for W exactly (module docstring): always,
        unless l1 > 0 and the (stacked) triangular factor is near singular."""
        if not self.l1:
            return True
        sv = np.linalg.svd(self._factor(W)[1], compute_uv=False)
        return sv.size == W.shape[1] and sv[-1] > 0 and sv[0] / sv[-1] <= PIVOTING_MAX_COND

    def __call__(self, X, W, H, stats=None):
        passive = np.asarray(H) > 0
        # The Gram statistics (WᵀX, WᵀW), shared with the driver, where cond(W) allows:
        # cond(WᵀW) = cond(W)², which NORMAL_EQUATIONS_MAX_COND bounds by 1e6.
        cross, gram = regularized_stats(_stats(X, W, stats), self.l1, self.l2)
        H_new = nnls_gram(gram, np.asarray(cross), passive=passive)
        if H_new is not None:
            return H_new
        # Else QR: with W = QR, ‖Wh − x‖² = ‖Rh − Qᵀx‖² + const exactly, and cond(R) =
        # cond(W). On Swimmer (rank-deficient factors, cond ~ 1e17) going through WᵀW made
        # the exact step raise the loss.
        Q, R = self._factor(W)
        D = np.asarray((X.T @ Q).T if hasattr(X, "tocsr") else Q.T @ X)
        if self.l1:
            if not self.solvable(W):
                raise NMFInputError(
                    "ANLS with an l1 penalty needs W of full column rank (or l2 > 0); this W "
                    "is near rank deficient: use method='cvxpy' (factorize does so itself)")
            D = D - self.l1 * np.linalg.solve(R.T, np.ones(R.shape[1]))[:, None]
        return nnls_block_pivoting(R, D, passive=passive)
