"""Integer NMF: X ≈ WH with W ∈ {0, …, u}^{m×k} and H ∈ {0, …, u}^{k×n} (u = ``bound``).

    minimize  L(X − WH)   over integer W, H with 0 ≤ W, H ≤ u,   constraints_W(W), constraints_H(H)

with L the Frobenius loss ‖·‖²_F (each one-factor step an MIQP, SCIP) or the entrywise ℓ1
loss Σ|·| (an MILP, HiGHS). Methods (:func:`integer_nmf`):

* ``"relax_round"`` — relax, round (nearest and randomized), repair by exact mixed-integer
  one-factor steps, over seeded restarts (:mod:`nnmf_research.drivers.relax_round`);
* ``"alternating"`` — the exact mixed-integer steps alone from a rounded random start (or the
  given W0, H0), over restarts (Dong, Lin & Park, J. Sci. Comput. 2018);
* ``"exact"`` — the joint model over both factors with the products linearized
  (:func:`nnmf_research.models.integer.joint_integer_model`), for small instances: its dual
  bound proves how far any answer can be from the optimum. Branch and bound alone rarely finds
  good factorizations (README, "Integer and Boolean NMF"), so relax-and-round restarts get the
  first third of the time and the better of the two answers is returned with the MIP's bound
  (the MIP is skipped when the restarts already meet a lower bound, e.g. an exact fit).

Every answer carries a proved lower bound on the optimum of the whole problem: for the
Frobenius loss at least the Eckart–Young bound Σ_{i>k} σ_i(X)² (WH has rank ≤ k), for the
exact method the MIP's dual bound; ``gap`` = (loss − lower_bound)/loss, and the status is
"optimal" only when the gap is 0. The factors are int64 arrays within [0, u] exactly, and the
loss is recomputed from them.

Example
-------
>>> import numpy as np
>>> W0 = np.array([[1, 0], [2, 1], [0, 1]]); H0 = np.array([[1, 0, 2], [0, 3, 1]])
>>> fit = integer_nmf(W0 @ H0, 2, bound=3, random_state=0)
>>> fit.loss, fit.status, fit.W.dtype
(0.0, 'optimal', dtype('int64'))
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .checks import NMFInputError, check_choice, check_matrix, check_nonnegative_real, \
    check_positive_int, check_rank, check_random_state
from .drivers.relax_round import relax_round
from .models.integer import (LOSSES, StepResult, check_bound, format_gap, integer_model,
                             joint_integer_model, loss_value, relative_gap)
from .status import Kind, Status

__all__ = ["integer_nmf", "h_step_gap", "IntegerFactorization", "IntegralFactors",
           "IntegerSteps", "describe", "eckart_young_bound", "incumbent_trace", "METHODS", "EXACT_MAX_PRODUCTS"]

METHODS = ("relax_round", "alternating", "exact")

EXACT_MAX_PRODUCTS = 20000
"""The exact joint model is refused above this many linearized products m·n·k·⌈log₂(u+1)⌉."""


class IntegralFactors:
    """What the integer and Boolean records share: k and the status's kind."""

    @property
    def k(self) -> int:
        return int(self.W.shape[1])

    @property
    def status_kind(self) -> Kind:
        return getattr(self.status, "kind", Kind.OK)


@dataclass
class IntegerSteps:
    """The compiled one-factor models of one problem: per-column MI models for H and Wᵀ, and
    whole-factor relaxations. ``last`` holds the latest MI :class:`StepResult` of each factor."""

    X: np.ndarray
    k: int
    bound: int
    loss: str = "frobenius"
    constraints_W: Callable | None = None
    constraints_H: Callable | None = None
    solver: str | None = None
    mip_time_limit: float | None = None
    column_jobs: int = 1
    last: dict = field(default_factory=dict)

    def __post_init__(self):
        m, n = self.X.shape
        common = dict(bound=self.bound, loss=self.loss, solver=self.solver,
                      time_limit=self.mip_time_limit)
        self.mi_H = integer_model(self.k, 1, m=m, constraints=self.constraints_H, **common)
        self.mi_W = integer_model(self.k, 1, m=n, constraints=self.constraints_W, **common)
        self._relaxed = None

    def relax_H(self, W) -> np.ndarray:
        """argmin over 0 ≤ H ≤ u of the loss (the continuous relaxation), W fixed."""
        return self.relaxed()[0].solve_columns(self.X, W).H

    def relax_W(self, H) -> np.ndarray:
        return self.relaxed()[1].solve_columns(self.X.T, H.T).H.T

    def relaxed(self):
        """(H-model, Wᵀ-model) relaxations over whole factors, built on first use."""
        if self._relaxed is None:
            m, n = self.X.shape
            common = dict(bound=self.bound, loss=self.loss, relax=True)
            self._relaxed = (
                integer_model(self.k, n, m=m, constraints=self.constraints_H, **common),
                integer_model(self.k, m, m=n, constraints=self.constraints_W, **common))
        return self._relaxed

    def step_H(self, W, H, deadline=None) -> StepResult:
        res = self.mi_H.solve_columns(self.X, W, H, deadline=deadline, n_jobs=self.column_jobs)
        self.last["H"] = res
        return res

    def step_W(self, W, H, deadline=None) -> StepResult:
        res = self.mi_W.solve_columns(self.X.T, H.T, W.T, deadline=deadline,
                                      n_jobs=self.column_jobs)
        self.last["W"] = res
        return StepResult(res.H.T, res.loss, res.bound, res.status, res.seconds,
                          res.columns_limited)

    def value(self, W, H) -> float:
        return loss_value(self.loss, self.X, W, H)

    def violations(self, W, H) -> str:
        """"" when W and H satisfy the ``constraints_W`` / ``constraints_H`` hooks, else which
        columns of H and rows of W do not (e.g. "columns [3] of H")."""
        bad = []
        if self.constraints_H is not None:
            cols = self.mi_H.violating_blocks(H)
            bad += [f"columns {cols} of H"] if cols else []
        if self.constraints_W is not None:
            rows = self.mi_W.violating_blocks(np.asarray(W).T)
            bad += [f"rows {rows} of W"] if rows else []
        return " and ".join(bad)


@dataclass(frozen=True)
class IntegerFactorization(IntegralFactors):
    """X ≈ W @ H with integer W (m×k), H (k×n) in [0, bound].

    Attributes
    ----------
    W, H : ndarray of int64
        The factors, integral and within [0, bound] exactly.
    loss : float
        ``loss_name`` of X − WH recomputed from W and H.
    lower_bound : float
        A proved lower bound on the optimal loss over all integer factors (module docstring).
    gap : float
        (loss − lower_bound) / loss; 0 means proved optimal.
    status : str
        "optimal", "time limit (gap 3.2%)", "interrupted (gap …)", or the search's stop with
        its gap ("local optimum: no one-factor step improves … (gap 12% to the best bound)").
    method, loss_name : str
    bound : int
    n_iter : int
        Sweeps of exact one-factor steps in the best restart.
    restarts : int
        Restarts run.
    history, times : tuple of float
        The incumbent trace: the best integral loss found so far (over every restart's
        rounding and repair sweeps, then the exact model's answer) against seconds since the
        fit began; it ends at (``seconds``, ``loss``). See :func:`incumbent_trace`.
    diagnostics : dict
        ``relaxed_loss`` (the box-relaxed local solution the best restart rounded),
        ``h_step_relaxation`` / ``h_step_integer`` (with the final W fixed: the optimum of the
        relaxed and the integer H-step, their difference the step's integrality gap),
        ``restart_losses``, the exact model's ``mip_bound`` / ``mip_status`` / ``mip_loss``.
    """

    W: np.ndarray
    H: np.ndarray
    loss: float
    lower_bound: float
    gap: float
    status: str
    method: str
    loss_name: str
    bound: int
    n_iter: int = 0
    restarts: int = 0
    seconds: float = 0.0
    history: tuple[float, ...] = ()
    times: tuple[float, ...] = ()
    diagnostics: dict = field(default_factory=dict, repr=False)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (no factor matrices)."""
        return {"shape": [int(self.W.shape[0]), int(self.H.shape[1])], "k": self.k,
                "method": self.method, "loss_name": self.loss_name, "bound": self.bound,
                "loss": float(self.loss), "lower_bound": float(self.lower_bound),
                "gap": float(self.gap), "status": str(self.status), "n_iter": self.n_iter,
                "restarts": self.restarts, "seconds": float(self.seconds)}


def h_step_gap(steps: IntegerSteps, W, H, time_limit: float | None = None) -> dict:
    """The final H-step's integrality gap with W fixed: ``h_step_relaxation`` (the optimum
    of the relaxation 0 ≤ H ≤ u) and ``h_step_integer`` (the integer optimum, from H as
    incumbent; a lower bound on it too when a column hits ``time_limit``)."""
    relaxed = steps.relaxed()[0].solve_columns(steps.X, W).loss
    integer = steps.mi_H.solve_columns(steps.X, W, H, time_limit=time_limit)
    return {"h_step_relaxation": relaxed, "h_step_integer": integer.loss,
            "h_step_integer_bound": integer.bound}


def incumbent_trace(results, end: float, final: float) -> tuple[tuple, tuple]:
    """(history, times): the running minimum of every restart's (time, loss) points, merged
    in time order (restarts' ``times`` are seconds since the search began), then ``final``
    at ``end`` seconds (the answer returned, e.g. the exact model's)."""
    points = sorted((t, v) for r in results for t, v in zip(r.times, r.history))
    points.append((max(end, points[-1][0] if points else 0.0), final))
    times = [t for t, _ in points]
    history = np.minimum.accumulate([v for _, v in points])
    return tuple(float(v) for v in history), tuple(float(t) for t in times)


def eckart_young_bound(X: np.ndarray, k: int) -> float:
    """Σ_{i>k} σ_i(X)², less a rounding margin: ‖X − WH‖²_F ≥ it for every W, H of inner
    dimension k (Eckart & Young 1936), so it bounds every integer factorization's loss."""
    s = np.linalg.svd(X, compute_uv=False)
    tail = float(np.sum(s[k:] ** 2))
    margin = 1e-10 * float(np.sum(s ** 2)) + 1e-12
    return max(tail - margin, 0.0)


def _integer_start(W0, H0, shape_W, shape_H, u):
    out = []
    for name, A, shape in (("W0", W0, shape_W), ("H0", H0, shape_H)):
        if A is None:
            out.append(None)
            continue
        A = check_matrix(A, name)
        if A.shape != shape:
            raise NMFInputError(f"{name} has shape {A.shape}, expected {shape}")
        if (A > u).any():
            idx = tuple(int(i) for i in np.argwhere(A > u)[0])
            raise NMFInputError(f"{name} entry {idx} = {A[idx]:g} exceeds bound={u}")
        out.append(A)
    return out


def integer_nmf(X, k: int, *, bound: int = 1, loss: str = "frobenius",
                method: str = "relax_round", time_limit: float | None = 60,
                random_state=0, restarts: int = 10, draws: int = 10, W0=None, H0=None,
                max_iter: int = 100, mip_time_limit: float | None = None,
                constraints_W: Callable | None = None, constraints_H: Callable | None = None,
                solver: str | None = None, n_jobs: int = 1, column_jobs: int = 1,
                checkpoint=None, progress: float | None = None) -> IntegerFactorization:
    """Integer NMF by relax-and-round, alternating mixed-integer steps, or the exact model.

    Parameters
    ----------
    X : (m, n) array, ≥ 0
    k : int in [1, min(m, n)]
    bound : int ≥ 1
        Entries of W and H lie in {0, …, bound} (1: binary factors, ordinary product).
    loss : {"frobenius", "l1"}
    method : {"relax_round", "alternating", "exact"}
    time_limit : seconds for the whole run (None: no limit); when it is hit the best
        integral factorization so far is returned with status "time limit (gap g)".
    random_state : int seed (restart i uses the seed sequence (seed, i)), a Generator (a
        seed is drawn from it) or None
    restarts, draws : restarts; randomized roundings per restart
    W0, H0 : optional start (restart 0 only), entries in [0, bound]
    max_iter : repair sweeps per restart
    mip_time_limit : seconds per column MIP (default: whatever is left of ``time_limit``)
    constraints_W, constraints_H : ``constraints(Variable)`` hooks: W's act on a k×1 (per
        column) or k×m (relaxation) block of Wᵀ, H's on a k×1 or k×n block of H; the answer
        is the best restart that satisfies them, or, when none does (no column solution in
        time from a start that violates them), status FAILED naming the columns
    solver : MIP solver (SCIP for frobenius; HIGHS or SCIP for l1)
    n_jobs : restarts in parallel through joblib
    column_jobs : the columns of each mixed-integer step in parallel through joblib (use one
        of the two: both at once oversubscribe the cores)
    checkpoint : directory: each finished restart is saved there and reused by a rerun
    progress : seconds between progress lines on stderr (None: silent)
    """
    X = check_matrix(X, finite_norm=True)
    m, n = X.shape
    k = check_rank(k, X.shape)
    u = check_bound(bound)
    loss = check_choice(loss, "loss", LOSSES)
    method = check_choice(method, "method", METHODS)
    time_limit = check_nonnegative_real(time_limit, "time_limit", allow_none=True)
    restarts = check_positive_int(restarts, "restarts")
    draws = check_positive_int(draws, "draws", low=0)
    rng = check_random_state(random_state)
    # An int is the restarts' seed itself; a Generator (or None) draws one.
    seed = random_state if isinstance(random_state, int) else int(rng.integers(2**31 - 1))
    W0, H0 = _integer_start(W0, H0, (m, k), (k, n), u)
    digits = max(1, math.ceil(math.log2(u + 1)))
    if method == "exact" and m * n * k * digits > EXACT_MAX_PRODUCTS:
        raise NMFInputError(
            f"method='exact' builds m·n·k·⌈log2(bound+1)⌉ = {m * n * k * digits} linearized "
            f"products, more than {EXACT_MAX_PRODUCTS}: use 'relax_round' for this size")
    if method == "exact" and (constraints_W is not None or constraints_H is not None):
        raise NMFInputError("method='exact' does not take constraints_W / constraints_H")
    start = time.perf_counter()
    steps = IntegerSteps(X, k, u, loss, constraints_W=constraints_W,
                         constraints_H=constraints_H, solver=solver,
                         mip_time_limit=mip_time_limit,
                         column_jobs=check_positive_int(column_jobs, "column_jobs"))
    lower = eckart_young_bound(X, k) if loss == "frobenius" else 0.0
    diagnostics: dict = {}
    search_time = time_limit if method != "exact" or time_limit is None else time_limit / 3
    key = None
    if checkpoint is not None:
        key = dict(X=X, k=k, bound=u, loss=loss, method=method, time_limit=search_time,
                   seed=seed, restarts=restarts, draws=draws, W0=W0, H0=H0,
                   max_iter=max_iter, mip_time_limit=mip_time_limit, solver=solver,
                   constraints_W=constraints_W, constraints_H=constraints_H)
    best, results, note = relax_round(
        steps, restarts=restarts, seed=seed, draws=draws, W0=W0, H0=H0,
        relax_first=method != "alternating", max_iter=max_iter, time_limit=search_time,
        n_jobs=n_jobs, checkpoint=checkpoint, checkpoint_key=key, progress=progress)
    violated = ""
    if constraints_W is not None or constraints_H is not None:
        # A restart whose column MIPs found nothing in time keeps its (rounded) start where
        # it violates a hook: answer with the best restart that satisfies them, else fail.
        checked = [(r, steps.violations(r.W, r.H)) for r in results]
        feasible = [r for r, bad in checked if not bad]
        if feasible:
            best = min(feasible, key=lambda r: r.loss)
        else:
            violated = min(checked, key=lambda c: c[0].loss)[1]
    W, H, value, stop = best.W, best.H, best.loss, best.stop
    diagnostics["relaxed_loss"] = best.relaxed_loss
    diagnostics["restart_losses"] = [r.loss for r in results]
    if note:
        diagnostics["checkpoint"] = note
    if method == "exact" and relative_gap(value, min(lower, value)) == 0.0:
        diagnostics["mip_status"] = "not needed: the search met the lower bound"
    elif method == "exact":
        left = None if time_limit is None else max(time_limit - (time.perf_counter() - start), 1.0)
        model = joint_integer_model(X, k, bound=u, loss=loss, solver=solver)
        Wm, Hm, mip_loss, mip_bound, mip_status = model.solve(time_limit=left)
        diagnostics.update(mip_bound=mip_bound, mip_status=str(mip_status), mip_loss=mip_loss)
        lower = max(lower, mip_bound)
        if Wm is not None and mip_loss < value:
            W, H, value = Wm, Hm, mip_loss
        stop = mip_status if mip_status.kind is Kind.TIME_LIMIT else Status(
            Kind.STOPPED, "the joint model is solved")
    lower = min(lower, value)
    if getattr(stop, "kind", None) not in (Kind.TIME_LIMIT, Kind.INTERRUPTED):
        diagnostics.update(h_step_gap(steps, W, H))
    status = describe(value, lower, stop)
    if violated:
        status = Status(Kind.FAILED, f"failed: no restart satisfies the constraints ({violated} "
                                     f"violate them: no solution within the time limit from "
                                     f"a start that violates them); W, H are not a solution")
        diagnostics["constraints_violated"] = violated
    final = loss_value(loss, X, W, H)
    seconds = time.perf_counter() - start
    history, times = incumbent_trace(results, seconds, final)
    return IntegerFactorization(
        W=np.asarray(W, np.int64), H=np.asarray(H, np.int64), loss=final,
        lower_bound=lower, gap=relative_gap(value, lower), status=status, method=method,
        loss_name=loss, bound=u, n_iter=best.n_iter, restarts=len(results),
        seconds=seconds, history=history, times=times, diagnostics=diagnostics)


def describe(loss: float, bound: float, stop: Status) -> Status:
    """The fit's status: "optimal" when the loss meets a proved bound, else why it stopped
    with the gap to the best bound ("time limit (gap 3.2%)")."""
    gap = relative_gap(loss, bound)
    if gap == 0.0:
        return Status(Kind.OK, "optimal")
    kind = getattr(stop, "kind", Kind.STOPPED)
    if kind is Kind.TIME_LIMIT:
        return Status(Kind.TIME_LIMIT, f"time limit (gap {format_gap(gap)})")
    if kind is Kind.INTERRUPTED:
        return Status(Kind.INTERRUPTED, f"interrupted (gap {format_gap(gap)})")
    return Status(Kind.STOPPED, f"{stop} (gap {format_gap(gap)} to the best bound)")
