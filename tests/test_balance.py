"""Power-of-two balancing is exact, idempotent, and brings every row and column maximum to [1, 2)."""

import numpy as np
import pytest

from nnmf_research.balance import balance


@pytest.mark.parametrize("seed", range(5))
def test_balancing_a_wide_range_matrix_is_exact_and_its_maxima_lie_in_one_octave(seed):
    g = np.random.default_rng(seed)
    X = g.uniform(0, 1, (6, 5)) * (g.uniform(size=(6, 5)) > 0.3)
    X[0, 0] = 1.0
    X = (2.0 ** g.integers(-300, 300, 6))[:, None] * X * (2.0 ** g.integers(-300, 300, 5))
    b = balance(X)
    assert b.exact
    assert np.array_equal(np.ldexp(b.X, -(b.row_exp[:, None] + b.col_exp[None, :])), X)
    rows, cols = b.X.max(axis=1), b.X.max(axis=0)
    assert np.all((rows[rows > 0] >= 1) & (rows[rows > 0] < 2))
    assert np.all((cols[cols > 0] >= 1) & (cols[cols > 0] < 4))  # columns within two octaves
    assert np.array_equal(balance(b.X).X, b.X)


def test_a_factorization_maps_back_exactly():
    X = np.array([[1e-10, 0.0], [3e-10, 4e10]])
    b = balance(X)
    W, H = b.X, np.eye(2)
    Wu, Hu = b.unscale(W, H)
    assert np.array_equal(Wu @ Hu, X)


def test_a_copy_that_would_leave_the_float_range_says_so():
    b = balance(np.array([[1e-300, 1e300], [1e300, 1e-300]]))
    assert not b.exact


def test_zero_rows_and_columns_stay_zero_and_the_zero_matrix_is_its_own_copy():
    X = np.array([[0.0, 0, 0], [0, 5.0, 0]])
    b = balance(X)
    assert b.exact and np.array_equal(b.X > 0, X > 0)
    assert balance(np.zeros((2, 2))).exact
