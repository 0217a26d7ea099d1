"""Every bad input gets an error that names the problem (the wording is pinned here)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from nnmf_research.checks import (NMFInputError, SolverUnavailableError, check_choice,
                                  check_matrix, check_random_state, check_rank, check_solver)


def test_negative_entry_is_named_with_its_value():
    X = np.ones((4, 8))
    X[3, 7] = -0.2
    with pytest.raises(NMFInputError, match=r"X entry \(3, 7\) is negative: -0.2 "
                                            r"\(1 negative entries in all\)"):
        check_matrix(X)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_are_named(bad):
    X = np.ones((3, 3))
    X[1, 2] = bad
    with pytest.raises(NMFInputError, match=r"X entry \(1, 2\) is not finite"):
        check_matrix(X)


def test_empty_and_one_dimensional_inputs_are_refused():
    with pytest.raises(NMFInputError, match=r"X is empty \(shape \(0, 3\)\)"):
        check_matrix(np.zeros((0, 3)))
    with pytest.raises(NMFInputError, match="X must be a 2-D matrix, got a 1-D array"):
        check_matrix(np.ones(5))


def test_non_numeric_input_is_refused():
    with pytest.raises(NMFInputError, match="X is not a numeric matrix"):
        check_matrix([["a", "b"]])


def test_sparse_input_is_accepted_and_densified():
    A = sp.random(5, 4, density=0.5, random_state=0, format="csr")
    np.testing.assert_array_equal(check_matrix(A), A.toarray())


@pytest.mark.parametrize("k", [0, -1, 6])
def test_k_out_of_range_names_the_range(k):
    with pytest.raises(NMFInputError, match=rf"k={k} is out of range \[1, 5\]"):
        check_rank(k, (5, 9))


def test_non_integer_k_is_refused():
    with pytest.raises(NMFInputError, match="k=2.5 must be an integer"):
        check_rank(2.5, (5, 9))


def test_unknown_choice_lists_the_valid_ones():
    with pytest.raises(NMFInputError, match="unknown method 'foo'; valid choices: mu, hals"):
        check_choice("foo", "method", ["mu", "hals"])


def test_missing_solver_lists_the_installed_ones():
    with pytest.raises(SolverUnavailableError, match=r"solver 'GUROBI' is not installed; "
                                                     r"installed: \["):
        check_solver("GUROBI")
    assert check_solver("clarabel") == "CLARABEL"


def test_random_state_is_a_generator_and_never_global_state():
    a = check_random_state(3).random(4)
    b = check_random_state(3).random(4)
    np.testing.assert_array_equal(a, b)
    gen = np.random.default_rng(1)
    assert check_random_state(gen) is gen
    with pytest.raises(NMFInputError, match="random_state=-1"):
        check_random_state(-1)


def test_complex_input_is_refused_not_silently_truncated():
    with pytest.raises(NMFInputError, match="X has complex entries"):
        check_matrix(np.array([[1 + 2j, 1.0]]))


@pytest.mark.parametrize("X, message", [
    (np.array([["1", "2"], ["3", "4"]]), "its dtype <U1 holds strings"),
    (np.array([[b"1", b"2"]]), "holds bytes"),
    (np.array([["2020-01-01", "2021-01-01"]], dtype="datetime64[D]"), "holds datetimes"),
    (np.array([[1.0, "2"]], dtype=object), "holds str values such as '2'"),
])
def test_non_numeric_dtypes_are_refused_by_name_not_coerced(X, message):
    with pytest.raises(NMFInputError, match=message):
        check_matrix(X)


@pytest.mark.parametrize("value", [1e308, 1e200])
def test_data_that_overflow_float64_are_named_with_a_rescaling_hint(value):
    with pytest.raises(NMFInputError, match="X overflows float64: .* rescale it"):
        check_matrix(np.full((3, 3), value), finite_norm=True)
    check_matrix(np.full((3, 3), value) / value, finite_norm=True)  # rescaled, it is fine
    check_matrix(np.full((3, 3), value))  # the rank bounds take it as it is (they balance)
