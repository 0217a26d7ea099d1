"""The Subproblem contract: DCP/DPP refused at build time, solver status as data."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

from nnmf_research.checks import (ModelNotDPPError, NMFInputError, SolverFailedError,
                                  SolverUnavailableError)
from nnmf_research.models.frobenius import frobenius_model
from nnmf_research.models.kl import kl_model


def test_a_model_that_is_not_dpp_is_refused_at_build_time():
    p = cp.Parameter(nonneg=True, value=1.0)
    with pytest.raises(ModelNotDPPError, match="is not DPP"):
        frobenius_model(3, 4, penalty=lambda H: p * p * cp.sum(H))


def test_a_model_that_is_not_convex_is_refused_at_build_time():
    with pytest.raises(ModelNotDPPError, match="is not DCP"):
        frobenius_model(3, 4, penalty=lambda H: -cp.sum_squares(H))


def test_a_dpp_parameter_in_a_penalty_is_accepted_and_resolved_without_rebuilding(rng):
    lam = cp.Parameter(nonneg=True)
    model = frobenius_model(4, 5, penalty=lambda H: lam * cp.sum(H))
    X, W = rng.random((4, 5)), np.eye(4)
    for value in (0.0, 0.5):
        lam.value = value
        np.testing.assert_allclose(model(X, W, np.ones((4, 5))),
                                   np.maximum(X - value / 2, 0), atol=1e-6)


def test_an_uninstalled_solver_is_named_with_the_installed_ones():
    with pytest.raises(SolverUnavailableError) as err:
        frobenius_model(3, 4, solver="GUROBI_NOT_HERE")
    assert "solver 'GUROBI_NOT_HERE' is not installed; installed: [" in str(err.value)
    assert "CLARABEL" in str(err.value)


def test_infeasible_constraints_raise_a_named_solver_failure(rng):
    model = frobenius_model(3, 4, constraints=lambda H: [cp.sum(H) == -1])
    with pytest.raises(SolverFailedError, match="infeasible"):
        model(rng.random((5, 4)), rng.random((5, 3)), np.ones((3, 4)))
    assert model.last_status.startswith("infeasible")


def test_an_iteration_limit_is_reported_not_returned_as_a_number(rng):
    model = frobenius_model(6, 30, solver="OSQP",
                            solver_options={"max_iter": 1, "polishing": False})
    X, W = rng.random((40, 30)), rng.random((40, 6))
    with pytest.raises(SolverFailedError,
                       match="OSQP returned status 'user_limit' \\(time or iteration limit\\)"):
        model(X, W, np.ones((6, 30)))
    assert model.last_status == "user_limit"


def test_wrong_parameter_shapes_are_named(rng):
    model = kl_model(2, 4, 3)
    with pytest.raises(NMFInputError, match="parameter 'X' of model 'kl\\(k=2, m=4, n=3\\)' "
                                            "has shape \\(4, 3\\), got \\(5, 3\\)"):
        model.solve(X=rng.random((5, 3)), W=rng.random((4, 2)))


def test_constraints_hook_must_return_constraints():
    with pytest.raises(NMFInputError, match="expected CVXPY constraints"):
        frobenius_model(2, 2, constraints=lambda H: [H])


def test_an_inaccurate_solve_returns_its_value_with_a_warning_and_the_status(rng):
    """SCS stopped after one iteration reports 'optimal_inaccurate': the value comes back
    (clipped at 0), flagged by SolverInaccurateWarning and ``last_status``, never silently."""
    from nnmf_research import losses
    from nnmf_research.models.subproblem import SolverInaccurateWarning

    X, W = rng.random((10, 8)), rng.random((10, 3))
    sloppy = frobenius_model(3, 8, solver="SCS", solver_options={"max_iters": 1})
    message = r"SCS returned 'optimal_inaccurate' on model 'frobenius_gram\(k=3, n=8\)'"
    with pytest.warns(SolverInaccurateWarning, match=message):
        H = sloppy(X, W, np.ones((3, 8)))
    assert sloppy.last_status == cp.OPTIMAL_INACCURATE
    assert H.shape == (3, 8) and np.isfinite(H).all() and H.min() >= 0.0
    exact = frobenius_model(3, 8)(X, W, np.ones((3, 8)))
    assert losses.frobenius(X, W, exact) <= losses.frobenius(X, W, H)
