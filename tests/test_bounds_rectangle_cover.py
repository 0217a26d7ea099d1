"""Rectangle covering number (MILP) and its LP relaxation with an exactly re-checked dual."""

import itertools
from fractions import Fraction

import numpy as np
import pytest

from nnmf_research.bounds.rectangle_cover import (check_fractional_cover_dual,
                                                  maximal_rectangles, rectangle_cover_bound,
                                                  rectangle_cover_fractional_bound)
from nnmf_research.datasets import cube_slack, j_minus_i, linear_edm, ngon_slack, thomas_4x4


def _brute_force_cover_number(X):
    P = X > 0
    rects = maximal_rectangles(X)
    cells = {tuple(e) for e in np.argwhere(P)}
    for k in range(1, len(rects) + 1):
        for combo in itertools.combinations(rects, k):
            if {(i, j) for R, C in combo for i in R for j in C} >= cells:
                return k


def test_maximal_rectangles_are_inside_the_support_and_maximal():
    X = ngon_slack(6).X
    P = X > 0
    for R, C in maximal_rectangles(X):
        assert P[np.ix_(R, C)].all()
        for i in set(range(6)) - set(R):
            assert not P[i, list(C)].all()
        for j in set(range(6)) - set(C):
            assert not P[list(R), j].all()


def test_known_cover_numbers():
    assert rectangle_cover_bound(thomas_4x4().X).bound == 4
    assert rectangle_cover_bound(ngon_slack(6).X).bound == 5   # regular hexagon: 5 = rank₊
    assert rectangle_cover_bound(cube_slack(3).X).bound == 6
    assert rectangle_cover_bound(j_minus_i(6).X).bound == 4    # C(4, 2) = 6 >= 6 > C(3, 1)
    assert rectangle_cover_bound(np.ones((3, 4))).bound == 1


def test_milp_agrees_with_brute_force_on_small_random_supports():
    rng = np.random.default_rng(3)
    for _ in range(15):
        X = (rng.random((5, 4)) < 0.6).astype(float)
        if not X.any():
            continue
        assert rectangle_cover_bound(X).bound == _brute_force_cover_number(X)


def test_fractional_bound_is_certified_by_its_dual_and_below_the_cover_number():
    for X in (thomas_4x4().X, ngon_slack(6).X, ngon_slack(8).X, linear_edm(6).X):
        frac = rectangle_cover_fractional_bound(X)
        whole = rectangle_cover_bound(X)
        assert frac.certified
        assert frac.bound <= whole.bound
        assert Fraction(frac.certificate["certified_value"]) <= frac.value + 1e-9
    assert rectangle_cover_fractional_bound(ngon_slack(6).X).value == pytest.approx(4.5)


def test_a_dual_that_violates_a_rectangle_is_rescaled_never_trusted():
    X = thomas_4x4().X
    y = {tuple(map(int, e)): Fraction(1) for e in np.argwhere(X > 0)}  # 8 entries, weight 1 each
    value, _ = check_fractional_cover_dual(X, y)
    assert value == 4  # every maximal rectangle of Thomas holds 2 entries: 8 / 2
    value, why = check_fractional_cover_dual(X, {(0, 2): Fraction(1)})
    assert value == 0 and "not a positive entry" in why


def test_time_limit_gives_no_bound_rather_than_a_wrong_one():
    b = rectangle_cover_fractional_bound(ngon_slack(12).X, time_limit=1e-9)
    assert b.bound is None and b.status.startswith("time limit")


def test_a_milp_time_limit_reports_its_dual_bound_rounded_up_and_uncertified(monkeypatch):
    """HiGHS stopped by its time limit (status 1) gives the best dual bound d: every cover has
    at least ceil(d) rectangles, which is a valid lower bound, never called certified."""
    from types import SimpleNamespace

    from nnmf_research.bounds import rectangle_cover as rc
    from nnmf_research.status import Kind

    seen = {}

    def stopped(c, constraints, integrality, bounds, options):
        seen.update(options)
        return SimpleNamespace(status=1, mip_dual_bound=5.3, x=None, fun=None,
                               message="Time limit reached")

    monkeypatch.setattr(rc, "milp", stopped)
    b = rc.rectangle_cover_bound(ngon_slack(9).X, time_limit=30)
    assert (b.bound, b.certified, b.status.kind) == (6, False, Kind.TIME_LIMIT)
    assert b.value == 5.3 and "dual bound 5.3" in b.status
    assert 1.0 <= seen["time_limit"] <= 30
    # a dual bound within rounding noise of an integer is not pushed up past it
    monkeypatch.setattr(rc, "milp", lambda *a, **k: SimpleNamespace(
        status=1, mip_dual_bound=6.0000000001, x=None, fun=None, message=""))
    assert rc.rectangle_cover_bound(ngon_slack(9).X, time_limit=30).bound == 6
    # no usable dual bound: no bound at all, never a guess
    monkeypatch.setattr(rc, "milp", lambda *a, **k: SimpleNamespace(
        status=1, mip_dual_bound=float("-inf"), x=None, fun=None, message="Time limit"))
    none = rc.rectangle_cover_bound(ngon_slack(9).X, time_limit=30)
    assert none.bound is None and none.status.kind is Kind.FAILED
