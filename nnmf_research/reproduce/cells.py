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
                max_W (W ≤ value), max_H, simplex_H (columns of H sum to 1); the trace's
                times run from the call's start; benchmark option ``blas_threads``
sklearn         scikit-learn's ``NMF`` from the same start (solver cd | mu; loss;
                ``blas_threads``): the loss after every iteration (chained one-iteration
                fits, checked to be the same run), times per iteration measured (cd's
                verbose lines) or, for mu, interpolated between timed runs at the ``trace``
                counts, so a benchmark reads the iteration where it reaches a target
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
ntf             this toolkit's ``ntf`` on the tensor T = X.reshape(*modes, -1) (``modes``: the
                leading mode lengths, default [√m, √m]; faces 625×N -> 25×25×N); method, loss, max_iter, tol,
                kernel_options; ``match_nmf_parameters`` turns the grid k (an NMF rank) into
                the NTF rank with the nearest number of parameters, k_T = round(k(m+n)/ΣI_r);
                benchmark options ``blas_threads`` (threadpoolctl) and ``memory_iterations``
                (a separate tracemalloc run); ``peer`` (hals | mu) runs TensorLy's
                algorithm in the cell too, for the pair metrics. W = the rank-one images [a_j⁽¹⁾ ⊗ … ⊗
                a_j⁽ⁿ⁻¹⁾] (columns), H = A_nᵀ, so X ≈ WH is the NTF model exactly
tensorly_ntf    TensorLy's ``non_negative_parafac_hals`` (algorithm = "hals") or
                ``non_negative_parafac`` (algorithm = "mu") on the same tensor from the same
                start as ``ntf``, tol = 1e-300 (no early stop), same benchmark options; skips
                with the reason when TensorLy is not installed (a benchmark-only peer)
integer_nmf     ``integer_nmf`` (method relax_round | alternating | exact, loss, bound,
                time_limit, restarts, draws; max_entries skips larger data); skips 0/1
                data; reports objective (the loss), lower_bound, gap, relaxation_ok,
                integrality_gap
boolean_nmf     ``boolean_nmf`` (method exact | asso | threshold, time_limit, tau) on 0/1
                data only; reports objective = errors, lower_bound, gap, and the compact
                program's LP relaxation as relaxation_ok (LP ≤ errors), integrality_gap
kmeans          scikit-learn KMeans (n_init=10) on the columns, seeded as the convex start:
                W = the centroids, H = the indicator (so ‖X − WH‖² is the k-means objective;
                the centroids are X·HᵀD⁻¹, convex NMF with that W)
semi_nmf        ``semi_nmf`` (method mu | cvxpy, max_iter, tol) from the seeded k-means + 0.2
                start; W = F, H = Gᵀ (any sign of X); skipped when n·k > max_entries
convex_nmf      ``convex_nmf`` from the same start; W = F = X W_c, H = Gᵀ, zeros_W of W_c;
                benchmark option ``blas_threads``
nmf_kmeans      plain NMF (``factorize``: method, max_iter, tol) from that start, W₀ = X G₀D⁻¹
                (convex NMF's first basis), H₀ = G₀ᵀ; skipped on mixed-sign X; benchmark
                option ``blas_threads``
separable       ``separable_nmf`` (method spa | gillis_luce | hottopixx, rho); ``noise``
                = the data set's planted level (``meta["noise"]``, as Gillis & Luce give their
                LP) unless a number is set
masked_holdout  hides a ``missing`` fraction of the entries of the full X (seeded per
                repetition: entry hidden where u < missing, u ~ U(0, 1) drawn once per
                repetition, so every method of a repetition hides the same entries and the
                masks of growing fractions are nested), fits the observed ones by
                ``factorize`` with the mask (method, loss, max_iter, tol) or, with fill =
                "mean", plain NMF of X with the hidden entries set to their column's observed
                mean (the naive baseline); both from ``initialize`` (init) of that mean-filled
                matrix, never from the full X. Reports heldout_relative_error
                ‖(X − WH)_hidden‖ / ‖X_hidden‖ (none at missing = 0), observed_relative_error
                and missing_fraction; kernel_options go to the masked kernel (e.g.
                {alpha = 0} for plain masked HALS); benchmark options time_limit, blas_threads
                (threadpoolctl; load and CPU seconds are reported)
rank_select     ``select_rank`` at the cell's k alone (criterion cv | bcv | consensus | both,
                n_folds, n_restarts, nmf_method, max_iter, tol), seeded per repetition, so
                the folds are the same for every k of a data set; reports cv_mean, cv_sd
                (bcv_mean, bcv_sd),
                cophenetic, dispersion, and the consensus matrix as ``trace_consensus``
                (float32; ``save_consensus = false`` leaves it out). The k each criterion picks
                is read across the cells of a data set (figure kind ``rank_choice``)
==============  ==========================================================================

A kind that declares a keyword in :data:`CONTEXT_PARAMETERS` (``meta``: the data set's meta,
e.g. its planted noise level) receives it from the runner, not from the config.
"""

from __future__ import annotations

import math
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
from .metrics import column_near_zero_fraction, hoyer_sparseness

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
             simplex_H=False, solver=None, kernel_options=None, blas_threads=None,
             memory_iterations=None, check_every=1, dtype=None):
    """``factorize`` from the shared start (``dtype``: its precision, e.g. "float32"). The
    trace's times are taken by a callback from
    the call's start (input checks included, as a peer's clock includes its own). With
    ``blas_threads`` (a benchmark) BLAS threads are fixed for the call, its CPU time and the
    load recorded, and a 1-iteration warm-up runs first, as the peers' cells do.
    ``memory_iterations``: the peak memory of a separate run of that many iterations
    (:func:`_memory_extra`). ``check_every``: the loss (so the trace) every that many
    iterations; 1 by default, since the trace metrics read one point per iteration."""
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
    run = dict(loss=loss, method=method, W=W0, H=H0, tol=tol, time_limit=time_limit,
               solver=solver, kernel_options=kernel_options, check_every=check_every,
               dtype=dtype, **hooks)
    stamps = []

    def timed(iterations):
        stamps.clear()
        began = time.perf_counter()
        fit = factorize(X, k, max_iter=iterations, **run,
                        callback=lambda it, W, H, value: stamps.append(time.perf_counter()))
        return fit, began, time.perf_counter() - began

    (fit, start, seconds), extra = _benchmarked(blas_threads, timed, max_iter)
    extra["stop_reason"] = fit.stop_reason
    if memory_iterations:
        extra.update(_memory_extra(lambda: factorize(X, k, max_iter=memory_iterations, **run)))
    if len(stamps) != len(fit.history) - 1:
        raise RuntimeError(f"method {method!r} called back {len(stamps)} times for "
                           f"{len(fit.history) - 1} iterations; the time trace would be wrong")
    times = [0.0] + [t - start for t in stamps]
    if check_every > 1:   # the trace's points are this many iterations apart
        extra["trace_iterations"] = np.asarray(fit.history_iterations, dtype=float)
    return MethodOutput(fit.W, fit.H, loss, seconds, fit.n_iter, np.asarray(fit.history),
                        np.asarray(times), extra)


def _memory_extra(run) -> dict:
    """``peak_memory_mb``: what ``run()`` allocates at its peak beyond what was allocated
    before (tracemalloc, which NumPy and SciPy's arrays report to; X and the start were
    allocated before, so they are not in it), and ``max_rss_mb``: the process's peak resident
    memory so far (getrusage), which does include them, the data set and the interpreter."""
    import resource

    peak = _peak_memory_mb(run)
    return {"peak_memory_mb": peak,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}


def _sklearn_beta(loss) -> str | float:
    """scikit-learn's ``beta_loss`` for one of our losses (a name or a real β)."""
    name = losses.check_loss(loss)
    named = {"frobenius": "frobenius", "kl": "kullback-leibler",
             "itakura-saito": "itakura-saito"}
    return named.get(name, losses.beta_of(name))


def _sklearn_once(X, k, W0, H0, solver, beta_loss, max_iter, verbose=0):
    import scipy.sparse as sp
    from sklearn.decomposition import NMF as SkNMF
    from sklearn.exceptions import ConvergenceWarning

    model = SkNMF(n_components=k, init="custom", solver=solver, beta_loss=beta_loss, tol=0,
                  max_iter=max_iter, verbose=verbose)
    Xs = X.T.tocsr() if sp.issparse(X) else np.ascontiguousarray(X.T)
    Ws, Hs = np.array(H0.T), np.array(W0.T)  # sklearn orientation, writable copies
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        codes = model.fit_transform(Xs, W=Ws, H=Hs)
        seconds = time.perf_counter() - start
    return model.components_.T, codes.T, seconds, model.n_iter_


def _sklearn_loss_per_iteration(X, k, W0, H0, solver, beta, n_iter, loss, W_end, H_end):
    """The loss after every iteration 0..n_iter of scikit-learn's own run, untimed: chained
    one-iteration fits from the previous iterate. cd (no shuffling) and mu (tol = 0) keep no
    state between iterations but (W, H), so the chain is the same run; its last iterate must
    equal the timed run's (checked), or the trace would describe another run."""
    W, H = W0, H0
    trace = [losses.loss(loss, X, W0, H0)]
    for _ in range(n_iter):
        W, H, _, _ = _sklearn_once(X, k, W, H, solver, beta, 1)
        trace.append(losses.loss(loss, X, W, H))
    scale = max(float(np.max(np.abs(W_end))), float(np.max(np.abs(H_end))), 1e-300)
    gap = max(float(np.max(np.abs(W - W_end))), float(np.max(np.abs(H - H_end)))) / scale
    if gap > 1e-10:
        raise RuntimeError(f"scikit-learn's chained one-iteration fits end {gap:.1e} (relative) "
                           f"away from its {n_iter}-iteration fit: its {solver} keeps state "
                           "between iterations in this version, so the dense loss trace "
                           "would not be its run's")
    return np.asarray(trace)


def _run_sklearn(X, k, W0, H0, rng, *, solver="cd", loss="frobenius", max_iter=200,
                 trace=None, blas_threads=None, memory_iterations=None):
    """scikit-learn's ``NMF`` from the shared start, with a trace a benchmark can read at the
    iteration where scikit-learn actually reaches a target.

    - Losses: after every iteration (chained one-iteration fits, untimed; see
      :func:`_sklearn_loss_per_iteration`).
    - Times, from the call's start (a 1-iteration warm-up first, as our cells get):
      ``cd`` prints one line per iteration with ``verbose=1``, each time-stamped as printed,
      so every iteration's time is measured in the one timed run. ``mu`` prints nothing
      per iteration at tol = 0, so it is timed by separate runs at the ``trace`` counts and
      the final count, and iteration i's time is interpolated linearly in the iteration
      count between the two timed runs around it (an iteration does the same work each time;
      never extrapolated; before the first timed count, between 0 s and it; a count is
      charged the least time of its own and any longer run: all of which, if anything,
      undercharges scikit-learn).
    ``blas_threads`` fixes BLAS threads for every run and records the CPU time and load of
    the timed run (``_Benchmark``); ``memory_iterations``, the peak memory of a separate run
    (:func:`_memory_extra`). ``loss`` is any of ours (a real β too).
    """
    import contextlib

    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise SkipCell("scikit-learn is not installed")
    beta = _sklearn_beta(loss)
    lines = _StampedLines("violation")
    stamped = solver == "cd"
    with _Benchmark(blas_threads) as bench:
        _sklearn_once(X, k, W0, H0, solver, beta, 1)  # warm-up: first-call costs are not NMF's
        with contextlib.redirect_stdout(lines) if stamped else contextlib.nullcontext():
            start = time.perf_counter()
            W, H, _, n_iter = _sklearn_once(X, k, W0, H0, solver, beta, max_iter,
                                            verbose=1 if stamped else 0)
            seconds = time.perf_counter() - start
    extra = dict(bench.extra)
    with _Benchmark(blas_threads):
        if stamped:
            if len(lines.stamps) != n_iter:
                raise RuntimeError(f"scikit-learn printed {len(lines.stamps)} violation lines "
                                   f"for {n_iter} iterations; the time trace would be wrong")
            times = np.array([0.0] + [s - start for s in lines.stamps])
            timing = "times: every iteration time-stamped in the timed run"
        else:
            counts, measured = [0], [0.0]
            for it in sorted(set(trace or [])):
                if 0 < it < n_iter:
                    counts.append(it)
                    measured.append(_sklearn_once(X, k, W0, H0, solver, beta, it)[2])
            counts.append(n_iter)
            measured.append(seconds)
            # Separate runs are noisy: a count's time is the least of its own run and the
            # longer runs' (monotone, and never more than scikit-learn was measured to need).
            measured = np.minimum.accumulate(np.asarray(measured)[::-1])[::-1]
            times = np.interp(np.arange(n_iter + 1), counts, measured)
            timing = (f"times: interpolated in the iteration count between {len(counts) - 1} "
                      "timed runs")
        trace_loss = _sklearn_loss_per_iteration(X, k, W0, H0, solver, beta, n_iter, loss, W, H)
    extra["status"] = "; ".join(filter(None, [extra.get("status"), timing]))
    if memory_iterations:
        extra.update(_memory_extra(
            lambda: _sklearn_once(X, k, W0, H0, solver, beta, memory_iterations)))
    return MethodOutput(W, H, loss, seconds, n_iter, trace_loss, times, extra)


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


def _run_plsi(X, k, W0, H0, rng, *, max_iter=500, tol=1e-7, blas_threads=None,
              memory_iterations=None):
    """PLSI by EM from the shared start; the trace is its I-divergence (the identity of
    :mod:`nnmf_research.plsi`). ``blas_threads`` and ``memory_iterations`` as for the ``nmf``
    kind (:func:`_benchmarked`, :func:`_memory_extra`)."""
    import scipy.sparse as sp
    from scipy.special import xlogy

    from ..plsi import plsi, plsi_to_nmf

    model, extra = _benchmarked(
        blas_threads, lambda iterations: plsi(X, k, init=(W0, H0), max_iter=iterations,
                                              tol=tol), max_iter)
    if memory_iterations:
        extra.update(_memory_extra(lambda: plsi(X, k, init=(W0, H0),
                                                max_iter=memory_iterations, tol=tol)))
    data = X.tocsr().data if sp.issparse(X) else X[X > 0]
    constant = float(np.sum(xlogy(data, data / model.total)))
    W, H = plsi_to_nmf(model)
    return MethodOutput(W, H, "kl", model.seconds, model.n_iter,
                        constant - np.asarray(model.history), np.asarray(model.times),
                        {**extra, "stop_reason": model.stop_reason})


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
                    callback=record, check_every=1)   # χ² beside the loss, every iteration
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


# --- tensor kinds (Shashua & Hazan 2005; the benchmark against TensorLy) -----------------

def _tensor_of(X, modes) -> np.ndarray:
    """T = X.reshape(*modes, -1): a matrix whose rows index the leading modes in C order
    (pixels of an image stack, or the unfolding a tensor loader returns) as an n-way array.
    ``modes=None`` means square slices: m = s², modes = [s, s] (faces, the planted cube)."""
    if modes is None:
        side = math.isqrt(X.shape[0])
        if side * side != X.shape[0]:
            raise NMFInputError(f"X has {X.shape[0]} rows, not a square image's; name the "
                                "leading mode lengths with modes = [...]")
        modes = [side, side]
    modes = [int(m) for m in modes]
    if not modes or any(m < 1 for m in modes) or X.size % int(np.prod(modes)):
        raise NMFInputError(f"modes={modes} do not divide the {X.shape} data into a tensor "
                            "(their product must divide X.size)")
    return np.ascontiguousarray(X).reshape(*modes, -1)


def _matched_rank(k: int, X, shape) -> int:
    """The NTF rank whose parameter count k_T·ΣI_r is nearest to NMF's k(m + n)."""
    return max(1, int(round(k * (X.shape[0] + X.shape[1]) / sum(shape))))


class _Benchmark:
    """Fixed BLAS threads, the machine's load and the CPU time of one timed call.

    ``threads`` (None: leave BLAS alone) is set through threadpoolctl for the call and
    reported with the BLAS library's name; CPU seconds are the process's (all threads).
    """

    def __init__(self, threads):
        self.threads = threads
        self.extra: dict = {}

    def __enter__(self):
        import os

        from threadpoolctl import threadpool_info

        from ..threads import blas_threads

        self._limits = blas_threads(self.threads) if self.threads else None
        if self._limits is not None:
            self._limits.__enter__()
        blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        self.extra["blas_threads"] = float(blas[0]["num_threads"]) if blas else None
        self.extra["blas"] = blas[0].get("internal_api", "") if blas else "none found"
        self.extra["load_average"] = float(os.getloadavg()[0])
        self.extra["status"] = (f"{self.extra['blas']} BLAS, {self.extra['blas_threads']:g} "
                                f"threads; 1-minute load {self.extra['load_average']:.2f} on "
                                f"{os.cpu_count()} CPUs" if blas else "no BLAS found")
        self._cpu = time.process_time()
        return self

    def __exit__(self, *exc):
        self.extra["cpu_seconds"] = time.process_time() - self._cpu
        if self._limits is not None:
            self._limits.__exit__(*exc)
        return False


def _benchmarked(blas_threads, fit, max_iter):
    """``fit(max_iter)``, with BLAS threads fixed to ``blas_threads`` when it is set (a
    benchmark): then a 1-iteration warm-up ``fit(1)`` runs first (first-call costs are not
    the method's) and the record of :class:`_Benchmark` (threads, BLAS, load, CPU seconds of
    the timed fit and its warm-up) is returned with it. Returns (result, extra); extra is
    empty when ``blas_threads`` is None."""
    with _Benchmark(blas_threads) as bench:
        if blas_threads is not None:
            fit(1)
        result = fit(max_iter)
    return result, (dict(bench.extra) if blas_threads is not None else {})


def _peak_memory_mb(run) -> float:
    """Peak of the memory ``run()`` allocates (tracemalloc, which NumPy reports to), in MB.
    Measured in a run of its own: tracing slows Python-level allocation, so a timed run is
    never traced."""
    import tracemalloc

    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return (peak - base) / 2**20


def _ntf_output(T, factors, loss_name, seconds, n_iter, trace_loss, trace_time, extra):
    """W = the rank-one terms of the leading modes (columns, largest Π_r‖a_j⁽ʳ⁾‖ first),
    H = A_nᵀ: X = T.reshape(-1, I_n) ≈ W H is then exactly the NTF model."""
    from ..tensor import khatri_rao

    order = np.argsort(-np.prod([np.linalg.norm(A, axis=0) for A in factors], axis=0),
                       kind="stable")
    factors = [A[:, order] for A in factors]
    W = khatri_rao(factors[:-1]) if len(factors) > 2 else factors[0]
    lead = [hoyer_sparseness(A, axis=0) for A in factors[:-1] if A.shape[0] > 1]
    extra = {"n_parameters": float(sum(A.size for A in factors)),
             "hoyer_factors": float(np.mean(lead)) if lead else None,
             "sparsity_factors": float(np.mean([column_near_zero_fraction(A)
                                                for A in factors[:-1]])), **extra}
    return MethodOutput(W, factors[-1].T.copy(), loss_name, seconds, n_iter,
                        np.asarray(trace_loss, dtype=float),
                        np.asarray(trace_time, dtype=float), extra)


def _run_ntf(X, k, W0, H0, rng, *, modes=None, method="hals", loss="frobenius",
             max_iter=200, tol=1e-4, kernel_options=None, match_nmf_parameters=False,
             blas_threads=None, memory_iterations=0, peer=None, balance=None):
    """``ntf`` from ``random_factors(T, k, rng)`` (the same start for every tensor kind of
    a repetition: ``rng`` depends on the seed and repetition only; W0, H0 are not used).
    The trace's times are taken by a callback, from the call's start, as for TensorLy.
    ``peer = "hals" | "mu"`` also runs that TensorLy algorithm in this cell, right after
    ours, from the same start and for as many iterations, and keeps its traces as
    ``trace_peer_loss`` / ``trace_peer_time`` (the pair the ``*_peer_final_loss`` metrics
    read); without TensorLy the cell still runs, without them. ``balance`` is ``ntf``'s."""
    import copy

    from ..tensor import ntf, random_factors

    T = _tensor_of(X, modes)
    if match_nmf_parameters:
        k = _matched_rank(k, X, T.shape)
    peer_rng = copy.deepcopy(rng)   # the same start for the peer
    start_factors = random_factors(T, k, rng)
    stamps = []

    def stamp(iteration, blocks, value):
        stamps.append(time.perf_counter())

    run = dict(method=method, loss=loss, tol=tol, kernel_options=kernel_options,
               balance=balance)
    with _Benchmark(blas_threads) as bench:
        start = time.perf_counter()
        fit = ntf(T, k, factors=start_factors, max_iter=max_iter, callback=stamp, **run)
        seconds = time.perf_counter() - start
    extra = dict(bench.extra, stop_reason=fit.stop_reason)
    if memory_iterations:
        with _Benchmark(blas_threads):
            extra["peak_memory_mb"] = _peak_memory_mb(
                lambda: ntf(T, k, factors=start_factors, max_iter=memory_iterations, **run))
    times = [0.0] + [s - start for s in stamps]
    if peer is not None:
        try:
            pair = _run_tensorly_ntf(X, k, W0, H0, peer_rng, modes=modes, algorithm=peer,
                                     max_iter=max_iter, blas_threads=blas_threads)
            extra.update(trace_peer_loss=pair.trace_loss, trace_peer_time=pair.trace_time)
        except SkipCell:
            pass
    return _ntf_output(T, fit.factors, loss, seconds, fit.n_iter, fit.history, times, extra)


class _StampedLines:
    """A stdout stand-in that keeps the time of every write containing ``marker``: a peer's
    ``verbose`` line printed once per iteration, after that iteration (TensorLy's "error"
    lines; scikit-learn cd's "violation" lines), for a peer with no callback."""

    def __init__(self, marker="error"):
        self.marker = marker
        self.stamps = []

    def write(self, text):
        if self.marker in text:
            self.stamps.append(time.perf_counter())
        return len(text)

    def flush(self):
        pass


def _run_tensorly_ntf(X, k, W0, H0, rng, *, modes=None, algorithm="hals", max_iter=200,
                      match_nmf_parameters=False, blas_threads=None, memory_iterations=0):
    """TensorLy's non-negative CP from the start ``ntf`` gets (see :func:`_run_ntf`).

    tol = 1e-300 keeps its error computation on (the trace) but stops it only on an exactly
    zero change; the per-iteration times come from its ``verbose`` lines (no callback
    exists), time-stamped as they are printed to a null stream.
    """
    import contextlib

    from ..tensor import random_factors

    try:
        import tensorly as tl
        from tensorly.cp_tensor import CPTensor
        from tensorly.decomposition import non_negative_parafac, non_negative_parafac_hals
    except ImportError:
        raise SkipCell("tensorly is not installed (pip install tensorly; a benchmark-only "
                       "peer, not a dependency)")
    if tl.get_backend() != "numpy":
        raise SkipCell(f"tensorly's backend is {tl.get_backend()!r}, not numpy")
    solve = {"hals": non_negative_parafac_hals, "mu": non_negative_parafac}[algorithm]
    T = _tensor_of(X, modes)
    if match_nmf_parameters:
        k = _matched_rank(k, X, T.shape)
    start_factors = random_factors(T, k, rng)

    def run(iterations, verbose):
        init = CPTensor((np.ones(k), [A.copy() for A in start_factors]))
        return solve(T, k, n_iter_max=iterations, init=init, tol=1e-300,
                     return_errors=True, verbose=verbose)

    lines = _StampedLines()
    with _Benchmark(blas_threads) as bench:
        with contextlib.redirect_stdout(lines):
            start = time.perf_counter()
            (weights, factors), errors = run(max_iter, True)
            seconds = time.perf_counter() - start
    if len(lines.stamps) != len(errors):
        raise RuntimeError(f"tensorly printed {len(lines.stamps)} error lines for "
                           f"{len(errors)} iterations; the time trace would be wrong")
    factors = [np.asarray(A) for A in factors]
    factors[-1] = factors[-1] * np.asarray(weights)[None, :]
    extra = dict(bench.extra, stop_reason=f"{len(errors)} iterations")
    if memory_iterations:
        with _Benchmark(blas_threads):
            extra["peak_memory_mb"] = _peak_memory_mb(lambda: run(memory_iterations, False))
    from ..tensor import tensor_loss

    norm2 = float(np.vdot(T, T))
    trace = [tensor_loss("frobenius", T, start_factors)] + [float(e) ** 2 * norm2
                                                            for e in errors]
    times = [0.0] + [s - start for s in lines.stamps]
    return _ntf_output(T, factors, "frobenius", seconds, len(errors), trace, times, extra)


# --- integer and Boolean kinds (issue 13) -------------------------------------------------

def _is_binary(X) -> bool:
    return bool(np.all((X == 0) | (X == 1)))


def _run_integer_nmf(X, k, W0, H0, rng, *, method="relax_round", loss="frobenius", bound=3,
                     time_limit=60.0, restarts=10, draws=10, max_entries=None):
    from ..integer import integer_nmf

    if _is_binary(X):
        raise SkipCell("0/1 data: the Boolean methods' cells")
    if max_entries is not None and X.size > max_entries:
        raise SkipCell(f"{X.shape[0]}x{X.shape[1]} is above this method's {max_entries} entries")
    seed = int(rng.integers(0, 2**31 - 1))
    fit = integer_nmf(X, k, bound=bound, loss=loss, method=method, time_limit=time_limit,
                      restarts=restarts, draws=draws, random_state=seed)
    d = fit.diagnostics
    if "h_step_relaxation" not in d:   # a time-limited run: the check is made here
        from ..integer import IntegerSteps, h_step_gap

        d = h_step_gap(IntegerSteps(X, k, bound, loss), fit.W, fit.H, time_limit=time_limit)
    extra = {"objective": fit.loss, "lower_bound": fit.lower_bound, "gap": fit.gap,
             "status": str(fit.status)}
    # The relaxation of the final H-step is never worse than the integer H-step (its proved
    # bound, when a column hit the limit); tolerance: the relaxation's solver accuracy,
    # relative to ‖X‖²_F (Σ X for l1).
    scale = float(np.vdot(X, X)) if loss == "frobenius" else float(X.sum())
    integer = min(d["h_step_integer"], d.get("h_step_integer_bound", np.inf))
    extra["relaxation_ok"] = float(d["h_step_relaxation"] <= integer + 1e-7 * scale + 1e-9)
    extra["integrality_gap"] = d["h_step_integer"] - d["h_step_relaxation"]
    return MethodOutput(fit.W.astype(float), fit.H.astype(float), loss, fit.seconds,
                        fit.n_iter, np.asarray(fit.history), np.asarray(fit.times), extra)


def _run_boolean_nmf(X, k, W0, H0, rng, *, method="exact", time_limit=60.0, tau=None):
    from ..boolean import boolean_nmf

    if not _is_binary(X):
        raise SkipCell("not 0/1 data: the integer methods' cells")
    from ..models.integer import boolean_model

    seed = int(rng.integers(0, 2**31 - 1))
    fit = boolean_nmf(X, k, method=method, time_limit=time_limit, random_state=seed, tau=tau)
    # The LP relaxation of the compact program bounds the fewest errors, hence these.
    lp = boolean_model(X, k, relax=True).solve()[2]
    return MethodOutput(fit.W.astype(float), fit.H.astype(float), "frobenius", fit.seconds,
                        None, extra={"objective": float(fit.errors), "errors": fit.errors,
                                     "lower_bound": fit.lower_bound,
                                     "gap": fit.gap, "status": str(fit.status),
                                     "relaxation_ok": float(lp <= fit.errors + 1e-6),
                                     "integrality_gap": fit.errors - lp})


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
                    max_entries=None, blas_threads=None):
    """``convex_nmf`` from the seeded k-means start (the same start ``convex_nmf`` draws
    with that seed, drawn once here so a warm-up does not rerun k-means); benchmark option
    ``blas_threads`` as for the ``nmf`` kind (:func:`_benchmarked`)."""
    from ..convex import convex_init, convex_nmf
    _check_size(X, k, max_entries)
    G0, Wc0 = convex_init(X, k, random_state=_convex_seed(rng))
    fit, extra = _benchmarked(
        blas_threads, lambda iterations: convex_nmf(
            X, k, method=method, G0=G0, W0=Wc0, max_iter=iterations, tol=tol, solver=solver),
        max_iter)
    return _convex_output(fit, {**extra, **_w_sparsity(fit.W)})


def _run_nmf_kmeans(X, k, W0, H0, rng, *, method="mu", max_iter=2000, tol=0.0,
                    blas_threads=None):
    """Plain NMF (``factorize``) from convex NMF's start, W₀ = X G₀D⁻¹, H₀ = G₀ᵀ; benchmark
    option ``blas_threads`` as for the ``nmf`` kind (:func:`_benchmarked`)."""
    from ..convex import convex_init
    if (X < 0).any():
        raise SkipCell("plain NMF needs non-negative data (this X is mixed-sign)")
    G0, Wc0 = convex_init(X, k, random_state=_convex_seed(rng))
    fit, extra = _benchmarked(
        blas_threads, lambda iterations: factorize(
            X, k, method=method, W=X @ Wc0, H=G0.T.copy(), max_iter=iterations, tol=tol),
        max_iter)
    return MethodOutput(fit.W, fit.H, "frobenius", fit.seconds, fit.n_iter,
                        np.asarray(fit.history), np.asarray(fit.times),
                        {**extra, "stop_reason": fit.stop_reason, **_w_sparsity(fit.W)})


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


# --- missing entries and choosing k (issue 18) ---------------------------------------------

def _run_masked_holdout(X, k, W0, H0, rng, *, method="hals", loss="frobenius", missing=0.3,
                        fill="none", init="random", max_iter=500, tol=1e-6, time_limit=None,
                        kernel_options=None, blas_threads=None):
    """Hide, fit the rest, score the hidden entries (see the module table). The runner's
    shared start (W0, H0) is not used: it was drawn from the full X, hidden entries too."""
    import scipy.sparse as sp

    from ..checks import check_choice, check_observed
    from ..factorize import _mean_filled
    from ..init import initialize

    if not (isinstance(missing, (int, float)) and 0 <= missing < 1):
        raise NMFInputError(f"missing = {missing!r}: the hidden fraction must be in [0, 1)")
    check_choice(fill, "fill", ("none", "mean"))
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=float)
    hidden = rng.random(X.shape) < missing
    seed = int(rng.integers(2**31 - 1))
    X_obs, mask = check_observed(X, (~hidden).astype(float))  # names an unobserved row/column
    start = X if mask is None else _mean_filled(X_obs, mask)
    W, H = initialize(start, k, method=init, random_state=seed)
    run = dict(method=method, loss=loss, W=W, H=H, max_iter=max_iter, tol=tol,
               time_limit=time_limit, kernel_options=kernel_options, check_every=1)
    with _Benchmark(blas_threads) as bench:
        fit = (factorize(start, k, **run) if fill == "mean"
               else factorize(X_obs, k, mask=mask, **run))
    R = X - fit.W @ fit.H
    extra = {**bench.extra, "stop_reason": fit.stop_reason,
             "missing_fraction": float(hidden.mean()),
             "observed_relative_error": float(np.linalg.norm(R[~hidden])
                                              / np.linalg.norm(X[~hidden]))}
    if hidden.any():
        extra["heldout_relative_error"] = float(np.linalg.norm(R[hidden])
                                                / np.linalg.norm(X[hidden]))
    return MethodOutput(fit.W, fit.H, loss, fit.seconds, fit.n_iter, np.asarray(fit.history),
                        np.asarray(fit.times), extra)


def _run_minibatch(X, k, W0, H0, rng, *, peer=False, loss="frobenius", batch_size=256,
                   max_iter=10, forget_factor=0.7, blas_threads=None):
    """Online NMF (``MiniBatchNMF``, ours or with ``peer=True`` scikit-learn's) from the
    shared start, ``max_iter`` passes over the samples (the columns of X) in batches of
    ``batch_size``, tol = 0 and no early stop: both sides then take the same steps through
    the same iterates (tests/test_estimator.py asserts 1e-9), so their times are times to the
    same loss. A 1-pass warm-up first; BLAS threads fixed by ``blas_threads``."""
    import warnings

    try:
        from sklearn.exceptions import ConvergenceWarning
    except ImportError:
        raise SkipCell("scikit-learn is not installed")
    if peer:
        from sklearn.decomposition import MiniBatchNMF
    else:
        from ..estimator import MiniBatchNMF
    Xs = X.T.tocsr() if hasattr(X, "tocsr") else np.ascontiguousarray(X.T)

    def fit(passes):
        model = MiniBatchNMF(n_components=k, init="custom", batch_size=batch_size,
                             beta_loss=_sklearn_beta(loss), tol=0, max_no_improvement=None,
                             max_iter=passes, forget_factor=forget_factor)
        codes = model.fit_transform(Xs, W=np.array(H0.T), H=np.array(W0.T))  # copies
        return model, codes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with _Benchmark(blas_threads) as bench:
            fit(1)                                            # warm-up
            start = time.perf_counter()
            model, codes = fit(max_iter)
            seconds = time.perf_counter() - start
    W, H = np.asarray(model.components_.T, dtype=float), np.asarray(codes.T, dtype=float)
    return MethodOutput(W, H, losses.check_loss(loss), seconds, model.n_iter_, None, None,
                        dict(bench.extra, n_steps=float(model.n_steps_)))


def _run_rank_select(X, k, W0, H0, rng, *, criterion="both", n_folds=None, n_restarts=10,
                     nmf_method="hals", max_iter=500, tol=1e-6, save_consensus=True):
    """``select_rank`` at this cell's k (see the module table)."""
    from ..rank_selection import select_rank

    seed = int(rng.integers(2**31 - 1))      # the same for every k of a repetition
    report = select_rank(X, [k], method=criterion, n_folds=n_folds, n_restarts=n_restarts,
                         nmf_method=nmf_method, max_iter=max_iter, tol=tol, random_state=seed)
    row = report.table[0]
    extra = {name: row[name] for name in ("cv_mean", "cv_sd", "bcv_mean", "bcv_sd",
                                          "cophenetic", "dispersion") if name in row}
    if save_consensus and k in report.consensus:
        extra["trace_consensus"] = report.consensus[k].astype(np.float32)
    return MethodOutput(None, None, "frobenius", report.seconds, None, extra=extra)


METHOD_KINDS: dict[str, Callable] = {
    "nmf": _run_nmf,
    "sklearn": _run_sklearn,
    "nimfa": _run_nimfa,
    "pca": _run_pca,
    "vq": _run_vq,
    "cvxpy_timing": _run_cvxpy_timing,
    "exact_nmf": _run_exact_nmf,
    "rank_bound": _run_rank_bound,
    "ntf": _run_ntf,
    "tensorly_ntf": _run_tensorly_ntf,
    "integer_nmf": _run_integer_nmf,
    "boolean_nmf": _run_boolean_nmf,
    "plsi": _run_plsi,
    "plsi_hybrid": _run_plsi_hybrid,
    "kl_chi_square": _run_kl_chi_square,
    "kmeans": _run_kmeans,
    "semi_nmf": _run_semi_nmf,
    "convex_nmf": _run_convex_nmf,
    "nmf_kmeans": _run_nmf_kmeans,
    "separable": _run_separable,
    "masked_holdout": _run_masked_holdout,
    "rank_select": _run_rank_select,
    "minibatch": _run_minibatch,
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
