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
plsi            PLSI by EM (Hofmann) from the NMF start converted by ``nmf_to_plsi``
                (max_iter, tol); W, H = ``plsi_to_nmf`` of the fit; the trace is the
                I-divergence of every EM iterate, −L + Σ X log(X/N) (exact: S = N)
plsi_hybrid     Ding, Li & Peng's hybrid (``hybrid_plsi_nmf``: nmf_method mu | cd,
                max_iter, tol, max_rounds); reports each alone (nmf_alone, plsi_alone),
                their relative gap, the distance between their factors after matching
                components, the improvements and whether the hybrid beat both
kl_chi_square   KL multiplicative updates (max_iter) recording D(X‖WH) and χ²(X, WH)/2 at
                every iterate (the trace and ``trace_chi_square_half``)
exact_nmf       an exact-NMF heuristic at inner dimension k (heuristic, time_limit, tol,
                attempts); reports success (relative error < tol) and seconds
rank_bound      one bound on the nonnegative rank from ``bounds/`` (bound = its method name,
                time_limit, options = keyword arguments of that method, e.g. {solver = "SCS"});
                reports value, bound (the proved integer), certified, seconds. bound =
                "exact_nmf" starts its search at the best of the cheap lower bounds (rank,
                fooling set, fractional cover, geometric), as ``nnmf rank`` does
==============  ==========================================================================
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
    import scipy.sparse as sp
    from sklearn.decomposition import NMF as SkNMF
    from sklearn.exceptions import ConvergenceWarning

    model = SkNMF(n_components=k, init="custom", solver=solver, beta_loss=beta_loss, tol=0,
                  max_iter=max_iter)
    Xs = X.T.tocsr() if sp.issparse(X) else np.ascontiguousarray(X.T)
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


def _run_plsi(X, k, W0, H0, rng, *, max_iter=500, tol=1e-7):
    import scipy.sparse as sp
    from scipy.special import xlogy

    from ..plsi import plsi, plsi_to_nmf

    model = plsi(X, k, init=(W0, H0), max_iter=max_iter, tol=tol)
    data = X.tocsr().data if sp.issparse(X) else X[X > 0]
    constant = float(np.sum(xlogy(data, data / model.total)))
    W, H = plsi_to_nmf(model)
    return MethodOutput(W, H, "kl", model.seconds, model.n_iter,
                        constant - np.asarray(model.history), np.asarray(model.times),
                        {"stop_reason": model.stop_reason})


def _matched_factor_distance(A, B) -> float:
    """‖Â − B̂P‖_F / ‖Â‖_F for column-normalized (unit-sum) Â, B̂ and the column matching P
    that minimizes it (Hungarian method on the pairwise distances)."""
    from scipy.optimize import linear_sum_assignment

    A = A / np.maximum(A.sum(axis=0), np.finfo(float).tiny)
    B = B / np.maximum(B.sum(axis=0), np.finfo(float).tiny)
    cost = ((A[:, :, None] - B[:, None, :]) ** 2).sum(axis=0)
    rows, cols = linear_sum_assignment(cost)
    return float(np.sqrt(cost[rows, cols].sum()) / np.linalg.norm(A))


def _run_plsi_hybrid(X, k, W0, H0, rng, *, nmf_method="mu", max_iter=1000, tol=1e-7,
                     max_rounds=20):
    from ..plsi import hybrid_plsi_nmf

    res = hybrid_plsi_nmf(X, k, W=W0, H=H0, nmf_method=nmf_method, max_iter=max_iter, tol=tol,
                          max_rounds=max_rounds)
    W, H = res.state
    nmf, pl = res.alone["nmf"], res.alone["plsi"]
    trace = np.minimum.accumulate([s.end for s in res.steps])
    times = np.cumsum([s.seconds for s in res.steps])
    return MethodOutput(W, H, "kl", res.seconds, len(res.steps), trace, times, {
        "stop_reason": res.stop_reason, "nmf_alone": nmf, "plsi_alone": pl,
        "optima_gap": abs(nmf - pl) / min(nmf, pl),
        "factor_distance": _matched_factor_distance(res.alone_states["nmf"][0],
                                                    res.alone_states["plsi"][0]),
        "improvements": float(sum(1 for s in res.steps if s.improved and s.round > 0)),
        "hybrid_not_worse": float(res.objective <= min(nmf, pl))})


def _run_kl_chi_square(X, k, W0, H0, rng, *, max_iter=200):
    half_chi2 = [0.5 * losses.chi_square_product(X, W0, H0)]

    def record(it, W, H, loss):
        half_chi2.append(0.5 * losses.chi_square_product(X, W, H))
        return False

    fit = factorize(X, k, loss="kl", method="mu", W=W0, H=H0, max_iter=max_iter, tol=0,
                    callback=record)
    return MethodOutput(fit.W, fit.H, "kl", fit.seconds, fit.n_iter, np.asarray(fit.history),
                        np.asarray(fit.times), {"stop_reason": fit.stop_reason,
                                                "trace_chi_square_half": np.asarray(half_chi2)})


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


METHOD_KINDS: dict[str, Callable] = {
    "nmf": _run_nmf,
    "sklearn": _run_sklearn,
    "nimfa": _run_nimfa,
    "pca": _run_pca,
    "vq": _run_vq,
    "cvxpy_timing": _run_cvxpy_timing,
    "exact_nmf": _run_exact_nmf,
    "rank_bound": _run_rank_bound,
    "plsi": _run_plsi,
    "plsi_hybrid": _run_plsi_hybrid,
    "kl_chi_square": _run_kl_chi_square,
}


def method_parameters(kind: str) -> list[str]:
    """The keyword parameters a method kind accepts (for config validation)."""
    import inspect

    sig = inspect.signature(METHOD_KINDS[kind])
    return [p.name for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY]


def run_method(kind: str, X, k, W0, H0, rng, params: dict) -> MethodOutput:
    """Run one method kind on one cell."""
    if kind not in METHOD_KINDS:
        raise NMFInputError(f"unknown method kind {kind!r}; valid: {', '.join(METHOD_KINDS)}")
    return METHOD_KINDS[kind](X, k, W0, H0, rng, **params)
