"""boolean_nmf: the Boolean rank two ways (exact program vs rectangle covering number),
duplicate reduction, the heuristics against the exact optimum, time limits, bad input."""

from math import comb

import numpy as np
import pytest

from nnmf_research import boolean_nmf
from nnmf_research.boolean import (asso, boolean_errors, boolean_product, boolean_rank,
                                   reduce_duplicates, threshold_nmf)
from nnmf_research.bounds.rectangle_cover import rectangle_cover_bound
from nnmf_research.checks import NMFInputError
from nnmf_research.datasets import cube_slack, j_minus_i, thomas_4x4
from nnmf_research.status import Kind


def boolean_rank_by_exact_factorization(X, time_limit=20):
    """The smallest k at which the exact program reaches 0 errors."""
    for k in range(1, min(X.shape) + 1):
        fit = boolean_nmf(X, k, method="exact", time_limit=time_limit)
        assert fit.errors == boolean_errors(X, fit.W, fit.H)
        if fit.errors == 0:
            assert fit.status == "optimal"
            return k
        assert fit.lower_bound >= 1          # proved: no exact factorization with k terms


def de_caen_gregory_pullman(n):
    """Boolean rank of J − I: min{k : C(k, ⌊k/2⌋) ≥ n} (de Caen, Gregory & Pullman 1981)."""
    return next(k for k in range(1, n + 1) if comb(k, k // 2) >= n)


def test_boolean_rank_of_j_minus_i_6_is_4_two_ways():
    X = j_minus_i(6).X.astype(int)
    assert de_caen_gregory_pullman(6) == 4
    assert boolean_rank_by_exact_factorization(X) == 4 == rectangle_cover_bound(X).bound


def exact_boolean_rank(X):
    """The decision version of the exact program for k = 1, 2, ... (the same model)."""
    rank, W, H, status = boolean_rank(X, time_limit=300)
    assert status == "optimal" and boolean_errors(X, W, H) == 0 and W.shape[1] == rank
    return rank


def test_boolean_rank_of_j_minus_i_7_is_5_two_ways():
    X = j_minus_i(7).X.astype(int)
    assert de_caen_gregory_pullman(7) == 5
    assert exact_boolean_rank(X) == 5 == rectangle_cover_bound(X).bound


@pytest.mark.slow
@pytest.mark.parametrize("n", [7, 8, 9, 10])
def test_boolean_rank_of_larger_j_minus_i_is_5_two_ways(n):
    X = j_minus_i(n).X.astype(int)
    assert de_caen_gregory_pullman(n) == 5
    assert boolean_rank_by_exact_factorization(X, time_limit=30) == 5
    assert exact_boolean_rank(X) == 5 == rectangle_cover_bound(X).bound


def test_boolean_rank_of_the_thomas_matrix_is_4_two_ways():
    X = (thomas_4x4().X > 0).astype(int)
    assert boolean_rank_by_exact_factorization(X) == 4 == rectangle_cover_bound(X).bound


def test_boolean_rank_of_the_3_cube_slack_support_is_6_two_ways():
    X = (cube_slack(3).X > 0).astype(int)
    assert exact_boolean_rank(X) == 6 == rectangle_cover_bound(X).bound


@pytest.mark.slow
def test_exact_factorization_reaches_zero_errors_on_the_3_cube_first_at_6():
    X = (cube_slack(3).X > 0).astype(int)
    assert boolean_rank_by_exact_factorization(X, time_limit=20) == 6


def test_reduction_merges_duplicates_and_drops_zeros_with_weights():
    X = np.array([[1, 1, 0, 1, 0], [0, 0, 0, 0, 0], [1, 1, 0, 1, 0], [0, 1, 0, 1, 1]])
    Xr, weights, rows, cols = reduce_duplicates(X)
    assert Xr.shape == (2, 3)                    # rows {0, 2} merge, row 1 drops;
    assert weights.sum() == 3 * 4                # cols {1, 3} merge, col 2 drops
    assert rows[1] == -1 and rows[0] == rows[2] and cols[2] == -1 and cols[1] == cols[3]
    assert np.array_equal(Xr[rows[[0, 2, 3]]][:, cols[[0, 1, 3, 4]]], X[[0, 2, 3]][:, [0, 1, 3, 4]])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_errors_after_reduction_equal_errors_on_the_full_matrix(seed):
    rng = np.random.default_rng(seed)
    base = (rng.random((4, 4)) < 0.5).astype(int)
    X = base[rng.integers(0, 4, 9)][:, rng.integers(0, 4, 7)]      # many duplicates
    X[0] = 0
    full = boolean_nmf(X, 2, method="exact")
    from nnmf_research.models.integer import boolean_model
    _, _, unreduced_errors, _, status = boolean_model(X, 2).solve()
    assert full.status == "optimal" and status == "optimal"
    assert full.errors == unreduced_errors == boolean_errors(X, full.W, full.H)


def planted_boolean(seed, m=12, n=10, k=3, density=0.35):
    rng = np.random.default_rng(seed)
    W = (rng.random((m, k)) < density).astype(int)
    H = (rng.random((k, n)) < density).astype(int)
    return boolean_product(W, H)


@pytest.mark.parametrize("seed", [0, 1])
def test_heuristics_are_never_better_than_the_exact_optimum(seed):
    X = planted_boolean(seed)
    rng = np.random.default_rng(seed)
    flips = rng.random(X.shape) < 0.08
    X = np.where(flips, 1 - X, X)
    exact = boolean_nmf(X, 2, method="exact", time_limit=30)
    assert exact.status == "optimal"
    for method in ("asso", "threshold"):
        fit = boolean_nmf(X, 2, method=method)
        assert fit.errors >= exact.errors
        assert fit.errors == boolean_errors(X, fit.W, fit.H)
        assert set(np.unique(fit.W)) <= {0, 1} and set(np.unique(fit.H)) <= {0, 1}


def test_asso_and_thresholded_nmf_recover_disjoint_blocks():
    X = np.kron(np.eye(3, dtype=int), np.ones((3, 2), dtype=int))     # 9×6, three blocks
    W, H, _ = asso(X, 3)
    assert boolean_errors(X, W, H) == 0
    W, H, _ = threshold_nmf(X, 3, random_state=0)
    assert boolean_errors(X, W, H) == 0


def test_exact_planted_boolean_product_has_zero_errors():
    X = planted_boolean(3)
    fit = boolean_nmf(X, 3, method="exact", time_limit=30)
    assert fit.errors == 0 and fit.status == "optimal" and fit.gap == 0


def test_a_time_limit_that_cannot_suffice_returns_a_01_incumbent_with_status():
    X = (np.random.default_rng(0).random((20, 20)) < 0.3).astype(int)
    fit = boolean_nmf(X, 5, method="exact", time_limit=1.0)
    assert fit.status_kind is Kind.TIME_LIMIT and str(fit.status).startswith("time limit (gap")
    assert set(np.unique(fit.W)) <= {0, 1} and set(np.unique(fit.H)) <= {0, 1}
    assert fit.errors == boolean_errors(X, fit.W, fit.H) and fit.lower_bound <= fit.errors


def test_data_that_is_not_01_is_a_named_error():
    with pytest.raises(NMFInputError, match=r"needs 0/1 data: X entry \(0, 1\) is 2"):
        boolean_nmf(np.array([[1, 2], [0, 1]]), 1)
    with pytest.raises(NMFInputError, match=r"k=3 is out of range \[1, 2\]"):
        boolean_nmf(np.eye(2), 3)
    with pytest.raises(NMFInputError, match="unknown method 'greedy'"):
        boolean_nmf(np.eye(2), 1, method="greedy")


def test_cli_factorize_model_boolean_prints_the_errors(tmp_path, capsys):
    import json

    from nnmf_research.cli import main

    X = planted_boolean(3)
    path = tmp_path / "binary.csv"
    np.savetxt(path, X, delimiter=",", fmt="%d")
    assert main(["factorize", str(path), "-k", "3", "--model", "boolean", "--method", "exact",
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["errors"] == 0 and summary["status"] == "optimal"
    np.savetxt(path, X * 2, delimiter=",", fmt="%d")
    assert main(["factorize", str(path), "-k", "3", "--model", "boolean"]) == 2
    assert "needs 0/1 data" in capsys.readouterr().err


def test_progress_lines_name_each_stage(capsys):
    X = j_minus_i(6).X                    # Boolean rank 4: k = 3 is infeasible, ≥ 1 error
    fit = boolean_nmf(X, 3, method="exact", time_limit=30, progress=0.0)
    err = capsys.readouterr().err
    assert "[nnmf] boolean exact: decision program (0 errors?) on the reduced 6x6, k=3" in err
    assert "decision: infeasible; the error-minimising program runs" in err
    assert "error-minimising program: optimal" in err and fit.errors >= 1
    boolean_nmf(X, 3, method="asso", progress=0.0)
    lines = [l for l in capsys.readouterr().err.splitlines() if "boolean asso: tau" in l]
    assert len(lines) == 10                # one per τ of the grid 0.1, ..., 1.0
    boolean_nmf(X, 3, method="threshold", progress=0.0)
    assert "boolean threshold: best thresholds" in capsys.readouterr().err
    boolean_nmf(X, 3, method="asso")
    assert capsys.readouterr().err == ""   # silent by default


def test_ctrl_c_in_the_error_minimising_program_returns_asso_with_the_proved_bound(
        monkeypatch):
    import nnmf_research.boolean as boolean

    X = j_minus_i(6).X
    real = boolean.boolean_model

    def model(*args, zero_errors=False, **kwargs):
        built = real(*args, zero_errors=zero_errors, **kwargs)
        if not zero_errors:                 # the decision runs; Ctrl-C hits the second solve
            def interrupted(**_):
                raise KeyboardInterrupt
            built.solve = interrupted
        return built

    monkeypatch.setattr(boolean, "boolean_model", model)
    fit = boolean_nmf(X, 3, method="exact", time_limit=30)
    Wa, Ha, _ = asso(X, 3)
    assert fit.status_kind is Kind.INTERRUPTED and str(fit.status).startswith("interrupted (gap")
    assert fit.errors == boolean_errors(X, Wa, Ha) == boolean_errors(X, fit.W, fit.H)
    assert fit.lower_bound == 1.0          # the decision program proved one error at least


def test_ctrl_c_in_asso_keeps_the_best_complete_tau(monkeypatch):
    import nnmf_research.boolean as boolean

    X = (np.random.default_rng(3).random((12, 10)) < 0.4).astype(int)
    full = [boolean_errors(X, *asso(X, 3, tau=t / 10)[:2]) for t in range(1, 11)]
    real, calls = boolean._asso_one, []

    def stop_at_fourth(*args):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(boolean, "_asso_one", stop_at_fourth)
    fit = boolean_nmf(X, 3, method="asso")
    assert fit.status_kind is Kind.INTERRUPTED
    assert fit.errors == min(full[:3]) == boolean_errors(X, fit.W, fit.H)
    assert fit.diagnostics["tau"] == [0.1, 0.2, 0.3][int(np.argmin(full[:3]))]

