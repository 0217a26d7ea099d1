"""Hyperplane separation with an LP-chosen Z, evaluated exactly."""

import itertools

import math
from fractions import Fraction

import numpy as np
import pytest

from nnmf_research.bounds.hyperplane_separation import (hyperplane_separation_bound,
                                                        hyperplane_separation_value,
                                                        max_weight_rectangle)
from nnmf_research.datasets import cube_slack, linear_edm, ngon_slack, thomas_4x4


def _brute_max_rectangle(Z, P):
    m, n = Z.shape
    best = -np.inf
    for a in range(1, m + 1):
        for R in itertools.combinations(range(m), a):
            for b in range(1, n + 1):
                for C in itertools.combinations(range(n), b):
                    if P[np.ix_(R, C)].all():
                        best = max(best, Z[np.ix_(R, C)].sum())
    return best


def test_max_weight_rectangle_matches_brute_force_with_signed_integer_weights():
    rng = np.random.default_rng(0)
    for _ in range(20):
        P = rng.random((4, 5)) < 0.7
        P[0, 0] = True
        Z = rng.integers(-5, 6, (4, 5))
        value, (R, C) = max_weight_rectangle(Z, P)
        assert value == _brute_max_rectangle(Z, P)
        assert P[np.ix_(R, C)].all() and Z[np.ix_(R, C)].sum() == value


def test_book_values_on_0_1_matrices_are_reached():
    assert hyperplane_separation_bound(thomas_4x4().X).bound == 4
    assert hyperplane_separation_bound(cube_slack(3).X).bound == 6


def test_lp_choice_beats_the_books_fixed_rule_on_non_integer_matrices():
    # the book's Z = X - 1/2 (and -1000 off the support) gives 2.69 on the pentagon, and a
    # negative value on the 9-gon; the LP's Z gives a positive, valid bound on both
    pent = ngon_slack(5)
    b = hyperplane_separation_bound(pent.X)
    assert 2.69 < b.value <= pent.meta["rank_plus"]
    # 3.1257 measured here (HiGHS LP, constraint generation); rank+ of the 9-gon is 7
    assert hyperplane_separation_bound(ngon_slack(9).X).value == pytest.approx(3.1257, abs=1e-3)


def test_the_value_is_recomputed_exactly_for_the_certificate():
    X = linear_edm(5).X
    b = hyperplane_separation_bound(X)
    Z = np.array(b.certificate["Z"]) / b.certificate["denominator"]
    assert float(hyperplane_separation_value(X, Z)) == b.value
    assert b.certified and b.bound <= 5


def _independent_value(X, Z_int) -> Fraction:
    """<Z, X> / (alpha(Z) max X) from scratch: alpha by brute force over row subsets R (the
    best rectangle on rows R takes every column supported on all of R whose Z-sum is positive,
    or the single best one when none is)."""
    m, n = X.shape
    alpha = None
    for size in range(1, m + 1):
        for R in itertools.combinations(range(m), size):
            sums = [sum(int(Z_int[i][j]) for i in R) for j in range(n)
                    if all(X[i, j] > 0 for i in R)]
            if sums:
                best = sum(v for v in sums if v > 0) or max(sums)
                alpha = best if alpha is None else max(alpha, best)
    inner = sum(int(Z_int[i][j]) * Fraction(float(X[i, j])) for i in range(m) for j in range(n))
    return inner / (alpha * Fraction(float(X.max())))


@pytest.mark.parametrize("X", [linear_edm(5).X, ngon_slack(6).X, thomas_4x4().X],
                         ids=["edm5", "hexagon", "thomas"])
def test_the_certificate_checks_out_in_exact_arithmetic_by_an_independent_computation(X):
    b = hyperplane_separation_bound(X)
    assert b.certified
    Z_int = b.certificate["Z"]
    assert all(isinstance(z, int) for row in Z_int for z in row)
    value = _independent_value(X, Z_int)
    assert float(value) == pytest.approx(b.value, rel=1e-12)
    assert b.bound == math.ceil(value)
