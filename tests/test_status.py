"""Status as data: the text stays what the tests and the JSON pin, the kind sits next to it."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from nnmf_research.results import RankBound
from nnmf_research.status import Kind, Status, kind_of, solver_outcome


def test_a_status_is_its_text_and_carries_its_kind():
    s = Status(Kind.SKIPPED, "skipped: time budget used up")
    assert s == "skipped: time budget used up" and s.kind is Kind.SKIPPED
    assert json.dumps({"status": s}) == '{"status": "skipped: time budget used up"}'
    again = pickle.loads(pickle.dumps(s))
    assert again == s and again.kind is Kind.SKIPPED
    assert kind_of("plain prose") is Kind.OK


@pytest.mark.parametrize("cvxpy_status,hit,kind", [
    ("optimal", False, Kind.OK), ("optimal", True, Kind.OK),
    ("optimal_inaccurate", False, Kind.INACCURATE), ("optimal_inaccurate", True, Kind.TIME_LIMIT),
    ("user_limit", False, Kind.TIME_LIMIT), ("infeasible", False, Kind.FAILED),
    ("unbounded_inaccurate", False, Kind.FAILED), ("infeasible", True, Kind.TIME_LIMIT),
    (None, False, Kind.FAILED)])
def test_one_map_from_a_cvxpy_status_to_a_kind(cvxpy_status, hit, kind):
    assert solver_outcome(cvxpy_status, hit_time_limit=hit) is kind


def test_no_bound_is_nan_none_uncertified_with_its_kind_and_the_same_json():
    b = RankBound.no_bound("tau_sos", "lower", Kind.TIME_LIMIT, "time limit 2 s reached", 2.5)
    assert np.isnan(b.value) and b.bound is None and not b.certified
    assert b.status_kind is Kind.TIME_LIMIT and b.status == "time limit 2 s reached"
    assert b.summary()["status"] == "time limit 2 s reached" and b.summary()["seconds"] == 2.5


def test_the_bracket_reports_not_needed_and_skipped_as_kinds():
    from nnmf_research.bounds.nonnegative_rank import nonnegative_rank

    # a large matrix whose rank is already min(m, n): the rest of the bounds are not needed
    report = nonnegative_rank(np.eye(25), bounds=["rank", "fooling_set", "exact_nmf"])
    kinds = {b.method: b.status_kind for b in report.bounds}
    assert kinds == {"rank": Kind.OK, "fooling_set": Kind.NOT_NEEDED,
                     "exact_nmf": Kind.NOT_NEEDED}


def test_stop_reasons_carry_their_kind():
    from nnmf_research.drivers.alternating import alternate
    from nnmf_research.kernels import HALS

    gen = np.random.default_rng(0)
    X = gen.random((6, 5))
    W, H = gen.random((6, 2)), gen.random((2, 5))
    assert alternate(X, W, H, HALS(), max_iter=3, tol=0).stop_reason.kind is Kind.STOPPED
    fit = alternate(X, W, H, HALS(), max_iter=10**6, tol=0, time_limit=0.05)
    assert fit.stop_reason.startswith("time limit") and fit.stop_reason.kind is Kind.TIME_LIMIT


def test_a_time_limited_bound_says_so_as_data():
    from nnmf_research.bounds.rectangle_cover import rectangle_cover_fractional_bound
    from nnmf_research.datasets import ngon_slack

    b = rectangle_cover_fractional_bound(ngon_slack(12).X, time_limit=1e-9)
    assert b.bound is None and b.status_kind is Kind.TIME_LIMIT
    assert b.status.startswith("time limit")
