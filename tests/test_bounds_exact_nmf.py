"""Exact NMF heuristics: known nonnegative ranks are reached, impossible ranks are not claimed."""

from __future__ import annotations

import numpy as np
import pytest

from nnmf_research.bounds.exact_nmf import (HEURISTICS, exact_nmf, rank_two_factorization,
                                            trivial_factorization)
from nnmf_research.checks import NMFInputError


def ngon_slack(n):
    """Slack matrix of the regular n-gon (rows vertices, columns edges), built here so the
    test does not depend on the data module."""
    i = np.arange(n)
    v = np.c_[np.cos(2 * np.pi * i / n), np.sin(2 * np.pi * i / n)]
    a = np.c_[np.cos(2 * np.pi * (i + 0.5) / n), np.sin(2 * np.pi * (i + 0.5) / n)]
    S = np.cos(np.pi / n) - v @ a.T
    S[np.abs(S) < 1e-14] = 0.0
    return S


def linear_edm(n):
    i = np.arange(n)
    return (i[:, None] - i[None, :]) ** 2.0


def test_the_square_is_exact_at_4_and_stalls_at_0_271_at_3():
    """Vandaele et al.'s code reports 27.1% at r = 3 for the square's slack matrix."""
    S = ngon_slack(4)
    assert exact_nmf(S, 4).relative_error < 1e-12
    best = exact_nmf(S, 3, time_limit=2)   # the 27.1 % stall is reached within 0.5 s
    assert best.status == "not found"
    assert best.relative_error == pytest.approx(0.271, abs=1e-3)


@pytest.mark.parametrize("X,r", [(ngon_slack(5), 5), (ngon_slack(6), 5), (ngon_slack(7), 6),
                                 (ngon_slack(8), 6), (linear_edm(4), 4), (linear_edm(5), 5),
                                 (linear_edm(6), 5)],
                         ids=["pentagon", "hexagon", "heptagon", "octagon", "edm4", "edm5",
                              "edm6"])
def test_known_nonnegative_ranks_are_reached_with_default_settings(X, r):
    result = exact_nmf(X, r, time_limit=60)
    assert result.status == "numerically exact (< tol)"
    assert result.relative_error < 1e-6
    assert result.W.min() >= 0 and result.H.min() >= 0
    assert np.linalg.norm(X - result.W @ result.H) / np.linalg.norm(X) == pytest.approx(
        result.relative_error, abs=1e-15)


def test_a_search_finds_rank_plus_4_on_a_6x6_matrix_that_holds_the_square():
    """X = [I; Q] S [I, P] with Q, P >= 0 contains the square's slack matrix S (rank+ 4) as a
    submatrix and factors through it, so rank+(X) = 4 while rank(X) = 3 and min(m, n) = 6:
    the trivial X = X·I path cannot answer and the search must."""
    rng = np.random.default_rng(3)
    S = ngon_slack(4)
    X = np.vstack([np.eye(4), rng.random((2, 4))]) @ S @ np.hstack([np.eye(4), rng.random((4, 2))])
    assert np.linalg.matrix_rank(X) == 3
    result = exact_nmf(X, 4, time_limit=30)
    assert result.status == "numerically exact (< tol)"
    assert result.W.shape == (6, 4) and result.W.min() >= 0 and result.H.min() >= 0
    assert np.abs(X - result.W @ result.H).max() <= 1e-8 * X.max()
    assert exact_nmf(X, 3, time_limit=1).status == "not found"


def test_polishing_goes_well_below_the_exactness_threshold():
    assert exact_nmf(ngon_slack(6), 5).relative_error < 1e-12


@pytest.mark.parametrize("heuristic", HEURISTICS)
def test_every_heuristic_solves_the_hexagon(heuristic):
    # Multi-start is the weak one (Vandaele et al. 2016): 10 sparse starts miss the
    # hexagon for seeds 0-2 here, 30 find it.
    result = exact_nmf(ngon_slack(6), 5, heuristic=heuristic, time_limit=30, attempts=30)
    assert result.found and result.heuristic == heuristic


def test_no_factorization_is_claimed_below_the_rank():
    result = exact_nmf(linear_edm(6), 2)  # rank 3
    assert result.status == "not found" and "rank(X) = 3" in result.notes


def test_rank_two_matrices_are_factorized_by_their_extreme_rays():
    gen = np.random.default_rng(1)
    W0, H0 = gen.random((7, 2)), gen.random((2, 9))
    X = W0 @ H0
    W, H = rank_two_factorization(X)
    assert W.min() >= 0 and H.min() >= 0
    np.testing.assert_allclose(W @ H, X, atol=1e-12)
    result = exact_nmf(X, 2)
    assert result.heuristic == "rank<=2" and result.relative_error < 1e-12


def test_r_equal_to_min_dimension_returns_the_trivial_factorization():
    X = ngon_slack(5)
    result = exact_nmf(X, 5)
    assert result.heuristic == "trivial" and result.relative_error == 0.0
    W, H = trivial_factorization(X[:, :3], 3)
    np.testing.assert_array_equal(W @ H, X[:, :3])


def test_the_same_seed_gives_the_same_search():
    a = exact_nmf(ngon_slack(9), 7, heuristic="multistart", random_state=4)
    b = exact_nmf(ngon_slack(9), 7, heuristic="multistart", random_state=4)
    assert a.errors == b.errors
    np.testing.assert_array_equal(a.W, b.W)


def test_finished_restarts_are_saved_and_a_rerun_resumes(tmp_path):
    X = linear_edm(6)
    first = exact_nmf(X, 4, restarts=2, time_limit=2, checkpoint_dir=tmp_path)
    assert len(list(tmp_path.glob("restart-*.npz"))) == 2
    again = exact_nmf(X, 4, restarts=2, time_limit=2, checkpoint_dir=tmp_path)
    assert again.errors == first.errors and again.seconds < 0.5


@pytest.mark.parametrize("r,message", [(0, r"r=0 is out of range \[1, 6\]"),
                                       (7, r"r=7 is out of range \[1, 6\]")])
def test_bad_rank_is_named(r, message):
    with pytest.raises(NMFInputError, match=message):
        exact_nmf(linear_edm(6), r)


def test_bad_matrices_and_heuristics_are_named():
    with pytest.raises(NMFInputError, match="is negative"):
        exact_nmf(-linear_edm(4), 3)
    with pytest.raises(NMFInputError, match="unknown heuristic 'tabu'"):
        exact_nmf(linear_edm(4), 3, heuristic="tabu")


def test_a_pair_of_cvxpy_models_can_be_the_inner_solver():
    """The search under a user's constraint, W <= 1 entrywise: X = W0 H0 with W0 < 1 has such
    an exact factorization, and the constrained search finds one."""
    from nnmf_research.models.frobenius import frobenius_model

    gen = np.random.default_rng(3)
    X = gen.uniform(0.1, 1.0, (6, 3)) @ gen.uniform(0.1, 1.0, (3, 5))
    models = (frobenius_model(3, 5), frobenius_model(3, 6, constraints=lambda Wt: [Wt <= 1]))
    result = exact_nmf(X, 3, heuristic="multistart", attempts=3, time_limit=20,
                       update=models)
    assert result.W.max() <= 1 + 1e-7
    assert result.relative_error < 1e-4


def test_ctrl_c_stops_the_search_instead_of_being_swallowed_by_the_inner_loop():
    import signal
    import subprocess
    import sys
    import time

    code = ("from nnmf_research.bounds.exact_nmf import exact_nmf\n"
            "from nnmf_research.datasets import ngon_slack\n"
            "print('started', flush=True)\n"
            "exact_nmf(ngon_slack(8).X, 5, time_limit=120, restarts=50)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "started"
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:  # pragma: no cover - the bug this test is about
        proc.kill()
        raise AssertionError("the exact-NMF search ignored Ctrl-C")
    assert "KeyboardInterrupt" in err
