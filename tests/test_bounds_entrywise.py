"""Upper bounds are checked entry by entry: a Frobenius-small error can hide a wrong entry."""

import numpy as np

from nnmf_research.bounds.entrywise import clean_zeros, entrywise_relative_error


def test_a_factorization_exact_on_the_big_entries_but_wrong_on_a_small_one_fails():
    X = np.array([[1e10, 1.0], [1.0, 2e-10]])
    W = np.array([[1e10], [1.0]])
    H = np.array([[1.0, 1e-10]])
    # ‖X − WH‖_F/‖X‖_F = 1e-20, but entry (1, 1) is off by half
    assert np.linalg.norm(X - W @ H) / np.linalg.norm(X) < 1e-19
    assert entrywise_relative_error(X, W, H) == 0.5


def test_a_leak_onto_a_zero_of_x_is_infinite_even_when_the_product_underflows():
    X = np.array([[1.0, 0.0]])
    W = np.array([[1.0]])
    H = np.array([[1.0, 1e-320]])
    assert entrywise_relative_error(X, W, H) == np.inf
    W2, H2 = clean_zeros(X, W, H)
    assert entrywise_relative_error(X, W2, H2) == 0.0
