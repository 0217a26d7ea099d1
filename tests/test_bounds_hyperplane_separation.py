"""Hyperplane separation with an LP-chosen Z, evaluated exactly."""

import itertools

import numpy as np

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
    assert 0 < hyperplane_separation_bound(ngon_slack(9).X).value <= 6


def test_the_value_is_recomputed_exactly_for_the_certificate():
    X = linear_edm(5).X
    b = hyperplane_separation_bound(X)
    Z = np.array(b.certificate["Z"]) / b.certificate["denominator"]
    assert float(hyperplane_separation_value(X, Z)) == b.value
    assert b.certified and b.bound <= 5
