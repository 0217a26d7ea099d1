"""rank(X) ≤ rank₊(X): exact over Q for rational data, numerical with a stated tolerance else."""

import numpy as np
import pytest
from fractions import Fraction

from nnmf_research.bounds.rank import (exact_rank, matrix_rank, numerical_rank, rank_bound,
                                       rational_entries)
from nnmf_research.checks import NMFInputError
from nnmf_research.data import j_minus_i, ngon_slack, planted_integer, thomas_4x4


def test_exact_rank_agrees_with_svd_on_random_integer_products_and_names_a_nonsingular_block():
    rng = np.random.default_rng(1)
    for _ in range(100):
        m, n, r = rng.integers(1, 8, 3)
        A = rng.integers(0, 4, (m, r)) @ rng.integers(0, 4, (r, n))
        rank, rows, cols = exact_rank(rational_entries(A))
        assert rank == np.linalg.matrix_rank(A)
        if rank:
            assert abs(np.linalg.det(A[np.ix_(rows, cols)])) > 0.5


def test_rational_data_is_ranked_exactly_even_when_the_svd_would_be_fooled():
    # σ₂/σ₁ ≈ 2.5e-10: exactly rank 2 (entries are decimals), numerically rank 1 at 1e-9
    X = np.array([[1e6, 1e6], [1e6, 1000000.001]])
    assert rational_entries(X) is not None
    assert matrix_rank(X) == 2
    assert numerical_rank(X) == 1
    b = rank_bound(X)
    assert (b.bound, b.certified, b.status) == (2, True, "exact over Q (rational data)")


def test_decimal_data_read_from_a_file_counts_as_rational():
    assert rational_entries([[0.1, 0.2], [0.3, 0.4]])[0][0] == Fraction(1, 10)
    assert rank_bound([[0.1, 0.2], [0.2, 0.4]]).bound == 1


def test_known_ranks_of_the_families():
    assert rank_bound(thomas_4x4().X).bound == 3
    assert rank_bound(j_minus_i(6).X).bound == 6
    assert rank_bound(planted_integer().X).bound == 3
    b = rank_bound(ngon_slack(7).X)  # irrational (cosines): numerical route, not certified
    assert (b.bound, b.certified) == (3, False)
    assert "1e-09" in b.status


def test_bad_input_is_named():
    with pytest.raises(NMFInputError, match="negative"):
        rank_bound([[1.0, -1.0]])
    with pytest.raises(NMFInputError, match="empty"):
        rank_bound(np.zeros((0, 3)))
