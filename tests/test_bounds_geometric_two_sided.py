"""The two-sided geometric bound: face counts, known values, never above a planted inner dimension."""

import itertools
import math
from fractions import Fraction
from math import comb

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnmf_research.bounds.geometric_two_sided import (geometric_two_sided_bound,
                                                      two_sided_lower_bound, two_sided_phi)
from nnmf_research.bounds.nested_polygons import cyclic_polytope_faces, geometric_bound, phi
from nnmf_research.bounds.rank import stored_rank
from nnmf_research.datasets import linear_edm, nested_hexagons, ngon_rank_plus, ngon_slack, thomas_4x4
from test_bounds_scaling_soundness import _dyadic_polygon_slack

VGG_GEOMETRIC_ROW = [5, 6, 6, 6, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 9]   # n = 6..21, Table 1


def _facets_closed_form(v, D):
    """Facets of the cyclic polytope C(v, D) (Gale evenness)."""
    a, odd = divmod(D, 2)
    return 2 * comb(v - a - 1, a) if odd else comb(v - a, a) + comb(v - a - 1, a - 1)


@pytest.mark.parametrize("D", range(2, 9))
def test_facet_counts_agree_with_the_closed_form(D):
    for v in range(D + 1, 25):
        assert cyclic_polytope_faces(v, D, D - 1) == _facets_closed_form(v, D)


def test_the_key_counts_of_the_9_gon():
    assert (_facets_closed_form(6, 3), _facets_closed_form(6, 4), _facets_closed_form(7, 4)) == \
        (8, 9, 14)
    assert (two_sided_phi(6), two_sided_phi(7), phi(3, 6)) == (8, 14, 9)


def test_without_the_cap_the_bound_is_the_one_sided_row_of_vgg_table_1():
    one_sided = [min(r for r in range(3, 40) if phi(3, r, max_rank_w=r) >= n)
                 for n in range(6, 22)]
    assert one_sided == VGG_GEOMETRIC_ROW
    two_sided = [two_sided_lower_bound(n, n) for n in range(6, 22)]
    assert [n for n, a, b in zip(range(6, 22), one_sided, two_sided) if a != b] == [9]
    assert two_sided[9 - 6] == 7


@pytest.mark.parametrize("data, value", [(ngon_slack(9), 7), (linear_edm(9), 7)])
def test_the_9_gon_and_the_linear_edm_of_order_9_get_7(data, value):
    b = geometric_two_sided_bound(data.X)
    assert b.bound == value and geometric_bound(data.X).bound == 6
    assert b.certificate["restricted_rank"] == b.certificate["restricted_rank_transposed"] == 9


@pytest.mark.parametrize("data, rank_plus", [
    *[(ngon_slack(n), ngon_rank_plus(n)) for n in range(3, 14)],
    (linear_edm(4), 4), (linear_edm(5), 5), (linear_edm(6), 5), (thomas_4x4(), 4),
    (nested_hexagons(2.0), 5)], ids=lambda v: getattr(v, "name", str(v)))
def test_never_above_the_known_nonnegative_rank(data, rank_plus):
    b = geometric_two_sided_bound(data.X)
    assert b.bound <= rank_plus
    assert b.bound >= geometric_bound(data.X).bound


def _solve3(M, y):
    """Cramer's rule over Q for a 3×3 integer system; None when singular."""
    def det(A):
        return (A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1])
                - A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0])
                + A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]))
    d = det(M)
    if d == 0:
        return None
    return [Fraction(det([[y[i] if k == c else M[i][k] for k in range(3)] for i in range(3)]), d)
            for c in range(3)]


def _ccw_hull(pts):
    order = sorted(range(len(pts)), key=lambda i: pts[i])

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    hull = []
    for seq in (order, order[::-1]):
        part = []
        for i in seq:
            while len(part) >= 2 and cross(pts[part[-2]], pts[part[-1]], pts[i]) <= 0:
                part.pop()
            part.append(i)
        hull += part[:-1]
    return hull


def _edge_multipliers(A, k1, k2, a):
    """λ ≥ 0 on facets k1, k2 with λ1 A_k1 + λ2 A_k2 = (a, 0), or None."""
    z1, z2 = A[k1][2], A[k2][2]
    l1, l2 = Fraction(-z2), Fraction(z1)
    comb = [l1 * A[k1][i] + l2 * A[k2][i] for i in range(2)]
    i = 0 if a[0] != 0 else 1
    if comb[i] == 0:
        return None
    f = Fraction(a[i]) / comb[i]
    if [f * comb[0], f * comb[1]] != list(a) or f * l1 < 0 or f * l2 < 0:
        return None
    return f * l1, f * l2


def _shadow_of_a_3_polytope(seed):
    """(X, r): X = W H exactly, the slack matrix of the shadow P = π(Q') of a random simple
    3-polytope Q' = {A z ≤ c} with r facets (π drops z): rows the shadows of Q's vertices,
    columns P's edges, W = c − A v ≥ 0 and H the multipliers writing each edge of P as a
    non-negative combination of the two facets over it. rank(X) = 3, rank₊(X) ≤ r, and P
    can have more than r vertices (the hexagon from a prism-like Q' with 5 facets).
    Rows and columns are scaled to integers (rank₊ is invariant)."""
    g = np.random.default_rng(seed)
    while True:
        r = int(g.integers(5, 9))
        A = [[int(v) for v in g.integers(-3, 4, 3)] for _ in range(r)]
        if any(not any(a) for a in A):
            continue
        c = [math.ceil(math.sqrt(sum(v * v for v in a))) for a in A]
        slack = [lambda v, k=k: c[k] - sum(a * x for a, x in zip(A[k], v)) for k in range(r)]
        verts = sorted({tuple(v) for T in itertools.combinations(range(r), 3)
                        if (v := _solve3([A[k] for k in T], [c[k] for k in T])) is not None
                        and all(f(v) >= 0 for f in slack)})
        tight = [{k for k in range(r) if slack[k](v) == 0} for v in verts]
        pts = [v[:2] for v in verts]
        if len(verts) < 4 or any(len(t) != 3 for t in tight) or len(set(pts)) != len(pts):
            continue
        hull = _ccw_hull(pts)
        H = []
        for s, t in zip(hull, hull[1:] + hull[:1]):
            p, q = pts[s], pts[t]
            T = sorted(tight[s] & tight[t])
            lam = _edge_multipliers(A, *T, (q[1] - p[1], p[0] - q[0])) if len(T) == 2 else None
            if lam is None:
                break
            col = [Fraction(0)] * r
            col[T[0]], col[T[1]] = lam
            H.append(col)
        if len(hull) < 3 or len(H) != len(hull):
            continue
        X = [[sum(slack[k](v) * h[k] for k in range(r)) for h in H] for v in verts]
        rows = [math.lcm(*(x.denominator for x in row)) for row in X]
        X = [[x * d for x in row] for row, d in zip(X, rows)]
        cols = [math.lcm(*(row[j].denominator for row in X)) for j in range(len(H))]
        Xi = np.array([[int(row[j] * cols[j]) for j in range(len(H))] for row in X])
        if Xi.max() < 2**50 and stored_rank(Xi.astype(float))[0] == 3:
            return Xi.astype(float), r


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), spread=st.integers(0, 40), transpose=st.booleans())
def test_never_above_the_facet_count_of_a_3_polytope_whose_shadow_it_is(seed, spread, transpose):
    g = np.random.default_rng(seed)
    X, r = _shadow_of_a_3_polytope(seed)
    X = X.T if transpose else X
    a = 2.0 ** g.integers(-spread, spread + 1, X.shape[0])
    b = 2.0 ** g.integers(-spread, spread + 1, X.shape[1])
    Y = a[:, None] * X * b[None, :]
    bound = geometric_two_sided_bound(Y)
    assert bound.bound <= r, bound.status
    assert bound.bound == geometric_two_sided_bound(X).bound       # exact scalings
    assert bound.bound == geometric_two_sided_bound(Y.T).bound      # the bound is symmetric


def test_shadows_with_more_vertices_than_facets_meet_the_bound():
    # a 3-polytope with 5 facets whose shadow is a hexagon: the bound is 5 = rank₊ there
    found = {}
    for seed in range(40):
        X, r = _shadow_of_a_3_polytope(seed)
        if X.shape[1] > r:
            found[(r, X.shape[1])] = geometric_two_sided_bound(X).bound
    assert found.get((5, 6)) == 5 and all(b <= r for (r, _), b in found.items())


@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), spread=st.integers(0, 40))
def test_scaled_dyadic_polygons_never_get_more_than_their_number_of_vertices(seed, spread):
    S, X, n = _dyadic_polygon_slack(seed, spread)
    b = geometric_two_sided_bound(X)
    assert b.bound <= n and b.bound == geometric_two_sided_bound(S).bound


def test_other_ranks():
    assert geometric_two_sided_bound(np.eye(2)).bound == 2
    assert geometric_two_sided_bound(np.eye(4)).bound is None
