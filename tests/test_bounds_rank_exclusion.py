"""Excluding rank₊ = rank: UDISJ₃ gets 8, products with rank₊ = rank are never excluded."""

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnmf_research.bounds.rank import stored_rank
from nnmf_research.bounds.rank_exclusion import check_rank_exclusion, rank_exclusion_bound
from nnmf_research.datasets import cube_slack, linear_edm, ngon_slack, thomas_4x4, udisj
from nnmf_research.status import Kind


def _sets(k):
    return [frozenset(s) for r in range(1, k + 1) for s in itertools.combinations(range(k), r)]


def test_udisj3_has_rank_7_and_nonnegative_rank_8():
    X = udisj(3).X
    b = rank_exclusion_bound(X)
    assert stored_rank(X)[0] == 7
    assert (b.bound, b.certified) == (8, True) and len(b.certificate["entries"]) == 9
    assert check_rank_exclusion(X, b.certificate)[0]


def test_udisj3_separated_entries_share_no_admissible_rectangle_by_exhaustive_search():
    # an independent check: the left and right null spaces of UDISJ₃ are spanned by
    # z_A = (−1)^|A|, so a support set is admissible iff it holds both parities (Gordan);
    # enumerate every admissible rectangle inside the support
    X = udisj(3).X
    P = X > 0
    parity = [bin(a).count("1") % 2 for a in range(8)]
    admissible = [s for s in _sets(8) if {parity[i] for i in s} == {0, 1}]
    assert all(abs(sum((-1) ** parity[i] * X[i, j] for i in range(8))) == 0 for j in range(8))
    rectangles = [(I, J) for I in admissible for J in admissible
                  if P[np.ix_(sorted(I), sorted(J))].all()]
    assert len({I for I, _ in rectangles}) == 39
    F = rank_exclusion_bound(X).certificate["entries"]
    assert max(sum(i in I and j in J for i, j in F) for I, J in rectangles) == 1


def test_the_issues_nine_entries_are_separated_too():
    X = udisj(3).X
    cert = dict(rank_exclusion_bound(X).certificate)
    s = [1 << i for i in range(3)]                  # {i} as a bitmask
    d = [7 ^ v for v in s]                          # [3] \ {i}
    cert["entries"] = [e for i in range(3) for e in ((s[i], d[i]), (d[i], s[i]), (d[i], d[i]))]
    assert check_rank_exclusion(X, cert)[0]


@pytest.mark.parametrize("data, bound", [(thomas_4x4(), 4), (linear_edm(6), 4), (cube_slack(3), 5)])
def test_matrices_with_rank_plus_above_rank_may_be_excluded_but_not_beyond_the_truth(data, bound):
    # Thomas: rank 3, rank₊ 4; EDM₆: rank 3, rank₊ 5; the 3-cube: rank 4, rank₊ 6
    b = rank_exclusion_bound(data.X)
    assert b.bound == bound <= data.meta["rank_plus"]
    assert check_rank_exclusion(data.X, b.certificate)[0]


def _product_with_rank_plus_equal_rank(seed, spread):
    g = np.random.default_rng(seed)
    while True:
        m, n, r = int(g.integers(4, 8)), int(g.integers(4, 8)), int(g.integers(3, 5))
        W = g.integers(0, 3, (m, r)) * (g.random((m, r)) < 0.6)
        H = g.integers(0, 3, (r, n)) * (g.random((r, n)) < 0.6)
        X = (W @ H).astype(float)
        if r < min(m, n) and stored_rank(X)[0] == r:
            break
    a = 2.0 ** g.integers(-spread, spread + 1, m)
    b = 2.0 ** g.integers(-spread, spread + 1, n)
    Y = a[:, None] * X * b[None, :]
    return Y[np.ix_(g.permutation(m), g.permutation(n))], r


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), spread=st.integers(0, 40))
def test_products_with_inner_dimension_equal_to_the_rank_are_never_excluded(seed, spread):
    X, r = _product_with_rank_plus_equal_rank(seed, spread)   # rank₊ = rank = r exactly
    b = rank_exclusion_bound(X)
    assert b.bound == r, b.status


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), spread=st.integers(0, 40))
def test_udisj3_keeps_its_bound_under_permutations_and_power_of_two_scalings(seed, spread):
    g = np.random.default_rng(seed)
    X = udisj(3).X
    a, c = 2.0 ** g.integers(-spread, spread + 1, 8), 2.0 ** g.integers(-spread, spread + 1, 8)
    Y = (a[:, None] * X * c[None, :])[np.ix_(g.permutation(8), g.permutation(8))]
    b = rank_exclusion_bound(Y)
    assert b.bound == 8 and check_rank_exclusion(Y, b.certificate)[0]


def test_rounded_float_data_are_not_judged():
    b = rank_exclusion_bound(ngon_slack(6).X)    # exact rank 6, rank 3 above rounding level
    assert b.bound is None and b.status_kind is Kind.SKIPPED


def test_a_tampered_certificate_is_rejected():
    X = udisj(3).X
    cert = rank_exclusion_bound(X).certificate
    assert not check_rank_exclusion(X, {**cert, "entries": cert["entries"][:7]})[0]
    S, z = cert["rows"][0]
    bad = [str(-Fraction(v)) if i == 0 else v for i, v in enumerate(z)]
    ok, why = check_rank_exclusion(X, {**cert, "rows": [(S, bad)] + cert["rows"][1:]})
    assert not ok and "null vector" in why
