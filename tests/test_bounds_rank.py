"""rank(X) ≤ rank₊(X): exact over Q of the stored values, rounding noise not counted."""

import numpy as np
import pytest
from fractions import Fraction

from nnmf_research.bounds.rank import (exact_rank, matrix_rank, numerical_rank, rank_bound,
                                       rank_info, stored_rank)
from nnmf_research.rational import decimal_values, stored_values
from nnmf_research.checks import NMFInputError
from nnmf_research.datasets import j_minus_i, ngon_slack, planted_integer, thomas_4x4


def test_exact_rank_agrees_with_svd_on_random_integer_products_and_names_a_nonsingular_block():
    rng = np.random.default_rng(1)
    for _ in range(100):
        m, n, r = rng.integers(1, 8, 3)
        A = rng.integers(0, 4, (m, r)) @ rng.integers(0, 4, (r, n))
        rank, rows, cols = exact_rank(stored_values(A))
        assert rank == np.linalg.matrix_rank(A)
        if rank:
            assert abs(np.linalg.det(A[np.ix_(rows, cols)])) > 0.5


def test_the_stored_values_are_ranked_exactly_even_when_the_svd_would_be_fooled():
    # σ₂/σ₁ ≈ 2.5e-10: the stored values have rank 2, numerically rank 1 at 1e-9 — far above
    # rounding level (1e-13), so the exact rank counts
    X = np.array([[1e6, 1e6], [1e6, 1000000.001]])
    assert matrix_rank(X) == 2
    assert numerical_rank(X) == 1
    b = rank_bound(X)
    assert (b.bound, b.certified, b.status) == (2, True, "exact rank over Q of the stored values")


def test_the_decimal_reading_is_explicit_and_can_differ_from_the_stored_values():
    assert decimal_values([[0.1, 0.2], [0.3, 0.4]])[0][0] == Fraction(1, 10)
    assert stored_values([[0.1]])[0][0] != Fraction(1, 10)
    assert rank_bound([[0.1, 0.2], [0.2, 0.4]]).bound == 1   # 0.2 = 2·0.1 exactly in binary
    # 1/3 and 3 as floats: the decimal reading has rank 1, the stored values rank 2
    X = [[1.0, 1 / 3], [3.0, 1.0]]
    assert stored_rank(X)[0] == 2 and stored_rank(X, reading="decimal")[0] == 2
    Y = [[1.0, 0.1], [0.1, 0.010000000000000002]]      # 0.1·0.1 in floats: binary rank 2
    assert stored_rank(Y)[0] == 2
    assert stored_rank([[1.0, 0.1], [0.1, 0.01]], reading="decimal")[0] == 1
    assert "decimal reading" in rank_bound([[1.0, 0.1], [0.1, 0.01]], reading="decimal").status


def test_rounding_noise_above_the_intended_rank_is_not_counted_but_the_bound_stays_proved():
    # a polygon's slack matrix from cosines: the stored floats have full rank
    info = rank_info(ngon_slack(7).X)
    assert info.exact == 7 and info.rounding == 3 and info.counted == 3


def test_the_rank_bound_is_invariant_under_power_of_two_and_arbitrary_scaling():
    X = planted_integer().X
    d = 2.0 ** np.array([40, -40, 13, 0, -7, 22, -31, 5][: X.shape[0]])
    e = 1.7 ** np.arange(X.shape[1]) * 1e-6
    assert rank_bound(d[:, None] * X).bound == rank_bound(X).bound == 3
    assert rank_bound(X * e[None, :]).bound == 3
    # item 2 of the soundness issue: rank 3 whose unbalanced SVD sees rank 2
    Y = np.diag([1, 1e-5, 1e-10]) @ np.array([[1.0, 1, 1], [1, 2, 1], [1, 1, 3]])
    assert rank_bound(Y).bound == 3


def test_known_ranks_of_the_families():
    assert rank_bound(thomas_4x4().X).bound == 3
    assert rank_bound(j_minus_i(6).X).bound == 6
    assert rank_bound(planted_integer().X).bound == 3
    b = rank_bound(ngon_slack(7).X)  # cosines: the stored values have rank 7 ≥ the bound 3
    assert (b.bound, b.certified) == (3, True)
    assert "rounding noise" in b.status and "rank over Q 7" in b.status


def test_bad_input_is_named():
    with pytest.raises(NMFInputError, match="negative"):
        rank_bound([[1.0, -1.0]])
    with pytest.raises(NMFInputError, match="empty"):
        rank_bound(np.zeros((0, 3)))


def test_the_modular_route_counts_a_lower_bound_and_says_so(monkeypatch):
    from nnmf_research.bounds import rank as rank_module

    monkeypatch.setattr(rank_module, "BAREISS_MAX_WORK", 0)   # force the modular route
    rng = np.random.default_rng(2)
    full = rng.integers(1, 9, (8, 6)).astype(float)
    assert rank_module.stored_rank(full)[0] == 6
    assert rank_module.stored_rank(full)[3] is False          # full rank: exact
    five = (rng.integers(0, 9, (8, 5)) @ rng.integers(0, 9, (5, 6))).astype(float)
    r, rows, cols, is_lower = rank_module.stored_rank(five)
    assert (r, is_lower) == (5, True)                         # counted, flagged as a lower bound
    assert np.linalg.matrix_rank(five[np.ix_(rows, cols)]) == 5
