"""The bracket lower <= rank₊ <= upper: known values, soundness under transformations."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnmf_research.bounds.nonnegative_rank import (BOUNDS, exact_nmf_upper_bound,
                                                   nonnegative_rank, parse_methods)
from nnmf_research.checks import NMFInputError
from nnmf_research.datasets import (cube_slack, j_minus_i, linear_edm, nested_hexagons,
                                    ngon_slack, planted_integer, thomas_4x4, udisj)

CHEAP = "rank,fooling_set,rectangle_cover,rectangle_cover_fractional,hyperplane_separation"
INVARIANT = ("rank", "fooling_set", "rectangle_cover", "rectangle_cover_fractional", "tau_sos",
             "geometric", "geometric_two_sided", "rank_exclusion", "refined_rectangle_cover")
NEW = "geometric_two_sided,rank_exclusion,refined_rectangle_cover"

KNOWN = [thomas_4x4(), j_minus_i(5), cube_slack(3), planted_integer(6, 6, 3),
         nested_hexagons(2.0), *[ngon_slack(n) for n in (4, 5, 6, 7, 8)],
         *[linear_edm(n) for n in (4, 5, 6)]]


def _bounds(report):
    return {b.method: b.bound for b in report.bounds}


def test_thomas_matrix_is_settled_at_4():
    report = nonnegative_rank(thomas_4x4().X, bounds=CHEAP + ",exact_nmf", time_limit=30)
    assert (report.lower, report.upper, report.exact) == (4, 4, True)
    assert _bounds(report)["fooling_set"] == 4


def test_hexagon_is_settled_at_5_by_the_rectangle_cover_and_an_exact_nmf():
    report = nonnegative_rank(ngon_slack(6).X, bounds=CHEAP + ",exact_nmf", time_limit=30)
    assert _bounds(report)["rectangle_cover"] == 5
    assert (report.lower, report.upper) == (5, 5)
    assert not report.upper_certified  # cosines: the factorization is numerical


def test_j_minus_i_is_settled_by_its_rank():
    report = nonnegative_rank(j_minus_i(6).X, bounds=CHEAP, time_limit=30)
    assert _bounds(report)["fooling_set"] == 3
    assert (report.lower, report.upper, report.exact) == (6, 6, True)


@pytest.mark.parametrize("data", KNOWN, ids=lambda d: d.name)
def test_lower_never_exceeds_the_known_rank_plus_and_upper_never_falls_below(data):
    report = nonnegative_rank(data.X, bounds=CHEAP + ",geometric,exact_nmf", time_limit=20)
    assert report.lower <= data.meta["rank_plus"] <= report.upper


def _transform(X, seed):
    rng = np.random.default_rng(seed)
    P = np.eye(X.shape[0])[rng.permutation(X.shape[0])]
    Q = np.eye(X.shape[1])[rng.permutation(X.shape[1])]
    D1 = np.diag(2.0 ** rng.integers(-3, 4, X.shape[0]))   # powers of 2: exact in floating point
    D2 = np.diag(2.0 ** rng.integers(-3, 4, X.shape[1]))
    return P @ D1 @ X @ D2 @ Q


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(0, len(KNOWN) - 1), seed=st.integers(0, 2**31 - 1))
def test_invariant_bounds_give_the_same_integers_after_permutation_and_scaling(index, seed):
    data = KNOWN[index]
    before = _bounds(nonnegative_rank(data.X, bounds=",".join(INVARIANT), time_limit=30))
    Y = _transform(data.X, seed)
    after = nonnegative_rank(Y, bounds=CHEAP + ",tau_sos,geometric," + NEW, time_limit=30)
    assert {m: _bounds(after)[m] for m in INVARIANT} == before
    assert after.lower <= data.meta["rank_plus"] <= after.upper


@pytest.mark.parametrize("data", KNOWN, ids=lambda d: d.name)
def test_the_frontier_bounds_never_exceed_the_known_rank_plus(data):
    report = nonnegative_rank(data.X, bounds="rank," + NEW, time_limit=30)
    assert all(b.bound is None or b.bound <= data.meta["rank_plus"] for b in report.bounds)


def test_udisj3_is_settled_at_8_within_the_default_budget():
    # rank 7; rank₊ = rank excluded exactly (rank_exclusion), and 8 = min(m, n)
    report = nonnegative_rank(udisj(3).X)
    assert (report.lower, report.upper, report.exact) == (8, 8, True)
    assert _bounds(report)["rank_exclusion"] == 8


def test_the_9_gon_is_bracketed_at_7_by_the_two_sided_geometric_bound():
    # rank₊ = 7 (Vandaele, Gillis & Glineur 2017); the upper end is a numerical factorization
    report = nonnegative_rank(ngon_slack(9).X, bounds="rank,geometric,geometric_two_sided,"
                              "exact_nmf", time_limit=60)
    assert _bounds(report)["geometric"] == 6
    assert (report.lower, report.upper) == (7, 7) and not report.exact


@pytest.mark.slow
def test_the_9_gon_is_settled_at_7_with_every_default_method():
    report = nonnegative_rank(ngon_slack(9).X)
    assert (report.lower, report.upper) == (7, 7) and report.inconsistency is None


def test_general_positive_scalings_keep_the_bracket_sound():
    rng = np.random.default_rng(7)
    X = ngon_slack(7).X
    Y = np.diag(rng.uniform(0.1, 10, 7)) @ X @ np.diag(rng.uniform(0.1, 10, 7))
    report = nonnegative_rank(Y, bounds=CHEAP + ",exact_nmf", time_limit=20)
    assert report.lower <= 6 <= report.upper


def test_exact_nmf_upper_bound_certifies_integer_data_and_falls_back_to_trivial():
    data = planted_integer(8, 7, 3)
    b = exact_nmf_upper_bound(data.X, start=3, time_limit=20)
    assert (b.bound, b.kind) == (3, "upper")
    b = exact_nmf_upper_bound(j_minus_i(4).X, start=4, time_limit=5)
    assert (b.bound, b.certified) == (4, True)


def test_json_summary_keeps_the_contract():
    summary = nonnegative_rank(thomas_4x4().X, bounds="rank,fooling_set", time_limit=10).summary()
    for key in ("shape", "rank", "lower", "upper", "exact", "bounds"):
        assert key in summary
    for b in summary["bounds"]:
        assert set(b) >= {"method", "kind", "value", "bound", "certified", "seconds", "status"}
    json.dumps(summary)


def test_time_budget_skips_what_does_not_fit_and_says_so():
    report = nonnegative_rank(ngon_slack(8).X, bounds=CHEAP, time_limit=1e-6)
    assert report.skipped and "rank" not in report.skipped
    skipped = [b for b in report.bounds if b.method in report.skipped]
    assert all(b.bound is None and b.status.startswith("skipped") for b in skipped)
    assert report.lower >= 3  # the rank always runs
    assert "skipped for time" in report.table()


def test_bad_input_and_unknown_methods_are_named():
    with pytest.raises(NMFInputError, match="unknown bound 'foo'"):
        parse_methods("rank,foo")
    with pytest.raises(NMFInputError, match="negative"):
        nonnegative_rank([[1.0, -2.0]])
    with pytest.raises(NMFInputError, match="empty"):
        nonnegative_rank(np.zeros((0, 0)))
    with pytest.raises(NMFInputError, match="NaN|finite"):
        nonnegative_rank([[np.nan, 1.0]])
    with pytest.raises(NMFInputError, match="2-D"):
        nonnegative_rank([1.0, 2.0])
    assert parse_methods(None) == list(BOUNDS)


def test_per_method_options_reach_the_method_and_bad_ones_are_named():
    X = thomas_4x4().X
    report = nonnegative_rank(X, bounds="tau_sos", time_limit=60,
                              options={"tau_sos": {"solver": "SCS"}})
    assert report.bounds[0].bound == 4
    with pytest.raises(NMFInputError, match="unknown option 'colour' for bound 'tau_sos'"):
        nonnegative_rank(X, bounds="tau_sos", options={"tau_sos": {"colour": "red"}})
    with pytest.raises(NMFInputError, match="options for unknown bound 'taus'"):
        nonnegative_rank(X, options={"taus": {}})


def test_a_near_miss_below_1e_6_is_not_counted_as_an_upper_bound(monkeypatch):
    from nnmf_research.bounds import exact_nmf as exact_module
    from nnmf_research.bounds.exact_nmf import ExactNMFResult

    real = exact_module.exact_nmf

    def fake(X, r, **kwargs):
        if r == 5:  # pretend the search stalled at 9.9e-7 at r = 5: factors off by ~1e-6
            res = real(X, r, **kwargs)
            return ExactNMFResult(res.W * (1 + 1e-6), res.H, r, 9.9e-7, res.status,
                                  res.heuristic, res.seconds)
        return real(X, r, **kwargs)

    monkeypatch.setattr(exact_module, "exact_nmf", fake)
    b = exact_nmf_upper_bound(ngon_slack(6).X, start=5, time_limit=3)
    assert b.bound == 6 and "near miss" in b.status
