"""The Subproblem contract: a compiled-once CVXPY problem with named Parameters.

A ``Subproblem`` holds a ``cp.Problem``, its named ``cp.Parameter`` objects and the output
``cp.Variable`` (README, "Layout": a model is data, a driver never builds expressions). It is checked at build time:

* DCP (convex as written), else :class:`ModelNotDPPError` naming the model;
* DPP (``problem.is_dcp(dpp=True)``), so CVXPY compiles it once and a re-solve only writes
  ``Parameter.value`` (compile once), else :class:`ModelNotDPPError`.

``solve(**values)`` sets the named parameters and solves. Solver status is data
(:func:`nnmf_research.status.solver_outcome`, the one map from a CVXPY status): ``optimal``
returns the value; ``optimal_inaccurate`` returns it with a
:class:`SolverInaccurateWarning` and ``last_status`` set; anything else (infeasible,
unbounded, a time or iteration limit, a solver error) raises :class:`SolverFailedError`
naming the solver, the status and the model.
"""

from __future__ import annotations

import warnings
from typing import Callable, Mapping

import cvxpy as cp
import numpy as np

from ..checks import ModelNotDPPError, NMFInputError, SolverFailedError, check_solver
from ..status import Kind, solver_outcome

__all__ = ["Subproblem", "SolverInaccurateWarning", "extra_constraints", "extra_penalty"]


class SolverInaccurateWarning(UserWarning):
    """The solver reported 'optimal_inaccurate': the value is returned but flagged."""


def extra_constraints(constraints: Callable | None, variable: cp.Variable) -> list:
    """Call the user's ``constraints(variable)`` hook and return a list of CVXPY constraints."""
    if constraints is None:
        return []
    if not callable(constraints):
        raise NMFInputError("constraints= must be a callable taking the factor Variable")
    out = constraints(variable)
    out = [out] if isinstance(out, cp.constraints.constraint.Constraint) else list(out)
    for c in out:
        if not isinstance(c, cp.constraints.constraint.Constraint):
            raise NMFInputError(
                f"constraints= returned {type(c).__name__}, expected CVXPY constraints"
            )
    return out


def extra_penalty(penalty: Callable | None, variable: cp.Variable):
    """Call the user's ``penalty(variable)`` hook; returns a scalar CVXPY expression or 0."""
    if penalty is None:
        return 0
    if not callable(penalty):
        raise NMFInputError("penalty= must be a callable taking the factor Variable")
    term = penalty(variable)
    if not isinstance(term, cp.Expression):
        term = cp.Constant(term)
    if not term.is_scalar():
        raise NMFInputError(f"penalty= must return a scalar expression, got shape {term.shape}")
    return term


DEFAULT_SOLVER_OPTIONS = {
    # OSQP 1.x with solution polishing reaches KKT residuals ~1e-12 on the NNLS models in
    # about 25 iterations; the tight tolerances make its answers agree with scipy's nnls.
    "OSQP": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iter": 20000},
    # KL subproblems are flat near their optimum: CLARABEL's default gap 1e-8 leaves H
    # wrong in the 4th digit; 1e-10 costs no measurable time and gives ~1e-8. (1e-11 and
    # below make CLARABEL stop at "almost solved" on many near-exact fits.)
    "CLARABEL": {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10},
}


def default_solver(problem: cp.Problem) -> str:
    """OSQP for quadratic programs (fast re-solves), CLARABEL for every other cone program."""
    installed = cp.installed_solvers()
    if problem.is_qp() and "OSQP" in installed:
        return "OSQP"
    return "CLARABEL"


class Subproblem:
    """A CVXPY problem built once, solved many times by setting named Parameters.

    Parameters
    ----------
    problem : cp.Problem
    parameters : mapping name -> cp.Parameter
    variable : cp.Variable
        The output (the factor being solved for).
    name : str
        Used in error messages ("model 'frobenius(k=3, n=40)'").
    solver : str or None
        A CVXPY solver name, checked against the installed ones; ``None`` picks OSQP for
        quadratic programs and CLARABEL otherwise (:func:`default_solver`).
    solver_options : dict
        Passed to ``problem.solve`` (e.g. ``{"time_limit": 10}`` for some solvers).
    """

    def __init__(
        self,
        problem: cp.Problem,
        parameters: Mapping[str, cp.Parameter],
        variable: cp.Variable,
        *,
        name: str,
        solver: str | None = None,
        solver_options: Mapping | None = None,
    ):
        self.problem = problem
        self.parameters = dict(parameters)
        self.variable = variable
        self.name = name
        self.last_status: str | None = None
        if not problem.is_dcp():
            raise ModelNotDPPError(
                f"model {name!r} is not DCP (not convex as written); check the constraints= "
                "and penalty= terms"
            )
        if not problem.is_dcp(dpp=True):
            raise ModelNotDPPError(
                f"model {name!r} is not DPP: a Parameter enters it non-affinely, so it cannot "
                "be compiled once; rewrite the constraints= / penalty= terms so Parameters "
                "multiply Variables only linearly (see CVXPY's DPP rules)"
            )
        self.solver = check_solver(solver) or default_solver(problem)
        options = dict(DEFAULT_SOLVER_OPTIONS.get(self.solver, {}))
        options.update(solver_options or {})
        self.solver_options = options

    @property
    def factor_shape(self) -> tuple[int, ...]:
        return tuple(self.variable.shape)

    def solve(self, warm_start: np.ndarray | None = None, **values) -> np.ndarray:
        """Set the named Parameters, solve, and return the variable's value (clipped at 0).

        Raises :class:`SolverFailedError` when the status is not optimal or
        optimal_inaccurate; the latter also warns with :class:`SolverInaccurateWarning`.
        """
        for key, value in values.items():
            if key not in self.parameters:
                raise NMFInputError(
                    f"model {self.name!r} has no parameter {key!r}; "
                    f"parameters: {sorted(self.parameters)}"
                )
            param = self.parameters[key]
            value = np.asarray(value, dtype=float)
            if value.shape != param.shape:
                raise NMFInputError(
                    f"parameter {key!r} of model {self.name!r} has shape {param.shape}, "
                    f"got {value.shape}"
                )
            param.value = value
        if warm_start is not None:
            self.variable.value = np.asarray(warm_start, dtype=float)
        solver = self.solver
        try:
            with warnings.catch_warnings():
                # CVXPY's own "Solution may be inaccurate" is replaced by ours below.
                warnings.filterwarnings("ignore", message="Solution may be inaccurate")
                self.problem.solve(solver=self.solver, warm_start=True, **self.solver_options)
        except cp.error.SolverError as exc:
            self.last_status = "solver_error"
            raise SolverFailedError(
                f"{solver} failed on model {self.name!r}: {exc}".strip()
            ) from None
        status = self.problem.status
        self.last_status = status
        outcome = solver_outcome(status)
        if outcome is Kind.INACCURATE:
            warnings.warn(
                f"{solver} returned 'optimal_inaccurate' on "
                f"model {self.name!r}",
                SolverInaccurateWarning,
                stacklevel=2,
            )
        elif outcome is not Kind.OK:
            hint = " (time or iteration limit)" if outcome is Kind.TIME_LIMIT else ""
            raise SolverFailedError(
                f"{solver} returned status {status!r}{hint} on model {self.name!r}"
            )
        value = self.variable.value
        if value is None:
            raise SolverFailedError(f"{solver} returned no value for model {self.name!r}")
        return np.maximum(np.asarray(value, dtype=float), 0.0)
