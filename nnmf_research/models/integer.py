"""Mixed-integer one-factor models of integer and Boolean NMF, and their continuous relaxations.

One builder, :func:`integer_model`, gives the subproblem of one factor with the other fixed,
over a block of ``n`` columns (``n = 1``: the per-column model the drivers re-solve column by
column; ``n`` = all columns: the joint model). Entries lie in {0, 1, …, u} (``bound = u``;
u = 1 is binary)::

    frobenius   minimize_H  ‖R H‖²_F − 2⟨C, H⟩          (= ‖X − WH‖²_F − ‖X‖²_F)      MIQP (SCIP)
                Parameters  R (k×k, RᵀR = WᵀW),  C = WᵀX (k×n)
    l1          minimize_H  Σ_ij |X − W H|_ij                                           MILP (HiGHS)
                Parameters  X (m×n),  W (m×k)
    subject to  H ∈ {0, …, u}^{k×n}   (relax=True: 0 ≤ H ≤ u, a QP / LP),  constraints(H)

The problem is column-separable, so one compiled per-column model (a k×1 Variable) solved over
the columns is the same minimisation as the joint one and is much faster under branch and
bound (an independent re-implementation measured 5× at 30×40, k = 4; the toolkit's measurement is in README,
"Integer and Boolean NMF"). The W-step is the same model on the transposed problem. The
relaxation's optimum is a lower bound on the mixed-integer optimum of the same model: the
integrality gap of a step is a number, not a guess. Source: Dong, Lin & Park, "Integer matrix
approximation and data mining", J. Sci. Comput. 2018 (alternating integer least squares).

Two whole-problem models live here too:

* :func:`boolean_model` — Boolean matrix factorization X ≈ A∘B over the Boolean semiring
  ((A∘B)_ij = OR_l A_il B_lj), the compact integer program of Kovács, Günlük & Hauser,
  "Binary matrix factorisation and completion via integer programming", Math. Oper. Res. 49
  (2024), with entry weights w (multiplicities of merged duplicate rows and columns)::

      minimize    Σ_{x_ij=0} w_ij z_ij − Σ_{x_ij=1} w_ij z_ij      (+ Σ_{x_ij=1} w_ij = errors)
      subject to  y_ilj ≤ a_il,  y_ilj ≤ b_lj,  y_ilj ≥ a_il + b_lj − 1   (McCormick: y = a·b)
                  y_ilj ≤ z_ij            for x_ij = 0   (a covered zero is an error)
                  z_ij ≤ Σ_l y_ilj        for x_ij = 1   (a one is right only if covered)
                  a, b binary;  0 ≤ y, z ≤ 1

* :func:`joint_integer_model` — the exact model with both factors integer: H's entries in
  binary digits, H_lj = Σ_t 2ᵗ β_ljt, and each product W_il β_ljt linearized exactly
  (p ≤ u β, p ≤ W_il, p ≥ W_il − u(1 − β), p ≥ 0), so (WH)_ij = Σ_l Σ_t 2ᵗ p_iljt is linear and
  the Frobenius (MIQP) or ℓ1 (MILP) loss of X − WH is minimised over W and H at once.

Every mixed-integer solve goes through :func:`solve_mip`: a time limit returns the incumbent
with status "time limit (gap g)" and never raises; the solver's dual bound comes back with
every answer. Only SCIP (MIQP and MILP) and HiGHS (MILP) report both, so those are the
solvers these models accept (:func:`check_mip_solver` names the installed ones otherwise).

No MIP start is passed. In the installed CVXPY (1.9.3) the SCIP interface builds a fresh
``pyscipopt.Model`` per solve and ignores ``warm_start`` and every variable's ``.value``;
the HiGHS interface's ``warm_start`` hands HiGHS the *previous solve's* solution of the same
cached problem (here: the previous column's, auxiliary variables included), not the
incumbent column. Passing the incumbent therefore needs pyscipopt directly, and that was
measured not to pay (``min t, t ≥ ‖x − Wh‖², h ∈ {0..3}⁶``, 18 digit columns, W random in
{0..3}: SCIP cold 0.60 s median (0.14–0.92), started from the optimum 0.52 s (0.25–0.84), the
CVXPY model 0.46 s (0.19–0.71), load average 10.6 on 2 cores): SCIP finds these columns'
optimum early by itself and spends the time proving it, which a start does not shorten.

Example
-------
>>> import numpy as np
>>> W = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
>>> X = W @ np.array([[2.0, 0.0], [1.0, 3.0]])
>>> model = integer_model(2, 1, bound=3)
>>> step = model.solve_columns(X, W)
>>> step.H.tolist(), step.status
([[2, 0], [1, 3]], 'optimal')
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import Callable, Mapping

import cvxpy as cp
import numpy as np

from ..checks import (NMFInputError, SolverFailedError, SolverUnavailableError, check_choice,
                      check_nonnegative_real, check_positive_int)
from ..gram import gram_square_root
from ..status import Kind, Status
from .subproblem import Subproblem, extra_constraints

__all__ = ["integer_model", "IntegerModel", "MIPOutcome", "StepResult", "solve_mip",
           "check_mip_solver", "check_bound", "boolean_model", "BooleanModel",
           "joint_integer_model", "JointIntegerModel", "MIQP_SOLVERS", "MILP_SOLVERS",
           "LOSSES", "format_gap"]

LOSSES = ("frobenius", "l1")
MIQP_SOLVERS = ("SCIP",)
"""Solvers that take the Frobenius integer model (a mixed-integer convex quadratic program)."""
MILP_SOLVERS = ("HIGHS", "SCIP")
BOOLEAN_SOLVERS = ("SCIP", "HIGHS")
"""The Boolean model's order of preference: SCIP was 2–3× faster than HiGHS on J − I."""
"""Solvers that take the ℓ1 and Boolean models (mixed-integer linear programs)."""

_TIME_OPTION = {"SCIP": "limits/time", "HIGHS": "time_limit"}
_EXACT_OPTIONS = {"HIGHS": {"mip_rel_gap": 0.0, "mip_abs_gap": 1e-9},
                  "SCIP": {}}
RELAX_SOLVER = {"frobenius": "CLARABEL", "l1": "HIGHS"}
RELAX_CLARABEL_OPTIONS = {"tol_gap_abs": 1e-8, "tol_gap_rel": 1e-8, "tol_feas": 1e-8}
"""The continuous relaxations: a box QP (CLARABEL, interior point) and an LP (HiGHS)."""


def check_bound(bound) -> int:
    """The entry bound u as an int ≥ 1 (u = 1: binary), else a named error."""
    if isinstance(bound, float) and bound.is_integer():
        bound = int(bound)
    return check_positive_int(bound, "bound")


def check_mip_solver(solver: str | None, kind: str, prefer: tuple[str, ...] | None = None) -> str:
    """The solver for a mixed-integer model of ``kind`` ("miqp" or "milp"), checked.

    ``None`` picks the first installed of :data:`MIQP_SOLVERS` / :data:`MILP_SOLVERS`. A missing
    or unsuitable solver raises :class:`~nnmf_research.checks.SolverUnavailableError` naming
    what is needed and what is installed.
    """
    allowed = MIQP_SOLVERS if kind == "miqp" else MILP_SOLVERS
    what = ("a mixed-integer quadratic solver (the Frobenius integer model)" if kind == "miqp"
            else "a mixed-integer linear solver (the l1 and Boolean models)")
    installed = sorted(cp.installed_solvers())
    if solver is None:
        for name in prefer or allowed:
            if name in installed:
                return name
        raise SolverUnavailableError(
            f"{what} is needed: one of {list(allowed)}, none installed; installed: {installed}")
    name = str(solver).upper()
    if name not in allowed:
        raise SolverUnavailableError(
            f"solver {solver!r} cannot be used for {what}: supported {list(allowed)}; "
            f"installed: {installed}")
    if name not in installed:
        raise SolverUnavailableError(
            f"solver {solver!r} is not installed; installed: {installed}")
    return name


def format_gap(gap: float) -> str:
    """A relative gap as people read it: '3.2%', '0%', 'unknown'."""
    if gap is None or not np.isfinite(gap):
        return "unknown"
    return f"{100 * gap:.3g}%"


GAP_TOL = 1e-6
"""A relative gap below this is 0: the solvers prove bounds to about their feasibility
tolerance (1e-6), and a Gram-form bound loses a few more digits to cancellation."""


def relative_gap(value: float, bound: float) -> float:
    """(value − bound) / max(|value|, 1e-12) clipped at 0; 0 below :data:`GAP_TOL`."""
    if not (np.isfinite(value) and np.isfinite(bound)):
        return float("inf")
    diff = max(value - bound, 0.0)
    if diff <= GAP_TOL * max(1.0, abs(value)):
        return 0.0
    return diff / max(abs(value), 1e-12)


@dataclass(frozen=True)
class MIPOutcome:
    """One solve of a (mixed-integer or relaxed) model.

    ``value`` is the Variable's value (None when the solver found no solution in time);
    ``objective`` the model's objective there, ``bound`` the solver's proved lower bound on the
    model's optimum (= objective for a solved relaxation), ``status`` a
    :class:`~nnmf_research.status.Status` ("optimal" or "time limit (gap g)").
    """

    value: np.ndarray | None
    objective: float
    bound: float
    status: Status
    seconds: float


def solve_mip(problem: cp.Problem, variable, solver: str, *, time_limit: float | None = None,
              options: Mapping | None = None, name: str = "model",
              allow_infeasible: bool = False) -> MIPOutcome:
    """Solve a CVXPY (mixed-integer) problem; a time limit is an outcome, never an exception.

    Returns the incumbent with kind TIME_LIMIT when the limit is hit (value None when there is
    none); raises :class:`~nnmf_research.checks.SolverFailedError` only when the solver fails
    for another reason (an error; infeasible too unless ``allow_infeasible``, which returns
    value None, bound +inf and a FAILED status "infeasible"). Ctrl-C caught inside SCIP is
    raised again as ``KeyboardInterrupt``, so the drivers keep their last complete iterate.
    """
    opts = dict(_EXACT_OPTIONS.get(solver, {}))
    opts.update(options or {})
    if time_limit is not None and solver in _TIME_OPTION:
        opts[_TIME_OPTION[solver]] = max(float(time_limit), 0.01)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            # CVXPY calls a time-limited incumbent "inaccurate"; the status below says it.
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            problem.solve(solver=solver, **opts)
    except cp.error.SolverError as exc:
        seconds = time.perf_counter() - start
        if time_limit is not None and seconds >= 0.95 * time_limit:
            # SCIP stopped by its limit before any solution: CVXPY calls that a failure.
            return MIPOutcome(None, float("inf"), float("nan"),
                              Status(Kind.TIME_LIMIT, "time limit (no solution found)"), seconds)
        raise SolverFailedError(f"{solver} failed on model {name!r}: {exc}".strip()) from None
    seconds = time.perf_counter() - start
    stats = problem.solver_stats.extra_stats if problem.solver_stats is not None else None
    status = problem.status
    is_mip = any(v.attributes.get("integer") or v.attributes.get("boolean")
                 for v in problem.variables())
    bound = float("nan")
    hit_limit = False
    if solver == "SCIP" and isinstance(stats, dict) and "model" in stats:
        raw = stats.get("scip_status")
        if raw == "userinterrupt":
            raise KeyboardInterrupt
        hit_limit = raw in ("timelimit", "gaplimit", "nodelimit", "totalnodelimit")
        if is_mip:
            bound = float(stats["model"].getDualbound())
    elif solver == "HIGHS" and stats is not None:
        hit_limit = status == cp.USER_LIMIT
        if is_mip:
            bound = float(getattr(stats, "mip_dual_bound", float("nan")))
    value = variable.value
    if status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE, cp.USER_LIMIT) and value is not None \
            and np.all(np.isfinite(value)):
        objective = float(problem.objective.value)
    else:
        value, objective = None, float("inf")
    if allow_infeasible and status == cp.INFEASIBLE:
        return MIPOutcome(None, float("inf"), float("inf"), Status(Kind.FAILED, "infeasible"),
                          seconds)
    if not hit_limit and status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise SolverFailedError(f"{solver} returned status {status!r} on model {name!r}")
    if not is_mip and value is not None:
        bound = objective
    if not np.isfinite(bound) and not hit_limit:
        bound = objective
    if hit_limit:
        gap = relative_gap(objective, bound)
        detail = (f"time limit (gap {format_gap(gap)})" if value is not None
                  else "time limit (no solution found)")
        return MIPOutcome(value, objective, bound, Status(Kind.TIME_LIMIT, detail), seconds)
    return MIPOutcome(np.asarray(value, dtype=float), objective, bound,
                      Status(Kind.OK, "optimal"), seconds)


def integral(value: np.ndarray, bound: int) -> np.ndarray:
    """A solver's integer-typed values as exact integers in [0, bound] (solvers return floats
    within their feasibility tolerance of an integer)."""
    return np.clip(np.rint(np.asarray(value, dtype=float)), 0, bound).astype(np.int64)


@dataclass(frozen=True)
class StepResult:
    """One one-factor step over all columns: the new factor and what the solver proved.

    ``H`` is integral (int64) within [0, bound] (a relaxation's step: float in [0, bound]);
    ``loss`` is the step's loss ‖X − WH‖²_F or Σ|X − WH| recomputed from ``H``; ``bound`` a
    proved lower bound on the step's optimum (the sum of the column bounds); ``status``
    "optimal" or "time limit (gap g)"; ``columns_limited`` how many columns hit the limit;
    ``columns_infeasible`` how many of those kept an incumbent column that violates a
    ``constraints=`` hook (no solution came in time and the zero column violates it too).
    """

    H: np.ndarray
    loss: float
    bound: float
    status: Status
    seconds: float
    columns_limited: int = 0
    columns_infeasible: int = 0

    @property
    def gap(self) -> float:
        return relative_gap(self.loss, self.bound)


def loss_value(loss: str, X: np.ndarray, W: np.ndarray, H: np.ndarray) -> float:
    """‖X − WH‖²_F (frobenius) or Σ|X − WH| (l1), from the arrays given."""
    R = X - W @ H
    return float(np.vdot(R, R)) if loss == "frobenius" else float(np.abs(R).sum())


class IntegerModel(Subproblem):
    """The compiled one-factor integer (or relaxed) model of :func:`integer_model`."""

    def __init__(self, k, n=1, *, bound, loss="frobenius", m=None, relax=False,
                 constraints=None, solver=None, solver_options=None, time_limit=None):
        self._spec = dict(k=k, n=n, bound=bound, loss=loss, m=m, relax=relax,
                          constraints=constraints, solver=solver,
                          solver_options=solver_options, time_limit=time_limit)
        k = check_positive_int(k, "k")
        n = check_positive_int(n, "n")
        self.bound = check_bound(bound)
        self.loss = check_choice(loss, "loss", LOSSES)
        self.relax = bool(relax)
        self.time_limit = check_nonnegative_real(time_limit, "time_limit", allow_none=True)
        if self.relax:
            from ..checks import check_solver
            solver = check_solver(solver) or RELAX_SOLVER[self.loss]
            if solver == "CLARABEL" and solver_options is None:
                # CLARABEL's own tolerances: the toolkit's 1e-10 (tuned for KL) made it stop
                # at "almost solved" on box-constrained relaxations.
                solver_options = RELAX_CLARABEL_OPTIONS
        else:
            solver = check_mip_solver(solver, "miqp" if self.loss == "frobenius" else "milp")
        H = cp.Variable((k, n), integer=not self.relax, name="H")
        if self.loss == "frobenius":
            R = cp.Parameter((k, k), name="R")
            C = cp.Parameter((k, n), name="WtX")
            objective = cp.sum_squares(R @ H) - 2 * cp.sum(cp.multiply(C, H))
            params = {"R": R, "WtX": C}
        else:
            if m is None:
                raise NMFInputError("the l1 integer model needs m, the number of rows of X")
            m = check_positive_int(m, "m")
            Xp = cp.Parameter((m, n), name="X")
            Wp = cp.Parameter((m, k), name="W")
            objective = cp.sum(cp.abs(Xp - Wp @ H))
            params = {"X": Xp, "W": Wp}
        box = [H >= 0, H <= self.bound]
        problem = cp.Problem(cp.Minimize(objective), box + extra_constraints(constraints, H))
        kind = "relaxed" if self.relax else "integer"
        super().__init__(problem, params, H,
                         name=f"{kind}_{self.loss}(k={k}, n={n}, bound={self.bound})",
                         solver=solver, solver_options=solver_options)
        if not self.relax:
            self.solver_options = dict(solver_options or {})   # no continuous defaults

    @property
    def k(self) -> int:
        return int(self.variable.shape[0])

    @property
    def block(self) -> int:
        """Columns per solve (1 for the per-column model)."""
        return int(self.variable.shape[1])

    def _set(self, X, W):
        if self.loss == "frobenius":
            self.parameters["R"].value = gram_square_root(W.T @ W)
            self._cross = W.T @ X
        else:
            self.parameters["W"].value = W
            self._X = X

    def _solve_block(self, cols, time_limit) -> MIPOutcome:
        if self.loss == "frobenius":
            self.parameters["WtX"].value = self._cross[:, cols]
        else:
            self.parameters["X"].value = self._X[:, cols]
        if self.relax:
            H = self.solve()   # continuous: the Subproblem contract (raises on failure)
            H = np.clip(H, 0, self.bound)
            obj = float(self.problem.value)
            return MIPOutcome(H, obj, obj, Status(Kind.OK, "optimal"), 0.0)
        return solve_mip(self.problem, self.variable, self.solver, time_limit=time_limit,
                         options=self.solver_options, name=self.name)

    def solve_columns(self, X, W, H=None, *, time_limit: float | None = None,
                      deadline: float | None = None, n_jobs: int = 1) -> StepResult:
        """min over H of the model's loss with W fixed, block by block over the columns of X.

        ``H`` (k×n, integral, optional) is the incumbent: a column whose solve finds nothing
        better within its time keeps its value (when it satisfies the constraints), so a step
        from a feasible start never increases the loss. A column that gets no solution in
        time and whose incumbent violates a ``constraints=`` hook (a rounded start) takes the
        zero column if that satisfies the hooks, else it is counted in
        ``columns_infeasible`` and named in the status: never kept silently. Each
        block gets the model's (or the given) ``time_limit``, capped by what is left until
        ``deadline`` (a ``time.perf_counter()`` value); blocks left when it has passed keep
        their incumbent and count as limited. ``n_jobs > 1`` splits the columns into that
        many chunks solved in parallel through joblib, each by a copy of this model built in
        its worker (the same answer: the problem is column-separable).
        """
        X = np.asarray(X, dtype=float)
        W = np.asarray(W, dtype=float)
        n = X.shape[1]
        n_jobs = check_positive_int(n_jobs, "n_jobs")
        if n_jobs > 1 and n // self.block > 1:
            return self._solve_parallel(X, W, H, time_limit, deadline, n_jobs)
        if n % self.block:
            raise NMFInputError(f"model {self.name!r} solves blocks of {self.block} columns; "
                                f"X has {n}")
        limit = self.time_limit if time_limit is None else time_limit
        start = time.perf_counter()
        self._set(X, W)
        out = np.zeros((self.k, n), dtype=float if self.relax else np.int64)
        if H is not None:
            out[:] = H
        total_bound, limited, infeasible = 0.0, 0, 0
        sq = (X * X).sum(axis=0) if self.loss == "frobenius" else None

        def keep_incumbent(cols):
            """No solution for these columns: keep the incumbent if feasible, else zero if
            that is feasible, else count them (only a constraints= hook can make either
            infeasible: both are within the box)."""
            nonlocal infeasible
            if self.relax or self._spec["constraints"] is None or self._feasible(out[:, cols]):
                return
            zero = np.zeros_like(out[:, cols])
            if self._feasible(zero):
                out[:, cols] = zero
            else:
                infeasible += 1

        for s in range(0, n, self.block):
            cols = slice(s, s + self.block)
            this = limit
            if deadline is not None:
                left = deadline - time.perf_counter()
                if left <= 0:
                    limited += 1
                    total_bound += 0.0   # nothing proved for this block
                    if H is not None:
                        keep_incumbent(cols)
                    continue
                this = left if this is None else min(this, left)
            res = self._solve_block(cols, this)
            offset = float(sq[cols].sum()) if sq is not None else 0.0
            if res.status.kind is Kind.TIME_LIMIT:
                limited += 1
            block_bound = res.bound + offset if np.isfinite(res.bound) else 0.0
            total_bound += max(block_bound, 0.0)
            if res.value is None:
                if H is None:
                    raise SolverFailedError(
                        f"{self.solver} found no solution for model {self.name!r} within "
                        f"{this:g} s and there is no incumbent")
                keep_incumbent(cols)
                continue
            candidate = res.value if self.relax else integral(res.value, self.bound)
            if H is not None and not self.relax and res.status.kind is Kind.TIME_LIMIT:
                # A time-limited incumbent may be worse than the old column: keep the old one
                # if it is feasible (an optimal answer is taken as it is: the old column
                # can only be better by violating a constraint, e.g. a rounded start).
                old = loss_value(self.loss, X[:, cols], W, out[:, cols])
                new = loss_value(self.loss, X[:, cols], W, candidate)
                if new > old and self._feasible(out[:, cols]):
                    continue
            out[:, cols] = candidate
        value = loss_value(self.loss, X, W, out)
        bound = min(total_bound, value)
        return StepResult(out, value, bound, _step_status(value, bound, limited, infeasible,
                                                          n // self.block),
                          time.perf_counter() - start, limited, infeasible)

    def violating_blocks(self, H) -> list[int]:
        """The first column of each block of ``H`` (k×n) that violates a constraint of the
        model (its box or a ``constraints=`` hook)."""
        H = np.asarray(H)
        return [s for s in range(0, H.shape[1], self.block)
                if not self._feasible(H[:, s:s + self.block])]

    def _feasible(self, value) -> bool:
        """Does ``value`` satisfy every constraint of the model (the box and the hooks)?"""
        self.variable.value = np.asarray(value, dtype=float)
        return all(float(np.max(c.violation(), initial=0.0)) <= 1e-6
                   for c in self.problem.constraints)

    def _solve_parallel(self, X, W, H, time_limit, deadline, n_jobs) -> StepResult:
        from joblib import Parallel, delayed

        start = time.perf_counter()
        blocks = np.array_split(np.arange(X.shape[1] // self.block), n_jobs)
        chunks = [np.concatenate([np.arange(b * self.block, (b + 1) * self.block) for b in c])
                  for c in blocks if len(c)]
        left = None if deadline is None else deadline - time.perf_counter()
        parts = Parallel(n_jobs=n_jobs)(
            delayed(_solve_chunk)(self._spec, X[:, c], W, None if H is None else H[:, c],
                                  time_limit, left) for c in chunks)
        out = np.zeros((self.k, X.shape[1]), dtype=float if self.relax else np.int64)
        for c, part in zip(chunks, parts):
            out[:, c] = part.H
        value = loss_value(self.loss, X, W, out)
        bound = min(sum(p.bound for p in parts), value)
        limited = sum(p.columns_limited for p in parts)
        infeasible = sum(p.columns_infeasible for p in parts)
        return StepResult(out, value, bound, _step_status(value, bound, limited, infeasible,
                                                          X.shape[1] // self.block),
                          time.perf_counter() - start, limited, infeasible)

    def __call__(self, X, W, H, stats=None) -> np.ndarray:
        """The one-factor update signature: the new H (the step's details are dropped)."""
        return self.solve_columns(X, W, None if self.relax else H).H


def _step_status(value, bound, limited, infeasible, blocks) -> Status:
    """"optimal", or "time limit (gap g; b of B blocks limited[; c violate the
    constraints])"."""
    if not limited:
        return Status(Kind.OK, "optimal")
    gap = format_gap(relative_gap(value, bound))
    bad = (f"; {infeasible} keep an incumbent that violates the constraints (no solution "
           "in time)" if infeasible else "")
    return Status(Kind.TIME_LIMIT, f"time limit (gap {gap}; {limited} of {blocks} blocks "
                                   f"limited{bad})")


def _solve_chunk(spec, X, W, H, time_limit, left) -> StepResult:
    """A joblib task: build the model from its arguments and solve these columns."""
    deadline = None if left is None else time.perf_counter() + left
    return IntegerModel(**spec).solve_columns(X, W, H, time_limit=time_limit,
                                              deadline=deadline)


def integer_model(k: int, n: int = 1, *, bound: int, loss: str = "frobenius",
                  m: int | None = None, relax: bool = False,
                  constraints: Callable | None = None, solver: str | None = None,
                  solver_options: Mapping | None = None,
                  time_limit: float | None = None) -> IntegerModel:
    """Build the one-factor model for a k×n block of H (module docstring).

    Parameters
    ----------
    k, n : int
        Shape of the block solved for; ``n = 1`` is the per-column model, re-solved over the
        columns by :meth:`IntegerModel.solve_columns`.
    bound : int >= 1
        Entries lie in {0, …, bound}; ``bound=1`` is binary.
    loss : {"frobenius", "l1"}
        ‖X − WH‖²_F (MIQP, SCIP) or Σ|X − WH| (MILP, HiGHS).
    m : int
        Rows of X (needed by the ℓ1 model, whose Parameters are X and W).
    relax : bool
        The continuous relaxation 0 ≤ H ≤ bound instead (CLARABEL / HiGHS by default).
    constraints : callable, optional
        ``constraints(H)`` returns extra CVXPY constraints on the k×n Variable.
    solver, solver_options, time_limit
        A solver from :data:`MIQP_SOLVERS` / :data:`MILP_SOLVERS` (any installed CVXPY
        solver for a relaxation), its options, and the seconds per block solve.
    """
    return IntegerModel(k, n, bound=bound, loss=loss, m=m, relax=relax, constraints=constraints,
                        solver=solver, solver_options=solver_options, time_limit=time_limit)


class BooleanModel:
    """The compact Boolean MF integer program (module docstring) on fixed 0/1 data.

    X is a constant here (the model is built for one matrix): the mask of its ones and zeros
    selects the coverage constraints. ``weights`` (same shape, positive integers) count merged
    duplicate rows and columns. ``solve`` returns (A, B, errors, bound, status).
    """

    def __init__(self, X, k, *, weights=None, constraints=None, solver=None,
                 symmetry_breaking=False, relax=False, zero_errors=False):
        X = np.asarray(X)
        m, n = X.shape
        k = check_positive_int(k, "k")
        self.X, self.k = X, k
        self.relax = bool(relax)
        # The relaxation is an LP: HiGHS (CVXPY's SCIP interface fails reading LP duals here).
        self.solver = check_mip_solver(solver, "milp",
                                       prefer=MILP_SOLVERS if relax else BOOLEAN_SOLVERS)
        w = np.ones((m, n)) if weights is None else np.asarray(weights, dtype=float)
        self.weights = w
        ones = X > 0
        zeros = ~ones
        self.A = cp.Variable((m, k), boolean=not self.relax, name="A")
        self.B = cp.Variable((k, n), boolean=not self.relax, name="B")
        Z = cp.Variable((m, n), name="Z")
        cons = [Z >= 0, Z <= 1]
        if self.relax:
            cons += [self.A >= 0, self.A <= 1, self.B >= 0, self.B <= 1]
        cover = 0
        for l in range(k):
            Y = cp.Variable((m, n), name=f"Y{l}")
            a = cp.reshape(self.A[:, l], (m, 1), order="F") @ np.ones((1, n))
            b = np.ones((m, 1)) @ cp.reshape(self.B[l, :], (1, n), order="F")
            cons += [Y >= 0, Y <= a, Y <= b, Y >= a + b - 1]
            if zeros.any():
                cons.append(cp.multiply(zeros, Y) <= cp.multiply(zeros, Z))
            cover = cover + Y
        if ones.any():
            cons.append(cp.multiply(ones, Z) <= cp.multiply(ones, cover))
        if zero_errors:
            # The decision version: is there an exact Boolean factorization (a cover of the
            # ones by k rectangles avoiding every zero)? Z = X, so the objective is constant.
            cons.append(Z == ones.astype(float))
        if symmetry_breaking and k > 1 and not self.relax:
            # The k rank-one terms are interchangeable: order them by the number of rows used.
            col_sums = cp.sum(self.A, axis=0)
            cons += [col_sums[l] >= col_sums[l + 1] for l in range(k - 1)]
        cons += extra_constraints(constraints, self.A) if constraints is not None else []
        self.offset = float(w[ones].sum())
        objective = cp.sum(cp.multiply(w * zeros, Z)) - cp.sum(cp.multiply(w * ones, Z))
        self.problem = cp.Problem(cp.Minimize(objective), cons)
        self.name = f"boolean_cip(m={m}, n={n}, k={k})"

    def solve(self, time_limit: float | None = None):
        """(A, B, weighted errors of A∘B, proved lower bound, status); A, B exact 0/1 ints."""
        res = solve_mip(self.problem, self.A, self.solver, time_limit=time_limit,
                        name=self.name, allow_infeasible=True)
        bound = res.bound + self.offset
        if self.relax:
            return None, None, res.objective + self.offset, bound, res.status
        if res.value is None:
            return None, None, float("inf"), max(bound, 0.0), res.status
        A = integral(self.A.value, 1)
        B = integral(self.B.value, 1)
        P = (A @ B) > 0
        errors = float((self.weights * (P != (self.X > 0))).sum())
        return A, B, errors, max(bound, 0.0), res.status


def boolean_model(X, k: int, *, weights=None, constraints: Callable | None = None,
                  solver: str | None = None, symmetry_breaking: bool = False,
                  relax: bool = False, zero_errors: bool = False) -> BooleanModel:
    """Build the compact Boolean MF integer program (Kovács, Günlük & Hauser 2024) for 0/1 X.

    ``symmetry_breaking`` orders the k terms by their number of rows (column sums of A
    non-increasing), which removes the k! relabelings without cutting off any error value
    (off by default: SCIP's own symmetry handling was faster, J − I n = 7, k = 4: 2.7 s vs
    6.4 s); ``relax=True`` gives the LP relaxation (the paper's point: it is 0 whenever
    k ≥ 2); ``zero_errors=True`` adds Z = X, the decision version "is there an exact
    factorization with k terms" (infeasible proves at least one error).
    ``constraints(A)`` adds constraints on the m×k Variable A.
    """
    return BooleanModel(X, k, weights=weights, constraints=constraints, solver=solver,
                        symmetry_breaking=symmetry_breaking, relax=relax,
                        zero_errors=zero_errors)


class JointIntegerModel:
    """The exact joint model of :func:`joint_integer_model`; ``solve`` returns W, H and bounds."""

    def __init__(self, X, k, *, bound, loss="frobenius", solver=None, constraints=None,
                 symmetry_breaking=False):
        X = np.asarray(X, dtype=float)
        m, n = X.shape
        k = check_positive_int(k, "k")
        u = check_bound(bound)
        self.loss = check_choice(loss, "loss", LOSSES)
        self.solver = check_mip_solver(solver, "miqp" if self.loss == "frobenius" else "milp")
        self.X, self.k, self.bound = X, k, u
        digits = max(1, math.ceil(math.log2(u + 1)))
        self.W = cp.Variable((m, k), integer=True, name="W")
        self.H = cp.Variable((k, n), integer=True, name="H")
        cons = [self.W >= 0, self.W <= u, self.H >= 0, self.H <= u]
        betas = [cp.Variable((k, n), boolean=True, name=f"beta{t}") for t in range(digits)]
        cons.append(self.H == sum((2 ** t) * betas[t] for t in range(digits)))
        WH = 0
        for l in range(k):
            w = cp.reshape(self.W[:, l], (m, 1), order="F") @ np.ones((1, n))
            for t in range(digits):
                P = cp.Variable((m, n), name=f"p{l}_{t}")
                beta = np.ones((m, 1)) @ cp.reshape(betas[t][l, :], (1, n), order="F")
                cons += [P >= 0, P <= u * beta, P <= w, P >= w - u * (1 - beta)]
                WH = WH + (2 ** t) * P
        if symmetry_breaking and k > 1:
            s = cp.sum(self.W, axis=0)
            cons += [s[l] >= s[l + 1] for l in range(k - 1)]
        if constraints is not None:
            cons += extra_constraints(constraints, self.W)
        if self.loss == "frobenius":
            objective = cp.sum_squares(X - WH)
        else:
            objective = cp.sum(cp.abs(X - WH))
        self.problem = cp.Problem(cp.Minimize(objective), cons)
        self.name = f"joint_integer_{self.loss}(m={m}, n={n}, k={k}, bound={u})"

    def solve(self, time_limit: float | None = None):
        """(W, H, loss recomputed from them, proved lower bound, status)."""
        res = solve_mip(self.problem, self.W, self.solver, time_limit=time_limit,
                        name=self.name)
        if res.value is None:
            return None, None, float("inf"), max(res.bound, 0.0), res.status
        W = integral(self.W.value, self.bound)
        H = integral(self.H.value, self.bound)
        value = loss_value(self.loss, self.X, W, H)
        return W, H, value, min(max(res.bound, 0.0), value), res.status


def joint_integer_model(X, k: int, *, bound: int, loss: str = "frobenius",
                        solver: str | None = None, constraints: Callable | None = None,
                        symmetry_breaking: bool = False) -> JointIntegerModel:
    """Build the exact model over both integer factors (module docstring) for small X.

    ``symmetry_breaking`` orders the k terms by the column sums of W (non-increasing), which
    removes relabelings without cutting off any loss value (off by default: SCIP's own
    symmetry handling was faster on 3×3 and 4×4 instances); ``constraints(W)`` acts on the
    m×k Variable W.
    """
    return JointIntegerModel(X, k, bound=bound, loss=loss, solver=solver,
                             constraints=constraints, symmetry_breaking=symmetry_breaking)
