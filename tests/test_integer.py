"""integer_nmf: planted products, bounds and gaps, time limits, bad input."""

from itertools import product

import cvxpy as cp
import numpy as np
import pytest

from nnmf_research import integer_nmf
from nnmf_research.checks import NMFInputError, SolverUnavailableError
from nnmf_research.integer import eckart_young_bound
from nnmf_research.models.integer import loss_value
from nnmf_research.status import Kind


def planted(seed, m=8, n=8, k=3, bound=3):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, bound + 1, (m, k)) @ rng.integers(0, bound + 1, (k, n))).astype(float)


def assert_integral_within_bounds(fit, X):
    for A in (fit.W, fit.H):
        assert A.dtype == np.int64
        assert A.min() >= 0 and A.max() <= fit.bound
    assert fit.loss == loss_value(fit.loss_name, X, fit.W, fit.H)
    assert fit.gap >= 0 and fit.lower_bound <= fit.loss


def test_exact_method_finds_objective_zero_on_a_small_planted_product():
    X = planted(0, 6, 6, 2)
    fit = integer_nmf(X, 2, bound=3, method="exact", time_limit=60, random_state=0)
    assert fit.loss == 0.0 and fit.gap == 0.0 and fit.status == "optimal"
    assert np.array_equal(fit.W @ fit.H, X)
    assert_integral_within_bounds(fit, X)


@pytest.mark.slow
def test_exact_method_finds_objective_zero_on_planted_8x8_rank_3():
    X = planted(0)
    fit = integer_nmf(X, 3, bound=3, method="exact", time_limit=120, restarts=40)
    assert fit.loss == 0.0 and fit.status == "optimal"
    assert np.array_equal(fit.W @ fit.H, X)


@pytest.mark.parametrize("method", ["relax_round", "alternating"])
@pytest.mark.parametrize("loss", ["frobenius", "l1"])
def test_every_factor_is_integral_within_bounds_and_the_loss_is_recomputed(method, loss):
    rng = np.random.default_rng(1)
    X = np.maximum(planted(1, 6, 5, 2) + rng.normal(0, 0.7, (6, 5)), 0)
    fit = integer_nmf(X, 2, bound=3, loss=loss, method=method, restarts=2, random_state=1)
    assert_integral_within_bounds(fit, X)
    assert fit.restarts == 2 and fit.method == method


def test_relaxed_h_step_is_never_worse_than_the_integer_h_step():
    X = np.maximum(planted(2, 6, 5, 2) + np.random.default_rng(2).normal(0, 1, (6, 5)), 0)
    fit = integer_nmf(X, 2, bound=3, restarts=2, random_state=2)
    d = fit.diagnostics
    assert d["h_step_relaxation"] <= d["h_step_integer"] * (1 + 1e-7) + 1e-7
    assert d["h_step_integer"] <= fit.loss + 1e-9   # the final H is optimal given W


def test_eckart_young_bound_is_a_lower_bound_on_every_rank_k_product():
    X = np.random.default_rng(3).random((7, 6)) * 4
    lb = eckart_young_bound(X, 2)
    assert lb > 0
    rng = np.random.default_rng(4)
    for _ in range(50):
        W, H = rng.integers(0, 4, (7, 2)), rng.integers(0, 4, (2, 6))
        assert loss_value("frobenius", X, W, H) >= lb
    fit = integer_nmf(X, 2, bound=3, restarts=2)
    assert fit.lower_bound >= lb and 0 < fit.gap < 1


def test_exact_method_equals_brute_force_and_bounds_the_heuristics():
    X = np.round(np.random.default_rng(7).uniform(0, 4, (3, 3)), 1)
    exact = integer_nmf(X, 2, bound=2, method="exact", time_limit=60, restarts=2)
    columns = np.array(list(product(range(3), repeat=2))).T          # every h in {0,1,2}²
    best = min(sum(((X[:, [j]] - np.array(w).reshape(3, 2) @ columns) ** 2).sum(0).min()
                   for j in range(3)) for w in product(range(3), repeat=6))
    assert exact.status == "optimal" and exact.loss == pytest.approx(best, rel=1e-9)
    heuristic = integer_nmf(X, 2, bound=2, restarts=3)
    assert heuristic.loss >= exact.loss - 1e-9


def test_a_time_limit_that_cannot_suffice_returns_the_incumbent_with_status_and_gap():
    rng = np.random.default_rng(0)
    X = np.maximum(planted(0, 30, 40, 4) + rng.normal(0, 2.0, (30, 40)), 0)
    fit = integer_nmf(X, 4, bound=3, time_limit=1.0, restarts=5)
    assert fit.status_kind is Kind.TIME_LIMIT
    assert str(fit.status).startswith("time limit (gap ")
    assert_integral_within_bounds(fit, X)
    assert fit.seconds < 30


@pytest.mark.parametrize("kwargs, message", [
    (dict(k=0), r"k=0 is out of range \[1, 4\]"),
    (dict(k=5), r"k=5 is out of range \[1, 4\]"),
    (dict(k=2, bound=0), r"bound=0 is out of range"),
    (dict(k=2, bound=1.5), r"bound=1.5 must be an integer"),
    (dict(k=2, bound=-2), r"bound=-2 is out of range"),
    (dict(k=2, method="anneal"), r"unknown method 'anneal'"),
    (dict(k=2, loss="kl"), r"unknown loss 'kl'"),
    (dict(k=2, W0=np.full((4, 2), 5.0), bound=3), r"W0 entry \(0, 0\) = 5 exceeds bound=3"),
])
def test_bad_input_is_a_named_error(kwargs, message):
    X = planted(0, 4, 5, 2)
    with pytest.raises(NMFInputError, match=message):
        integer_nmf(X, **kwargs)


@pytest.mark.parametrize("bad, message", [(-1.0, "negative"), (np.nan, "not finite")])
def test_bad_data_is_a_named_error(bad, message):
    X = planted(0, 4, 5, 2)
    X[1, 2] = bad
    with pytest.raises(NMFInputError, match=rf"X entry \(1, 2\) .*{message}"):
        integer_nmf(X, 2)


def test_l1_without_a_milp_solver_is_a_named_error(monkeypatch):
    monkeypatch.setattr(cp, "installed_solvers", lambda: ["CLARABEL", "OSQP", "SCS"])
    with pytest.raises(SolverUnavailableError, match="mixed-integer linear solver.*installed"):
        integer_nmf(planted(0, 4, 5, 2), 2, loss="l1")


def test_exact_method_refuses_instances_too_large_for_it():
    with pytest.raises(NMFInputError, match="use 'relax_round' for this size"):
        integer_nmf(planted(0, 60, 60, 4), 4, bound=3, method="exact")


def test_cli_factorize_model_integer_writes_integral_factors(tmp_path, capsys):
    import json

    from nnmf_research.cli import main

    X = planted(3, 6, 6, 2)
    path = tmp_path / "counts.csv"
    np.savetxt(path, X, delimiter=",")
    out = tmp_path / "run"
    code = main(["factorize", str(path), "-k", "2", "--model", "integer", "--bound", "3",
                 "--time-limit", "60", "--out", str(out), "--quiet"])
    assert code == 0
    W, H = np.load(out / "W.npy"), np.load(out / "H.npy")
    assert W.dtype == np.int64 and W.max() <= 3 and H.min() >= 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["model"] == "integer" and summary["loss"] == loss_value("frobenius", X, W, H)
    assert summary["status"] == "optimal" and summary["loss"] == 0.0   # a planted product


def test_cli_refuses_a_method_the_model_does_not_have(tmp_path, capsys):
    from nnmf_research.cli import main

    path = tmp_path / "x.csv"
    np.savetxt(path, planted(0, 4, 5, 2), delimiter=",")
    assert main(["factorize", str(path), "-k", "2", "--model", "integer",
                 "--method", "hals"]) == 2
    assert "--model integer has no method 'hals'" in capsys.readouterr().err
    assert main(["factorize", str(path), "-k", "2", "--loss", "l1"]) == 2
    assert "--model nmf has no loss 'l1'" in capsys.readouterr().err


def test_constraints_hooks_reach_every_step():
    X = np.maximum(planted(4, 6, 5, 2) + np.random.default_rng(4).normal(0, 0.5, (6, 5)), 0)
    fit = integer_nmf(X, 2, bound=3, restarts=2,
                      constraints_H=lambda H: [cp.sum(H, axis=0) <= 3],
                      constraints_W=lambda Wt: [Wt <= 2])
    assert (fit.H.sum(axis=0) <= 3).all() and fit.W.max() <= 2
    assert_integral_within_bounds(fit, X)


def test_a_rerun_with_a_checkpoint_resumes_the_finished_restarts(tmp_path):
    X = np.maximum(planted(5, 6, 5, 2) + np.random.default_rng(5).normal(0, 0.5, (6, 5)), 0)
    first = integer_nmf(X, 2, bound=3, restarts=2, checkpoint=tmp_path)
    again = integer_nmf(X, 2, bound=3, restarts=2, checkpoint=tmp_path)
    assert len(list(tmp_path.glob("restart-*.npz"))) == 2
    assert again.loss == first.loss and np.array_equal(again.W, first.W)
    assert again.diagnostics["restart_losses"] == first.diagnostics["restart_losses"]


def test_a_generator_as_random_state_draws_the_restart_seed():
    X = np.maximum(planted(6, 5, 5, 2) + np.random.default_rng(6).normal(0, 0.5, (5, 5)), 0)
    drawn = int(np.random.default_rng(1).integers(2**31 - 1))
    a = integer_nmf(X, 2, bound=3, restarts=1, random_state=np.random.default_rng(1))
    b = integer_nmf(X, 2, bound=3, restarts=1, random_state=drawn)
    assert np.array_equal(a.W, b.W) and np.array_equal(a.H, b.H) and a.loss == b.loss


def test_a_start_that_violates_a_hook_and_gets_no_solve_is_never_a_quiet_answer():
    X = planted(7, 6, 5, 2)
    W0 = np.ones((6, 2), np.int64)
    H0 = np.full((2, 5), 2, np.int64)                  # violates both hooks below
    sums_to_one = integer_nmf(X, 2, bound=3, method="alternating", restarts=1, time_limit=0,
                              W0=W0, H0=H0, constraints_H=lambda H: [cp.sum(H, axis=0) == 1])
    assert sums_to_one.status_kind is Kind.FAILED
    assert "no restart satisfies the constraints (columns [0, 1, 2, 3, 4] of H" in \
        str(sums_to_one.status)
    # Zero satisfies "H ≤ 1": the answer is feasible (zero columns where nothing was solved).
    at_most_one = integer_nmf(X, 2, bound=3, method="alternating", restarts=1, time_limit=0,
                              W0=W0, H0=H0, constraints_H=lambda H: [H <= 1])
    assert at_most_one.status_kind is not Kind.FAILED and at_most_one.H.max() <= 1
    assert at_most_one.loss == loss_value("frobenius", X, at_most_one.W, at_most_one.H)
