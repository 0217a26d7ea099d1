"""How integer NMF is searched: relax, round, repair by exact mixed-integer steps; restarts.

The models (:mod:`nnmf_research.models.integer`) say what each step solves; this module says
in which order. For X ≈ WH with W ∈ {0..u}^{m×k}, H ∈ {0..u}^{k×n} and the loss L
(‖X − WH‖²_F or Σ|X − WH|):

1. **Relax** — alternate the continuous one-factor relaxations (0 ≤ H ≤ u, then 0 ≤ W ≤ u;
   the ``relax=True`` models, one convex QP / LP per factor) from a seeded start: a local
   solution (W̃, H̃) of the box-constrained NMF.
2. **Round** — to the nearest integers, and ``draws`` randomized roundings (each entry
   ⌊a⌋ + Bernoulli(a − ⌊a⌋), Raghavan & Thompson, Combinatorica 1987); the candidate with the
   smallest loss is kept.
3. **Repair** — alternate exact mixed-integer one-factor steps (H given W, then W given H;
   each solved column by column to optimality by SCIP / HiGHS, keeping the incumbent column
   when nothing better is found in time, unless it violates a ``constraints=`` hook: see
   :meth:`~nnmf_research.models.integer.IntegerModel.solve_columns`) until no step improves: every step is an exact
   block minimisation, so the loss never increases (block coordinate descent over integer
   blocks; Dong, Lin & Park, J. Sci. Comput. 2018, use the same alternation with lattice
   solvers).

The driver knows no model: it gets ``steps``, an object with the problem (``X``, ``k``,
``bound``, ``loss``), the exact one-factor steps ``step_H(W, H, deadline)`` /
``step_W(W, H, deadline)`` (each returning an object with the new factor ``.H``, the
``.loss`` and ``.columns_limited``), the relaxed ones ``relax_H(W)`` / ``relax_W(H)`` and
``value(W, H)``; :class:`nnmf_research.integer.IntegerSteps` builds it from the models.

``alternating_integer`` is step 3 alone from a given integral start. ``relax_round`` runs
independent restarts through :func:`nnmf_research.drivers.restarts.run_restarts` (restart i
seeded by ``(seed, i)``, stopped early at an exact fit or when the time is up, each finished
restart saved under ``checkpoint`` so a rerun resumes). Ctrl-C inside a step returns the last
complete integral iterate (the block-coordinate loop's rule) and stops further restarts.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace

import numpy as np

from ..checks import check_positive_int
from ..status import Kind, Status
from .block_coordinate import run_sweeps
from .restarts import checkpoint_for, restart_seed, run_restarts

__all__ = ["SearchResult", "alternating_integer", "relax", "round_nearest",
           "round_randomized", "relax_round", "RECORD_FIELDS"]

IMPROVE_TOL = 1e-12
"""A repair sweep that lowers the loss by less than this (relative) is "no improvement"."""


def round_nearest(A: np.ndarray, bound: int) -> np.ndarray:
    """Entrywise nearest integer in [0, bound] (int64)."""
    return np.clip(np.rint(A), 0, bound).astype(np.int64)


def round_randomized(A: np.ndarray, bound: int, rng: np.random.Generator) -> np.ndarray:
    """⌊a⌋ + Bernoulli(a − ⌊a⌋) entrywise, in [0, bound] (int64): E[round(a)] = a."""
    A = np.clip(A, 0, bound)
    low = np.floor(A)
    return np.clip(low + (rng.random(A.shape) < (A - low)), 0, bound).astype(np.int64)


@dataclass(frozen=True)
class SearchResult:
    """An integral (W, H) with its loss, history and why the search stopped."""

    W: np.ndarray
    H: np.ndarray
    loss: float
    stop: Status
    n_iter: int
    history: tuple[float, ...]
    times: tuple[float, ...]
    relaxed_loss: float = float("nan")


def _deadline_left(deadline):
    return None if deadline is None else max(deadline - time.perf_counter(), 0.0)


def alternating_integer(steps, W0, H0, *, max_iter: int = 100,
                        deadline: float | None = None, progress: float | None = None,
                        loss_scale: float | None = None) -> SearchResult:
    """Exact MI steps H ← argmin_H L(W, H), W ← argmin_W L(W, H) until no sweep improves.

    Stops with "local optimum: no one-factor step improves" (every column is optimal given
    the other factor, or nothing better was found in time), an exact fit, the time limit
    (``deadline``, a ``time.perf_counter()`` value), ``max_iter`` sweeps, or Ctrl-C.
    """
    W0 = np.asarray(W0, dtype=np.int64)
    H0 = np.asarray(H0, dtype=np.int64)
    limited = {"any": False}

    def update_H(b):
        res = steps.step_H(b[1], b[0], deadline)
        limited["any"] |= res.columns_limited > 0
        return res.H

    def update_W(b):
        res = steps.step_W(b[1], b[0], deadline)
        limited["any"] |= res.columns_limited > 0
        return res.H

    def sweeps(blocks, count):
        return run_sweeps(blocks, (update_H, update_W), lambda b: steps.value(b[1], b[0]),
                          max_iter=count, tol=IMPROVE_TOL, time_limit=_deadline_left(deadline),
                          callback=None, progress=progress, loss_scale=loss_scale,
                          loss_name=f"integer {steps.loss}")

    max_iter = check_positive_int(max_iter, "max_iter", low=0)
    res = sweeps((H0, W0), max_iter)
    history, times, n_iter = list(res.history), list(res.times), res.n_iter
    if str(res.stop_reason).startswith("loss increased") and n_iter < max_iter:
        # Only a start that violates a constraints= hook (a rounded one) can make an exact
        # step raise the loss; from the now feasible iterate the steps are monotone.
        res = sweeps(res.blocks, max_iter - n_iter)
        history += res.history[1:]
        times += [times[-1] + t for t in res.times[1:]]
        n_iter += res.n_iter
    H, W = res.blocks
    stop = res.stop_reason
    text = str(stop)
    if text.startswith("tol reached"):
        if limited["any"] or (deadline is not None and time.perf_counter() >= deadline):
            stop = Status(Kind.TIME_LIMIT, f"time limit after {n_iter} sweeps")
        else:
            stop = Status(Kind.STOPPED,
                          f"local optimum: no one-factor step improves (after {n_iter} sweeps)")
    elif limited["any"] and getattr(stop, "kind", None) is Kind.STOPPED \
            and not text.startswith("exact fit"):
        stop = Status(Kind.TIME_LIMIT, f"time limit after {n_iter} sweeps")
    return SearchResult(W, H, steps.value(W, H), stop, n_iter, tuple(history), tuple(times))


def relax(steps, W0, H0, *, max_iter: int = 30, tol: float = 1e-4,
          deadline: float | None = None):
    """Alternate the continuous relaxations from (W0, H0): (W̃, H̃, loss, stop reason)."""
    X = steps.X
    res = run_sweeps(
        (np.asarray(H0, float), np.asarray(W0, float)),
        (lambda b: steps.relax_H(b[1]), lambda b: steps.relax_W(b[0])),
        lambda b: steps.value(b[1], b[0]), max_iter=max_iter, tol=tol,
        time_limit=_deadline_left(deadline), callback=None, progress=None,
        loss_scale=float(np.vdot(X, X)) if steps.loss == "frobenius" else None,
        loss_name="relaxed")
    H, W = res.blocks
    return W, H, steps.value(W, H), res.stop_reason


RECORD_FIELDS = ("W", "H", "loss", "relaxed_loss", "stop", "stop_kind", "n_iter", "history",
                 "times")


def _record(result: SearchResult) -> dict:
    return {"W": result.W, "H": result.H, "loss": np.float64(result.loss),
            "relaxed_loss": np.float64(result.relaxed_loss), "stop": np.array(str(result.stop)),
            "stop_kind": np.array(getattr(result.stop, "kind", Kind.STOPPED).value),
            "n_iter": np.int64(result.n_iter), "history": np.asarray(result.history, float),
            "times": np.asarray(result.times, float)}


def record_result(record: dict) -> SearchResult:
    """A restart record (possibly read back from a checkpoint) as a :class:`SearchResult`."""
    return SearchResult(np.asarray(record["W"], np.int64), np.asarray(record["H"], np.int64),
                        float(record["loss"]),
                        Status(Kind(str(record["stop_kind"])), str(record["stop"])),
                        int(record["n_iter"]), tuple(np.asarray(record["history"]).tolist()),
                        tuple(np.asarray(record["times"]).tolist()),
                        float(record["relaxed_loss"]))


def relax_round_once(steps, rng: np.random.Generator, *, rounding: str = "both",
                     draws: int = 10, W0=None, H0=None, relax_iter: int = 30,
                     max_iter: int = 100, deadline=None, progress=None,
                     do_relax: bool = True) -> SearchResult:
    """One restart: start (seeded uniform on [0, u], or W0/H0) → relax → round → repair.

    The result's ``times`` are seconds since this restart began (the relaxation and the
    rounding included), its ``history`` the integral loss after rounding and each repair sweep.
    """
    began = time.perf_counter()
    m, n = steps.X.shape
    k, u = steps.k, steps.bound
    W0 = rng.uniform(0, u, (m, k)) if W0 is None else np.asarray(W0, float)
    H0 = rng.uniform(0, u, (k, n)) if H0 is None else np.asarray(H0, float)
    relaxed_loss = float("nan")
    if do_relax:
        Wt, Ht, relaxed_loss, why = relax(steps, W0, H0, max_iter=relax_iter, deadline=deadline)
    else:
        Wt, Ht = W0, H0
    candidates = []
    if rounding in ("nearest", "both") or draws == 0:
        candidates.append((round_nearest(Wt, u), round_nearest(Ht, u)))
    if rounding in ("randomized", "both"):
        candidates += [(round_randomized(Wt, u, rng), round_randomized(Ht, u, rng))
                       for _ in range(draws)]
    W, H = min(candidates, key=lambda c: steps.value(*c))
    scale = float(np.vdot(steps.X, steps.X)) if steps.loss == "frobenius" else None
    lead = time.perf_counter() - began
    found = alternating_integer(steps, W, H, max_iter=max_iter, deadline=deadline,
                                progress=progress, loss_scale=scale)
    return SearchResult(found.W, found.H, found.loss, found.stop, found.n_iter, found.history,
                        tuple(lead + t for t in found.times), relaxed_loss)


def relax_round(steps, *, restarts: int = 10, seed=0, rounding: str = "both",
                draws: int = 10, W0=None, H0=None, relax_first: bool = True,
                max_iter: int = 100, time_limit: float | None = None, n_jobs: int = 1,
                checkpoint=None, checkpoint_key: dict | None = None,
                progress: float | None = None) -> tuple[SearchResult, list[SearchResult], str]:
    """Restarts of :func:`relax_round_once` (``relax_first=False``: plain alternating MI steps
    from the rounded start): (best, all restarts run, checkpoint note).

    Sequential restarts stop at the first exact fit (loss 0), when ``time_limit`` seconds have
    passed, or on Ctrl-C; ``n_jobs > 1`` runs all of them through joblib. With
    ``checkpoint`` (a directory) each finished restart is saved, keyed by ``checkpoint_key``
    (which must name everything that changes a restart: data, k, bound, loss, options; a key
    part that cannot be fingerprinted disables the cache with a warning). Each restart's
    ``times`` are seconds since this call began (``time.perf_counter``, system-wide, so also
    for joblib workers); a restart read back from a checkpoint keeps its original times.
    """
    restarts = check_positive_int(restarts, "restarts")
    start = time.perf_counter()
    deadline = None if time_limit is None else start + time_limit
    ck, note = checkpoint_for(checkpoint, RECORD_FIELDS, **(checkpoint_key or {}))

    def run(i):
        offset = time.perf_counter() - start
        rng = np.random.default_rng(restart_seed(seed, i))
        give_W = W0 if i == 0 else None
        give_H = H0 if i == 0 else None
        res = relax_round_once(steps, rng, rounding=rounding, draws=draws, W0=give_W,
                               H0=give_H, max_iter=max_iter, deadline=deadline,
                               progress=progress, do_relax=relax_first)
        res = replace(res, times=tuple(offset + t for t in res.times))
        if progress is not None:
            print(f"[nnmf] restart {i}: {steps.loss} loss {res.loss:.6g} ({res.stop}) "
                  f"{time.perf_counter() - start:8.1f} s", file=sys.stderr, flush=True)
        return _record(res)

    def stop(record):
        kind = Kind(str(record["stop_kind"]))
        return kind in (Kind.INTERRUPTED, Kind.TIME_LIMIT) or (
            deadline is not None and time.perf_counter() >= deadline)

    records = run_restarts(run, restarts, accept=lambda r: float(r["loss"]) == 0.0, stop=stop,
                           n_jobs=n_jobs, checkpoint=ck)
    results = [record_result(r) for r in records]
    best = min(results, key=lambda r: r.loss)
    return best, results, note
