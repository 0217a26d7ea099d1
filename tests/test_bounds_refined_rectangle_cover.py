"""The refined rectangle covering bound: paper values, brute force, soundness at every scale."""

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnmf_research.bounds.rectangle_cover import maximal_rectangles, rectangle_cover_bound
from nnmf_research.bounds.refined_rectangle_cover import (check_refined_cover,
                                                          nonsingular_blocks,
                                                          refined_rectangle_cover_bound)
from nnmf_research.datasets import (cube_slack, j_minus_i, linear_edm, nested_hexagons,
                                    ngon_slack, planted_integer, thomas_4x4)
from nnmf_research.status import Kind
from test_bounds_scaling_soundness import _dyadic_polygon_slack, _planted


def _brute_force_rrcb(X):
    """Smallest multiset (multiplicities ≤ 2) of maximal rectangles passing the definition."""
    rects = maximal_rectangles(X)
    for k in range(1, 2 * len(rects) + 1):
        for combo in itertools.combinations_with_replacement(range(len(rects)), k):
            counts = {t: combo.count(t) for t in set(combo)}
            if max(counts.values()) > 2:
                continue
            cover = [(*rects[t], c) for t, c in counts.items()]
            if check_refined_cover(X, cover)[0]:
                return k


@pytest.mark.parametrize("n, rrcb", [(6, 5), (7, 6), (8, 6)])
def test_regular_ngons_get_the_values_of_vandaele_gillis_glineur_table_1(n, rrcb):
    b = refined_rectangle_cover_bound(ngon_slack(n).X)
    assert b.bound == rrcb and b.status_kind is Kind.OK
    assert check_refined_cover(ngon_slack(n).X, b.certificate["cover"])[0]


@pytest.mark.slow
def test_the_regular_9_gon_gets_7_where_the_rectangle_cover_gives_6():
    X = ngon_slack(9).X
    b = refined_rectangle_cover_bound(X)
    assert (b.bound, rectangle_cover_bound(X).bound) == (7, 6)   # VGG 2017, Table 1
    assert check_refined_cover(X, b.certificate["cover"])[0]


def test_a_plain_6_rectangle_cover_of_the_9_gon_meets_some_block_only_once():
    X = ngon_slack(9).X
    cover = rectangle_cover_bound(X).certificate["cover"]
    assert len(cover) == 6
    ok, why = check_refined_cover(X, [(R, C, 1) for R, C in cover])
    assert not ok and "needs 2" in why


def test_rounding_noise_in_a_determinant_does_not_count():
    # the hexagon's cosines make three exactly singular blocks non-singular by ~1e-16
    X = ngon_slack(6).X
    assert len(nonsingular_blocks(X, eps=0.0).blocks) == 27
    assert len(nonsingular_blocks(X).blocks) == 24
    assert refined_rectangle_cover_bound(X).bound == 5            # rank₊ of the hexagon


def test_a_positive_2x2_matrix_needs_two_terms_exactly_when_it_is_non_singular():
    assert refined_rectangle_cover_bound(np.array([[1.0, 2.0], [3.0, 4.0]])).bound == 2
    assert refined_rectangle_cover_bound(np.array([[1.0, 2.0], [3.0, 6.0]])).bound == 1


def test_milp_agrees_with_brute_force_on_small_random_matrices():
    rng = np.random.default_rng(11)
    done = 0
    while done < 12:
        X = rng.integers(1, 4, (4, 4)) * (rng.random((4, 4)) < 0.7)
        if not X.any():
            continue
        assert refined_rectangle_cover_bound(X).bound == _brute_force_rrcb(X)
        done += 1


KNOWN = [thomas_4x4(), j_minus_i(5), cube_slack(3), planted_integer(6, 6, 3, seed=1),
         planted_integer(7, 6, 4, seed=2), nested_hexagons(2.0), nested_hexagons(1.5),
         *[ngon_slack(n) for n in (4, 5, 6, 7)], *[linear_edm(n) for n in (3, 4, 5, 6)]]
UPPER = {d.name: d.meta["rank_plus"] or min(d.X.shape) for d in KNOWN}


@pytest.mark.parametrize("data", KNOWN, ids=lambda d: d.name)
def test_never_above_the_known_nonnegative_rank(data):
    b = refined_rectangle_cover_bound(data.X)
    assert b.bound is not None and rectangle_cover_bound(data.X).bound <= b.bound
    assert b.bound <= UPPER[data.name]


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), spread=st.integers(0, 40))
def test_scaled_planted_products_never_get_more_than_their_inner_dimension(seed, spread):
    X0, X, r = _planted(seed, spread)
    b = refined_rectangle_cover_bound(X)
    assert b.bound <= r
    assert b.bound == refined_rectangle_cover_bound(X0).bound     # power-of-two scaling


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), spread=st.integers(0, 40))
def test_scaled_dyadic_polygons_never_get_more_than_their_number_of_vertices(seed, spread):
    S, X, n = _dyadic_polygon_slack(seed, spread)       # exact rank 3, rank₊ ≤ n
    b = refined_rectangle_cover_bound(X)
    assert b.bound <= n and b.bound == refined_rectangle_cover_bound(S).bound


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(0, len(KNOWN) - 1), seed=st.integers(0, 2**31 - 1))
def test_invariant_under_permutations_and_positive_scalings(index, seed):
    data = KNOWN[index]
    rng = np.random.default_rng(seed)
    X = data.X
    pr, pc = rng.permutation(X.shape[0]), rng.permutation(X.shape[1])
    d1 = 10.0 ** rng.uniform(-10, 10, X.shape[0])        # general, not powers of two
    d2 = 10.0 ** rng.uniform(-10, 10, X.shape[1])
    Y = (d1[:, None] * X * d2[None, :])[np.ix_(pr, pc)]
    assert refined_rectangle_cover_bound(Y).bound == refined_rectangle_cover_bound(X).bound


def test_a_time_limit_gives_a_valid_bound_or_none():
    b = refined_rectangle_cover_bound(ngon_slack(9).X, time_limit=1.0)
    assert b.bound is None or b.bound <= 7
    assert b.status_kind in (Kind.TIME_LIMIT, Kind.OK)
    tiny = refined_rectangle_cover_bound(ngon_slack(12).X, time_limit=1e-9)
    assert tiny.bound is None and tiny.status_kind is Kind.TIME_LIMIT


# --- dihedral symmetry (leader constraints): the same value, a smaller search ---------------

from nnmf_research.bounds.refined_rectangle_cover import (cover_symmetries,  # noqa: E402
                                                          leader_constraints, symmetry_group)


def _system(X):
    return maximal_rectangles(X), nonsingular_blocks(X).blocks


@pytest.mark.parametrize("n", [5, 6, 7, 8])
def test_the_regular_ngon_system_has_the_dihedral_group_of_order_2n(n):
    X = ngon_slack(n).X
    group = symmetry_group(cover_symmetries(X, *_system(X)))
    assert len(group) == 2 * n


def _circulant(first_row):
    n = len(first_row)
    return np.array([[first_row[(j - i) % n] for j in range(n)] for i in range(n)], dtype=float)


def _symmetric_circulants():
    rng = np.random.default_rng(5)
    out = []
    for n in (5, 6, 7):
        for _ in range(3):
            half = rng.integers(0, 4, n)
            row = [half[min(d, (n - 1 - d) % n)] for d in range(n)]   # c_d = c_{n-1-d}
            if sum(row):
                out.append(_circulant(row))
            out.append(_circulant(rng.integers(0, 4, n)))
    return out


@pytest.mark.parametrize("X", _symmetric_circulants() + [d.X for d in KNOWN],
                         ids=lambda X: f"{X.shape[0]}x{X.shape[1]}")
def test_symmetry_breaking_keeps_the_value(X):
    on = refined_rectangle_cover_bound(X, symmetry=True)
    off = refined_rectangle_cover_bound(X, symmetry=False)
    assert on.bound == off.bound and on.status_kind is off.status_kind is Kind.OK
    assert check_refined_cover(X, on.certificate["cover"])[0]


def test_symmetry_breaking_agrees_with_brute_force_on_circulants():
    # brute force over covers that satisfy the leader constraints, against the plain one
    for X in _symmetric_circulants()[:6]:
        rects, blocks = _system(X)
        pairs = leader_constraints(symmetry_group(cover_symmetries(X, rects, blocks)) or [])
        best = None
        for k in range(1, 2 * len(rects) + 1):
            for combo in itertools.combinations_with_replacement(range(len(rects)), k):
                x = np.bincount(combo, minlength=len(rects))
                if x.max() > 2 or any(x[a] < x[b] for a, b in pairs):
                    continue
                if check_refined_cover(X, [(*rects[t], x[t]) for t in np.flatnonzero(x)])[0]:
                    best = k
                    break
            if best is not None:
                break
        assert best == _brute_force_rrcb(X)


def test_a_move_that_keeps_the_support_but_not_the_blocks_is_rejected():
    X = np.ones((4, 4)) - np.eye(4)       # J − I: every all-positive block is singular
    shift = ((1, 2, 3, 0), (1, 2, 3, 0))
    rects, blocks = _system(X)
    assert blocks == [] and len(cover_symmetries(X, rects, blocks, [shift])) == 1
    X[0, 1] = 2.0                         # now only the blocks through (0, 1) count
    rects, blocks = _system(X)
    assert len(blocks) > 0 and all((0, 1) in {(b[0], b[2]), (b[0], b[3])} for b in blocks)
    assert cover_symmetries(X, rects, blocks, [shift]) == []


def test_a_move_that_breaks_the_support_is_rejected():
    X = ngon_slack(6).X.copy()
    X[0, 2] = 0.0
    group = symmetry_group(cover_symmetries(X, *_system(X)))
    assert group is not None and len(group) < 12          # D₆ no longer maps it onto itself
    assert refined_rectangle_cover_bound(X).bound == \
        refined_rectangle_cover_bound(X, symmetry=False).bound


def test_leader_constraints_follow_a_stabilizer_chain():
    # the cyclic group of order 3 on three indices: one orbit, leader 0 over 1 and 2
    g = (1, 2, 0)
    group = symmetry_group([g])
    assert sorted(group) == [(0, 1, 2), (1, 2, 0), (2, 0, 1)]
    assert leader_constraints(group) == [(0, 1), (0, 2)]
    # a reflection of four indices: two orbits {0, 3}, {1, 2}; after fixing 0 nothing moves
    assert leader_constraints(symmetry_group([(3, 2, 1, 0)])) == [(0, 3)]
