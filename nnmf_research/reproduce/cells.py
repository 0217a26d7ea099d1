"""What one experiment cell can run: ``kind`` name -> function, with its allowed parameters.

Every kind takes ``(X, k, W0, H0, rng, **params)`` — X in the toolkit's orientation, the
shared read-only initial factors of the repetition, a Generator for anything random — and
returns a :class:`MethodOutput`. A kind that cannot run here raises :class:`SkipCell` with
the reason (e.g. a peer library that does not install on the current NumPy).

==============  ==========================================================================
kind            what
==============  ==========================================================================
nmf             this toolkit's ``factorize`` (method, loss, max_iter, tol, time_limit,
                kernel_options such as {alpha = 0} for plain HALS) plus
                named constraints for method="cvxpy": l1_H (penalty λ·ΣH), l1_W,
                max_W (W ≤ value), max_H, simplex_H (columns of H sum to 1)
sklearn         scikit-learn's ``NMF`` from the same start (solver cd | mu; loss); with
                ``trace=[...]`` it is re-run from the start at each listed iteration count,
                which gives an honest loss-vs-time trace for a library with no callback
nimfa           nimfa's ``Nmf`` (Lee–Seung MU) from the same start, where it installs
pca             best rank-k approximation by the SVD: W = U_k, H = Σ_k V_kᵀ (signed)
vq              vector quantization: k-means (k-means++ seeding) on the columns; W = the
                centroids, H = one-hot assignments (Lee & Seung 1999's VQ)
cvxpy_timing    first solve vs re-solve time of the Frobenius H-model (form gram | direct)
exact_nmf       an exact-NMF heuristic at inner dimension k (heuristic, time_limit, tol,
                attempts); reports success (relative error < tol) and seconds
rank_bound      one bound on the nonnegative rank from ``bounds/`` (bound = its method name,
                time_limit, options = keyword arguments of that method, e.g. {solver = "SCS"});
                reports value, bound (the proved integer), certified, seconds. bound =
                "exact_nmf" starts its search at the best of the cheap lower bounds (rank,
                fooling set, fractional cover, geometric), as ``nnmf rank`` does
kmeans          scikit-learn KMeans (n_init=10) on the columns, seeded as the convex start:
                W = the centroids, H = the indicator (so ‖X − WH‖² is the k-means objective;
                the centroids are X·HᵀD⁻¹, convex NMF with that W)
semi_nmf        ``semi_nmf`` (method mu | cvxpy, max_iter, tol) from the seeded k-means + 0.2
                start; W = F, H = Gᵀ (any sign of X); skipped when n·k > max_entries
convex_nmf      ``convex_nmf`` from the same start; W = F = X W_c, H = Gᵀ, zeros_W of W_c
nmf_kmeans      plain NMF (``factorize``: method, max_iter, tol) from that start, W₀ = X G₀D⁻¹
                (convex NMF's first basis), H₀ = G₀ᵀ; skipped on mixed-sign X
separable       ``separable_nmf`` (method spa | gillis_luce | hottopixx, rho); ``noise``
                = the data set's planted level (``meta["noise"]``, as Gillis & Luce give their
                LP) unless a number is set
==============  ==========================================================================

A kind that declares a keyword in :data:`CONTEXT_PARAMETERS` (``meta``: the data set's meta,
e.g. its planted noise level) receives it from the runner, not from the config.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Callable

import cvxpy as cp
import numpy as np

from .. import losses
from ..checks import NMFInputError
from ..factorize import factorize
from ..models.frobenius import frobenius_model
from ..status import Kind, kind_of

__all__ = ["MethodOutput", "SkipCell", "METHOD_KINDS", "run_method"]


class SkipCell(Exception):
    """Raised by a method that cannot run this cell; the message is the stated reason."""


@dataclass
class MethodOutput:
    W: np.ndarray | None = None
    H: np.ndarray | None = None
    loss_name: str = "frobenius"
    seconds: float = float("nan")
    n_iter: int | None = None
    trace_loss: np.ndarray | None = None
    trace_time: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


def _run_nmf(X, k, W0, H0, rng, *, method="hals", loss="frobenius", max_iter=200, tol=1e-4,
             time_limit=None, l1_H=None, l1_W=None, max_W=None, max_H=None,
             simplex_H=False, solver=None, kernel_options=None):
    hooks = {}
    constraints_H = []
    if l1_H is not None:
        hooks["penalty_H"] = lambda H: l1_H * cp.sum(H)
    if l1_W is not None:
        hooks["penalty_W"] = lambda Wt: l1_W * cp.sum(Wt)
    if max_W is not None:
        hooks["constraints_W"] = lambda Wt: [Wt <= max_W]
    if max_H is not None:
        constraints_H.append(lambda H: H <= max_H)
    if simplex_H:
        constraints_H.append(lambda H: cp.sum(H, axis=0) == 1)
    if constraints_H:
        hooks["constraints_H"] = lambda H: [make(H) for make in constraints_H]
    fit = factorize(X, k, loss=loss, method=method, W=W0, H=H0, max_iter=max_iter, tol=tol,
                    time_limit=time_limit, solver=solver, kernel_options=kernel_options,
                    **hooks)
    return MethodOutput(fit.W, fit.H, loss, fit.seconds, fit.n_iter,
                        np.asarray(fit.history), np.asarray(fit.times),
                        {"stop_reason": fit.stop_reason})


def _sklearn_once(X, k, W0, H0, solver, beta_loss, max_iter):
    from sklearn.decomposition import NMF as SkNMF
    from sklearn.exceptions import ConvergenceWarning

    model = SkNMF(n_components=k, init="custom", solver=solver, beta_loss=beta_loss, tol=0,
                  max_iter=max_iter)
    Xs = np.ascontiguousarray(X.T)
    Ws, Hs = np.array(H0.T), np.array(W0.T)  # sklearn orientation, writable copies
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        codes = model.fit_transform(Xs, W=Ws, H=Hs)
        seconds = time.perf_counter() - start
    return model.components_.T, codes.T, seconds, model.n_iter_


def _run_sklearn(X, k, W0, H0, rng, *, solver="cd", loss="frobenius", max_iter=200,
                 trace=None):
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise SkipCell("scikit-learn is not installed")
    beta = {"frobenius": "frobenius", "kl": "kullback-leibler"}[loss]
    _sklearn_once(X, k, W0, H0, solver, beta, 1)  # warm-up: first-call costs are not NMF's
    trace_loss, trace_time = [losses.loss(loss, X, W0, H0)], [0.0]
    for it in sorted(set(trace or [])):
        if it >= max_iter:
            break
        W, H, seconds, _ = _sklearn_once(X, k, W0, H0, solver, beta, it)
        trace_loss.append(losses.loss(loss, X, W, H))
        trace_time.append(seconds)
    W, H, seconds, n_iter = _sklearn_once(X, k, W0, H0, solver, beta, max_iter)
    trace_loss.append(losses.loss(loss, X, W, H))
    trace_time.append(seconds)
    return MethodOutput(W, H, loss, seconds, n_iter, np.asarray(trace_loss),
                        np.asarray(trace_time))


def _run_nimfa(X, k, W0, H0, rng, *, loss="frobenius", max_iter=200):
    try:
        import nimfa
    except ImportError:
        raise SkipCell("nimfa is not installed (pip install nimfa)")
    update = {"frobenius": "euclidean", "kl": "divergence"}[loss]
    objective = {"frobenius": "fro", "kl": "div"}[loss]
    try:
        start = time.perf_counter()
        model = nimfa.Nmf(X, W=np.array(W0), H=np.array(H0), rank=k, max_iter=max_iter,
                          update=update, objective=objective, min_residuals=0, test_conv=None)
        fit = model()
        seconds = time.perf_counter() - start
        W, H = np.asarray(fit.basis()), np.asarray(fit.coef())
    except (AttributeError, TypeError) as exc:  # np.mat and friends, gone in NumPy 2
        raise SkipCell(f"nimfa does not run on NumPy {np.__version__}: {exc}")
    return MethodOutput(W, H, loss, seconds, max_iter)


def _run_pca(X, k, W0, H0, rng):
    start = time.perf_counter()
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    seconds = time.perf_counter() - start
    # Orient each component so its largest entry is positive (display convention).
    signs = np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(U.shape[1])])
    signs[signs == 0] = 1
    W = U[:, :k] * signs[:k]
    H = (s[:k, None] * Vt[:k]) * signs[:k, None]
    return MethodOutput(W, H, "frobenius", seconds, None)


def _run_vq(X, k, W0, H0, rng, *, max_iter=100):
    from scipy.cluster.vq import kmeans2

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "One of the clusters is empty" is handled below
        centroids, labels = kmeans2(X.T, k, iter=max_iter, minit="++", seed=rng)
    seconds = time.perf_counter() - start
    H = np.zeros((k, X.shape[1]))
    H[labels, np.arange(X.shape[1])] = 1.0
    return MethodOutput(centroids.T.copy(), H, "frobenius", seconds, max_iter)


def _run_cvxpy_timing(X, k, W0, H0, rng, *, form="gram", resolves=3, solver=None):
    m, n = X.shape
    start = time.perf_counter()
    model = frobenius_model(k, n, m=m, form=form, solver=solver)
    build = time.perf_counter() - start
    start = time.perf_counter()
    H = model(X, W0, H0)
    first = time.perf_counter() - start
    times = []
    for _ in range(resolves):
        W = W0 * (1.0 + 0.01 * rng.random(W0.shape))  # new parameter values, same structure
        start = time.perf_counter()
        H = model(X, W, H)
        times.append(time.perf_counter() - start)
    return MethodOutput(W0, H, "frobenius", first + sum(times), None,
                        extra={"build_s": build, "first_solve_s": first,
                               "resolve_s": float(np.median(times))})


def _run_exact_nmf(X, k, W0, H0, rng, *, heuristic="hybrid", time_limit=60.0, tol=1e-6,
                   attempts=10):
    from ..bounds.exact_nmf import exact_nmf

    seed = int(rng.integers(0, 2**31 - 1))
    result = exact_nmf(X, k, heuristic=heuristic, time_limit=time_limit, tol=tol,
                       random_state=seed, attempts=attempts)
    return MethodOutput(result.W, result.H, "frobenius", result.seconds, result.attempts,
                        extra={"success": float(result.found), "status": result.status})


EXACT_NMF_STARTS = ("rank", "fooling_set", "rectangle_cover_fractional", "geometric")
"""Cheap lower bounds whose best value is where a ``rank_bound`` exact-NMF cell starts."""


def _run_rank_bound(X, k, W0, H0, rng, *, bound="rank", time_limit=120.0, options=None):
    from ..bounds.nonnegative_rank import nonnegative_rank

    seed = int(rng.integers(0, 2**31 - 1))
    # the exact-NMF search starts, as in `nnmf rank`, from the best cheap lower bound
    bounds = [*EXACT_NMF_STARTS, bound] if bound == "exact_nmf" else [bound]
    report = nonnegative_rank(X, bounds=bounds, time_limit=time_limit, random_state=seed,
                              options={bound: dict(options or {})})
    b = next(b for b in report.bounds if b.method == bound)
    if b.bound is None and kind_of(b.status) is Kind.NOT_NEEDED:  # lower bound met min(m, n)
        return MethodOutput(None, None, "frobenius", report.seconds,
                            extra={"value": float(report.upper), "bound": report.upper,
                                   "certified": float(report.upper_certified),
                                   "status": b.status})
    return MethodOutput(None, None, "frobenius", b.seconds,
                        extra={"value": b.value, "bound": b.bound,
                               "certified": float(b.certified), "status": b.status})


def _convex_seed(rng) -> int:
    """The seed of the k-means start shared by every clustering kind of one repetition (each
    cell gets a fresh Generator with the same state, so they all draw the same number)."""
    return int(rng.integers(2**31 - 1))


def _convex_output(fit, extra=None) -> MethodOutput:
    return MethodOutput(fit.F, fit.G.T.copy(), "frobenius", fit.seconds, fit.n_iter,
                        np.asarray(fit.history), np.asarray(fit.times),
                        {"stop_reason": fit.stop_reason, **(extra or {})})


def _w_sparsity(W) -> dict:
    from .metrics import exact_zero_fraction, near_zero_fraction

    return {"zeros_W": exact_zero_fraction(W), "near_zeros_W": near_zero_fraction(W, 1e-6)}


def _run_kmeans(X, k, W0, H0, rng):
    from ..convex import kmeans_labels
    start = time.perf_counter()
    labels = kmeans_labels(X.T, k, _convex_seed(rng))
    seconds = time.perf_counter() - start
    H = np.zeros((k, X.shape[1]))
    H[labels, np.arange(X.shape[1])] = 1.0
    Wc = H.T / np.maximum(H.sum(axis=1), 1.0)  # centroids = X Wc: k-means as convex NMF
    return MethodOutput(X @ Wc, H, "frobenius", seconds, None,
                        extra=_w_sparsity(Wc))


def _check_size(X, k, max_entries):
    n = X.shape[1]
    if max_entries is not None and n * k > max_entries:
        raise SkipCell(f"the exact block QP has n*k = {n * k} variables, above max_entries = "
                       f"{max_entries} (OSQP on the degenerate W-step took over 10 minutes a "
                       f"sweep at n*k = 5000 here)")


def _run_semi_nmf(X, k, W0, H0, rng, *, method="mu", max_iter=2000, tol=0.0, solver=None,
                  max_entries=None):
    from ..convex import semi_nmf

    _check_size(X, k, max_entries)
    fit = semi_nmf(X, k, method=method, random_state=_convex_seed(rng), max_iter=max_iter,
                   tol=tol, solver=solver)
    return _convex_output(fit)


def _run_convex_nmf(X, k, W0, H0, rng, *, method="mu", max_iter=2000, tol=0.0, solver=None,
                    max_entries=None):
    from ..convex import convex_nmf
    _check_size(X, k, max_entries)
    fit = convex_nmf(X, k, method=method, random_state=_convex_seed(rng), max_iter=max_iter,
                     tol=tol, solver=solver)
    return _convex_output(fit, _w_sparsity(fit.W))


def _run_nmf_kmeans(X, k, W0, H0, rng, *, method="mu", max_iter=2000, tol=0.0):
    from ..convex import convex_init
    if (X < 0).any():
        raise SkipCell("plain NMF needs non-negative data (this X is mixed-sign)")
    G0, Wc0 = convex_init(X, k, random_state=_convex_seed(rng))
    fit = factorize(X, k, method=method, W=X @ Wc0, H=G0.T.copy(), max_iter=max_iter,
                    tol=tol)
    return MethodOutput(fit.W, fit.H, "frobenius", fit.seconds, fit.n_iter,
                        np.asarray(fit.history), np.asarray(fit.times),
                        {"stop_reason": fit.stop_reason, **_w_sparsity(fit.W)})


def _run_separable(X, k, W0, H0, rng, *, method="spa", noise="planted", rho=1.0, solver=None,
                   meta=None):
    from ..separable import separable_nmf

    if noise == "planted":
        if "noise" not in (meta or {}):
            raise NMFInputError("noise = 'planted' needs a data set that states its noise "
                                "level (the 'separable' loader); set a number instead")
        noise = meta["noise"]
    fit = separable_nmf(X, k, method=method, noise=noise, rho=rho,
                        random_state=_convex_seed(rng), solver=solver)
    return MethodOutput(fit.W, fit.H, "frobenius", fit.seconds, None,
                        extra={"stop_reason": fit.stop_reason})


METHOD_KINDS: dict[str, Callable] = {
    "nmf": _run_nmf,
    "sklearn": _run_sklearn,
    "nimfa": _run_nimfa,
    "pca": _run_pca,
    "vq": _run_vq,
    "cvxpy_timing": _run_cvxpy_timing,
    "exact_nmf": _run_exact_nmf,
    "rank_bound": _run_rank_bound,
    "kmeans": _run_kmeans,
    "semi_nmf": _run_semi_nmf,
    "convex_nmf": _run_convex_nmf,
    "nmf_kmeans": _run_nmf_kmeans,
    "separable": _run_separable,
}


CONTEXT_PARAMETERS = ("meta",)
"""Keywords a kind may declare to receive from the runner (never set in a config)."""


def _keywords(kind: str) -> list[str]:
    import inspect

    sig = inspect.signature(METHOD_KINDS[kind])
    return [p.name for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY]


def method_parameters(kind: str) -> list[str]:
    """The keyword parameters a method kind accepts (for config validation)."""
    return [p for p in _keywords(kind) if p not in CONTEXT_PARAMETERS]


def run_method(kind: str, X, k, W0, H0, rng, params: dict, meta: dict | None = None
               ) -> MethodOutput:
    """Run one method kind on one cell (``meta``: the data set's, for kinds that take it)."""
    if kind not in METHOD_KINDS:
        raise NMFInputError(f"unknown method kind {kind!r}; valid: {', '.join(METHOD_KINDS)}")
    if "meta" in _keywords(kind):
        params = {**params, "meta": dict(meta or {})}
    return METHOD_KINDS[kind](X, k, W0, H0, rng, **params)
