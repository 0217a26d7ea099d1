"""The mixed-integer one-factor models, the Boolean program and the joint model, each checked
against an independent method: brute-force enumeration of the integer points."""

from itertools import product

import cvxpy as cp
import numpy as np
import pytest

from nnmf_research.checks import NMFInputError, SolverUnavailableError
from nnmf_research.models.integer import (boolean_model, integer_model, joint_integer_model,
                                          loss_value)
from nnmf_research.status import Kind


def brute_force_H(X, W, bound, loss, allowed=lambda h: True):
    """min over each column of L(x − W h), h ∈ {0..bound}^k, by enumeration."""
    k = W.shape[1]
    points = [np.array(h) for h in product(range(bound + 1), repeat=k) if allowed(np.array(h))]
    H = np.zeros((k, X.shape[1]), int)
    for j in range(X.shape[1]):
        H[:, j] = min(points, key=lambda h: loss_value(loss, X[:, [j]], W, h[:, None]))
    return H, loss_value(loss, X, W, H)


def noisy_instance(seed, m=7, n=6, k=2, bound=3):
    rng = np.random.default_rng(seed)
    W = rng.integers(0, bound + 1, (m, k)).astype(float)
    X = np.maximum(W @ rng.integers(0, bound + 1, (k, n)) + rng.normal(0, 1.0, (m, n)), 0)
    return X, W


@pytest.mark.parametrize("loss", ["frobenius", "l1"])
@pytest.mark.parametrize("seed", [0, 1])
def test_integer_step_equals_brute_force_enumeration(loss, seed):
    X, W = noisy_instance(seed)
    model = integer_model(2, 1, bound=3, loss=loss, m=X.shape[0])
    step = model.solve_columns(X, W)
    _, best = brute_force_H(X, W, 3, loss)
    assert step.loss == pytest.approx(best, rel=1e-9, abs=1e-9)
    assert step.status == "optimal" and step.gap == 0.0
    assert step.bound <= step.loss + 1e-7


@pytest.mark.parametrize("loss", ["frobenius", "l1"])
def test_returned_factor_is_integral_and_within_bounds_exactly(loss):
    X, W = noisy_instance(3)
    step = integer_model(2, 1, bound=2, loss=loss, m=X.shape[0]).solve_columns(X, W)
    assert step.H.dtype == np.int64
    assert step.H.min() >= 0 and step.H.max() <= 2
    assert step.loss == loss_value(loss, X, W, step.H)


@pytest.mark.parametrize("loss", ["frobenius", "l1"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_relaxation_is_never_worse_than_the_integer_optimum(loss, seed):
    X, W = noisy_instance(seed)
    m = X.shape[0]
    integer = integer_model(2, 1, bound=3, loss=loss, m=m).solve_columns(X, W)
    relaxed = integer_model(2, X.shape[1], bound=3, loss=loss, m=m,
                            relax=True).solve_columns(X, W)
    assert relaxed.loss <= integer.loss * (1 + 1e-7) + 1e-7
    assert relaxed.H.min() >= 0 and relaxed.H.max() <= 3


def test_per_column_model_solves_the_same_problem_as_the_joint_model():
    X, W = noisy_instance(4)
    per_column = integer_model(2, 1, bound=3).solve_columns(X, W)
    joint = integer_model(2, X.shape[1], bound=3).solve_columns(X, W)
    assert per_column.loss == pytest.approx(joint.loss, rel=1e-9)


def test_a_new_constraint_is_one_argument():
    X, W = noisy_instance(5)
    model = integer_model(2, 1, bound=3, constraints=lambda H: [cp.sum(H, axis=0) <= 2])
    step = model.solve_columns(X, W)
    assert (step.H.sum(axis=0) <= 2).all()
    _, best = brute_force_H(X, W, 3, "frobenius", allowed=lambda h: h.sum() <= 2)
    assert step.loss == pytest.approx(best, rel=1e-9)


def test_time_limit_returns_the_incumbent_with_status_and_gap():
    rng = np.random.default_rng(0)
    W = rng.integers(0, 4, (30, 6)).astype(float)
    X = W @ rng.integers(0, 4, (6, 40)) + rng.normal(0, 2.0, (30, 40))
    X = np.maximum(X, 0)
    incumbent = np.ones((6, 40), np.int64)
    model = integer_model(6, 40, bound=3)            # the joint MIQP: far beyond 0.05 s
    step = model.solve_columns(X, W, incumbent, time_limit=0.05)
    assert step.status.kind is Kind.TIME_LIMIT
    assert str(step.status).startswith("time limit (gap")
    assert step.H.dtype == np.int64 and step.H.min() >= 0 and step.H.max() <= 3
    assert step.loss <= loss_value("frobenius", X, W, incumbent)
    assert 0 <= step.bound <= step.loss


@pytest.mark.parametrize("bound, message", [(0, "bound=0 is out of range"),
                                            (2.5, "bound=2.5 must be an integer"),
                                            (-1, "bound=-1 is out of range")])
def test_a_bad_bound_is_a_named_error(bound, message):
    with pytest.raises(NMFInputError, match=message):
        integer_model(2, 1, bound=bound)


def test_missing_mip_solver_is_named_with_the_installed_ones(monkeypatch):
    monkeypatch.setattr(cp, "installed_solvers", lambda: ["CLARABEL", "OSQP"])
    with pytest.raises(SolverUnavailableError, match=r"mixed-integer linear solver.*installed: "
                                                     r"\['CLARABEL', 'OSQP'\]"):
        integer_model(2, 1, bound=3, loss="l1", m=5)
    with pytest.raises(SolverUnavailableError, match="mixed-integer quadratic"):
        integer_model(2, 1, bound=3)


def test_a_solver_that_cannot_take_the_model_is_refused():
    with pytest.raises(SolverUnavailableError, match="cannot be used"):
        integer_model(2, 1, bound=3, solver="HIGHS")      # HiGHS has no MIQP


def brute_force_boolean(X, k):
    """Fewest Boolean errors with k terms: every W, then the best H column by column."""
    m, n = X.shape
    best = np.inf
    Hs = [np.array(h) for h in product((0, 1), repeat=k)]
    for w in product((0, 1), repeat=m * k):
        W = np.array(w).reshape(m, k)
        prods = [(W @ h > 0) for h in Hs]
        err = sum(min(int((p != X[:, j]).sum()) for p in prods) for j in range(n))
        best = min(best, err)
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_boolean_program_equals_brute_force(seed):
    X = (np.random.default_rng(seed).random((4, 5)) < 0.5).astype(int)
    A, B, errors, bound, status = boolean_model(X, 2).solve()
    assert errors == brute_force_boolean(X, 2)
    assert status == "optimal" and bound == pytest.approx(errors, abs=1e-6)
    assert set(np.unique(A)) <= {0, 1} and set(np.unique(B)) <= {0, 1}


@pytest.mark.parametrize("seed", [0, 1])
def test_compact_boolean_program_has_lp_relaxation_zero(seed):
    # Kovács, Günlük & Hauser (2024): the compact IP's LP relaxation is weak; with k ≥ 2,
    # a = b = 1/2 and y = 1/2 on the ones is feasible at cost 0.
    X = (np.random.default_rng(seed).random((6, 6)) < 0.5).astype(int)
    _, _, value, _, status = boolean_model(X, 2, relax=True).solve()
    assert value == pytest.approx(0.0, abs=1e-7)
    assert boolean_model(X, 2).solve()[2] > 0      # while the integer optimum is not 0


def brute_force_joint(X, k, bound, loss):
    m, _ = X.shape
    best = np.inf
    for w in product(range(bound + 1), repeat=m * k):
        W = np.array(w, float).reshape(m, k)
        best = min(best, brute_force_H(X, W, bound, loss)[1])
    return best


@pytest.mark.parametrize("loss", ["frobenius", "l1"])
@pytest.mark.parametrize("shape, bound", [((3, 3), 2), ((4, 4), 1)])
def test_joint_model_finds_the_brute_force_optimum(loss, shape, bound):
    X = np.round(np.random.default_rng(7).uniform(0, 2 * bound, shape), 1)
    W, H, value, lower, status = joint_integer_model(X, 2, bound=bound, loss=loss).solve(
        time_limit=60)
    assert status == "optimal"
    assert value == pytest.approx(brute_force_joint(X, 2, bound, loss), rel=1e-7, abs=1e-7)
    assert W.dtype == np.int64 and W.max() <= bound and H.max() <= bound and W.min() >= 0
    assert lower <= value + 1e-7


@pytest.mark.slow      # joblib workers import cvxpy: ~5-25 s on 2 shared cores
def test_columns_in_parallel_give_the_same_step():
    X, W = noisy_instance(6, n=8)
    model = integer_model(2, 1, bound=3)
    serial = model.solve_columns(X, W)
    parallel = model.solve_columns(X, W, n_jobs=2)
    assert parallel.loss == pytest.approx(serial.loss, rel=1e-12)
    assert parallel.H.dtype == np.int64 and parallel.status == "optimal"


def test_a_column_without_a_solution_never_silently_keeps_an_infeasible_incumbent():
    import time

    X, W = noisy_instance(6)
    n = X.shape[1]
    passed = time.perf_counter() - 1.0                 # no column gets a solve
    # Zero satisfies "H ≤ 1": the rounded start's 2s are replaced by the zero column.
    start = np.full((2, n), 2, np.int64)
    at_most_one = integer_model(2, 1, bound=3, constraints=lambda H: [H <= 1])
    step = at_most_one.solve_columns(X, W, start, deadline=passed)
    assert step.columns_limited == n and step.columns_infeasible == 0
    assert np.array_equal(step.H, np.zeros((2, n), np.int64))
    # Zero violates "each column sums to 2": the columns are counted and named.
    sums_to_two = integer_model(2, 1, bound=3, constraints=lambda H: [cp.sum(H, axis=0) == 2])
    step = sums_to_two.solve_columns(X, W, np.ones((2, n), np.int64) * [[3], [0]],
                                     deadline=passed)
    assert step.columns_infeasible == n
    assert f"{n} keep an incumbent that violates the constraints" in str(step.status)
    assert sums_to_two.violating_blocks(step.H) == list(range(n))
    # A feasible incumbent is kept as it is, and counts as nothing infeasible.
    feasible = np.ones((2, n), np.int64)
    step = sums_to_two.solve_columns(X, W, feasible, deadline=passed)
    assert np.array_equal(step.H, feasible) and step.columns_infeasible == 0
