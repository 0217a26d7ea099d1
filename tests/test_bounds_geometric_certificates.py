"""Exact certificates of the two-sided geometric bound: known values, forgeries rejected,
agreement with the floating-point polygons, never above a planted inner dimension."""

import copy
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnmf_research.bounds.geometric_certificates import (check_geometric_certificate,
                                                         contact_cycle, geometric_certificate,
                                                         verify_geometric_proof,
                                                         write_geometric_proof)
from nnmf_research.bounds.geometric_two_sided import (geometric_two_sided_bound,
                                                      two_sided_lower_bound)
from nnmf_research.bounds.nested_polygons import restricted_nonnegative_rank
from nnmf_research.datasets import linear_edm, ngon_slack
from test_bounds_scaling_soundness import _dyadic_polygon_slack


@pytest.mark.parametrize("n, value", [(6, 5), (9, 7), (12, 7)])
def test_the_linear_edm_is_certified_by_its_geometry(n, value):
    X = linear_edm(n).X                       # (i − j)², integers, rank 3 over Q
    b = geometric_two_sided_bound(X)
    assert b.bound == value and b.certified
    record = b.certificate["proof"]
    assert record["argument"] == "nested_polygons"
    assert len(record["columns"]["cycle"]) == len(record["rows"]["cycle"]) == n  # ρ = ρᵀ = n
    assert check_geometric_certificate(X, record)[:2] == (True, value)


def test_the_float_9_gon_is_certified_by_its_exact_rank_and_says_so():
    X = ngon_slack(9).X
    b = geometric_two_sided_bound(X)
    assert b.bound == 7 and b.certified and "not by the geometry" in b.status
    assert b.certificate["proof"]["argument"] == "exact_rank"
    ok, proved, why = check_geometric_certificate(X, b.certificate["proof"])
    assert ok and proved == 9 and "not the geometry" in why


@pytest.mark.parametrize("seed", range(6))
def test_a_polygon_slack_matrix_has_a_full_contact_cycle_on_both_sides(seed):
    S, _, n = _dyadic_polygon_slack(seed, 0)        # P = Q: rank₊* = n on both sides
    for M in (S, S.T):
        cycle = contact_cycle(M)
        assert len(cycle["cycle"]) == n == restricted_nonnegative_rank(M)
    b = geometric_two_sided_bound(S)
    assert b.certified and b.bound == two_sided_lower_bound(n, n)


def _edm_record():
    X = linear_edm(9).X
    return X, geometric_two_sided_bound(X).certificate["proof"]


def _rejected(X, record, words):
    ok, _, why = check_geometric_certificate(X, record)
    assert not ok and words in why, why


def test_an_inflated_claim_is_rejected():
    X, record = _edm_record()
    forged = {**record, "lower_bound": 8}
    _rejected(X, forged, "prove only 7")


def test_another_matrix_is_rejected():
    X, record = _edm_record()
    Y = X.copy()
    Y[0, 1] += 1.0
    _rejected(Y, record, "another matrix")


def test_a_false_row_witness_is_rejected():
    X, record = _edm_record()
    forged = copy.deepcopy(record)
    w = forged["columns"]["witnesses"]
    w[0] = {"row": (w[0]["row"] + 1) % 9}           # that row is positive on the next column
    _rejected(X, forged, "row witness")


def test_a_side_witness_with_both_columns_on_one_side_is_rejected():
    X, record = _edm_record()
    forged = copy.deepcopy(record)
    u, v = forged["columns"]["cycle"][:2]
    forged["columns"]["witnesses"][0] = {"sides": [u, v]}  # on the line, not strictly beside it
    _rejected(X, forged, "side witness")


def test_a_cycle_out_of_angular_order_is_rejected():
    X, record = _edm_record()
    forged = copy.deepcopy(record)
    c = forged["columns"]["cycle"]
    c[1], c[2] = c[2], c[1]
    _rejected(X, forged, "turn")


def test_a_cycle_that_winds_twice_is_rejected():
    X, record = _edm_record()
    forged = copy.deepcopy(record)
    forged["columns"]["cycle"] *= 2
    forged["columns"]["witnesses"] *= 2
    _rejected(X, forged, "winds 2 times")


def test_a_point_off_the_outer_polygon_is_rejected():
    # a dyadic polygon with an interior point added as a row (a column of Xᵀ with no zero)
    S, _, n = _dyadic_polygon_slack(1, 0)
    X = np.vstack([S, (S[0] + S[2]) / 2])           # rank 3; vertices 0, 2 share no facet
    record = geometric_certificate(X, geometric_two_sided_bound(X).bound)
    forged = copy.deepcopy(record)
    forged["rows"]["cycle"][0] = n
    _rejected(X, forged, "not on ∂Q")


def test_a_singular_block_does_not_prove_a_rank():
    X = linear_edm(9).X
    forged = {**_edm_record()[1], "argument": "exact_rank", "rows": [0, 1, 2, 3],
              "cols": [0, 1, 2, 3], "lower_bound": 4}
    _rejected(X, forged, "singular")


def test_the_proof_file_round_trips_through_verify(tmp_path):
    X = linear_edm(9).X
    b = geometric_two_sided_bound(X)
    path = write_geometric_proof(tmp_path / "geometric_two_sided", X, b)
    assert verify_geometric_proof(X, path.parent)["valid"]
    record = json.loads(path.read_text())
    record["lower_bound"] = 9
    path.write_text(json.dumps(record))
    report = verify_geometric_proof(X, path)
    assert not report["valid"] and "prove only 7" in report["reason"]


def _planted_rank3(seed):
    """X = Λ S: rows are dyadic convex combinations of a dyadic polygon's vertices' slack
    rows, so X ≥ 0 has rank 3 over Q and X = Λ · S with inner dimension n (the polygon's
    vertex count), and the rows of S themselves are kept so the rank stays 3."""
    g = np.random.default_rng(seed)
    S, _, n = _dyadic_polygon_slack(seed, 0)
    k = int(g.integers(0, 4))
    L = g.integers(0, 4, (k, n)).astype(float)
    L = L[L.sum(axis=1) > 0]
    X = np.vstack([S, L @ S / 4.0])
    keep = g.permutation(X.shape[0])
    return X[keep], n


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1))
def test_never_above_the_planted_inner_dimension(seed):
    X, n = _planted_rank3(seed)
    for M in (X, X.T):
        b = geometric_two_sided_bound(M)
        assert b.bound is None or b.bound <= n
        if b.certified:
            ok, proved, _ = check_geometric_certificate(M, b.certificate["proof"])
            assert ok and b.bound <= proved <= n


def test_nnmf_rank_writes_it_and_nnmf_verify_rechecks_it(tmp_path, capsys):
    from nnmf_research.cli import main

    path = tmp_path / "edm9.csv"
    np.savetxt(path, linear_edm(9).X, delimiter=",")
    proofs = tmp_path / "proofs"
    assert main(["rank", str(path), "--bounds", "geometric_two_sided", "--quiet",
                 "--proofs", str(proofs)]) == 0
    written = proofs / "geometric_two_sided" / "geometric_proof.json"
    assert written.exists()
    assert main(["verify", str(path), str(proofs)]) == 0
    assert "valid: rank+ >= 7" in capsys.readouterr().out
    record = json.loads(written.read_text())
    record["rows"]["witnesses"][3] = {"row": 99}      # no such row
    written.write_text(json.dumps(record))
    assert main(["verify", str(path), str(proofs)]) == 1
    assert "INVALID" in capsys.readouterr().out
