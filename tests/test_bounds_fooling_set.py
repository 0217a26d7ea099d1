"""Fooling sets: a maximum clique of the rectangle graph, re-checked exactly."""

import networkx as nx
import numpy as np
import pytest

from nnmf_research.bounds.fooling_set import (check_fooling_set, fooling_set_bound,
                                              maximum_fooling_set, rectangle_graph)
from nnmf_research.checks import NMFInputError
from nnmf_research.datasets import cube_slack, j_minus_i, ngon_slack, thomas_4x4


def test_thomas_matrix_has_a_fooling_set_of_size_4():
    b = fooling_set_bound(thomas_4x4().X)
    assert (b.bound, b.certified) == (4, True)
    assert check_fooling_set(thomas_4x4().X, b.certificate)[0]


def test_j_minus_i_fooling_set_is_3():
    assert fooling_set_bound(j_minus_i(6).X).bound == 3


def test_identity_and_cube_and_hexagon():
    assert fooling_set_bound(np.eye(5)).bound == 5
    assert fooling_set_bound(cube_slack(3).X).bound == 6
    assert fooling_set_bound(ngon_slack(6).X).bound == 4
    assert fooling_set_bound(np.ones((4, 5))).bound == 1


def test_clique_number_agrees_with_brute_force_on_small_random_supports():
    rng = np.random.default_rng(0)
    for _ in range(30):
        X = (rng.random((4, 4)) < 0.5) * rng.random((4, 4))
        if not X.any():
            continue
        G = rectangle_graph(X)
        brute = max(len(c) for c in nx.enumerate_all_cliques(G))
        assert fooling_set_bound(X).bound == brute


def test_a_tampered_fooling_set_is_rejected_with_the_reason():
    X = thomas_4x4().X
    F = maximum_fooling_set(X)
    ok, why = check_fooling_set(X, F + [(0, 0)] if (0, 0) not in F else F + [(0, 1)])
    assert not ok and ("fit in one rectangle" in why or "repeated" in why)
    ok, why = check_fooling_set(X, [(0, 2)])
    assert not ok and "not positive" in why


def test_bad_input_is_named():
    with pytest.raises(NMFInputError, match="NaN|finite"):
        fooling_set_bound([[1.0, np.nan]])


def test_a_time_limit_cuts_a_large_clique_search_short_with_a_valid_fooling_set():
    import time

    from nnmf_research.bounds.fooling_set import check_fooling_set

    X = (np.random.default_rng(0).uniform(size=(30, 64)) > 0.5) * 1.0
    t0 = time.perf_counter()
    b = fooling_set_bound(X, time_limit=1.0)
    assert time.perf_counter() - t0 < 30           # not minutes
    assert "time limit" in b.status and b.certified
    assert check_fooling_set(X, b.certificate)[0] and b.bound == len(b.certificate) >= 10
