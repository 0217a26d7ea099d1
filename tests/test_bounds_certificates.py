"""Certificates: exact claims only after an exact Fraction check; tampering is caught."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from nnmf_research.bounds.certificates import (_matmul, certify, exact_product_check,
                                               load_certificate, save_certificate,
                                               verify_certificate)
from nnmf_research.bounds.exact_nmf import exact_nmf
from nnmf_research.checks import NMFInputError

THOMAS = np.array([[1.0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 1]])


def hexagon_slack():
    i = np.arange(6)
    v = np.c_[np.cos(2 * np.pi * i / 6), np.sin(2 * np.pi * i / 6)]
    a = np.c_[np.cos(2 * np.pi * (i + 0.5) / 6), np.sin(2 * np.pi * (i + 0.5) / 6)]
    S = np.cos(np.pi / 6) - v @ a.T
    S[np.abs(S) < 1e-14] = 0.0
    return S


@pytest.fixture(scope="module")
def planted_integer():
    gen = np.random.default_rng(0)
    W0 = gen.integers(0, 4, (8, 3)).astype(float)
    H0 = gen.integers(0, 4, (3, 7)).astype(float)
    X = W0 @ H0
    assert np.linalg.matrix_rank(X) == 3
    found = exact_nmf(X, 3)
    return X, found


def test_a_planted_integer_factorization_is_certified_as_an_exact_rational_product(
        planted_integer):
    X, found = planted_integer
    assert found.relative_error < 1e-12  # HALS: W, H are not the planted integers
    cert = certify(X, found.W, found.H)
    assert cert.claim == "certified exact" and cert.exact
    product = _matmul(cert.W, cert.H)
    assert product == [[Fraction(int(x)) for x in row] for row in X]
    assert all(v >= 0 for M in (cert.W, cert.H) for row in M for v in row)


def test_the_trivial_factorization_of_the_thomas_matrix_is_certified():
    assert certify(THOMAS, THOMAS, np.eye(4)).claim == "certified exact"


def test_irrational_data_are_never_called_exact():
    S = hexagon_slack()
    found = exact_nmf(S, 5)
    cert = certify(S, found.W, found.H)
    assert cert.claim.startswith("numerical (relative error") and not cert.exact
    assert cert.relative_error < 1e-12


def test_save_load_verify_round_trip(tmp_path, planted_integer):
    X, found = planted_integer
    path = tmp_path / "certificate.json"
    save_certificate(path, certify(X, found.W, found.H))
    report = verify_certificate(X, load_certificate(path))
    assert report["valid"] and report["claim"] == "certified exact"


def test_a_tampered_entry_is_rejected_and_named(tmp_path, planted_integer):
    X, found = planted_integer
    path = tmp_path / "certificate.json"
    save_certificate(path, certify(X, found.W, found.H))
    data = json.loads(path.read_text())
    data["H"][1][2] = str(Fraction(data["H"][1][2]) + Fraction(1, 7))
    path.write_text(json.dumps(data))
    report = verify_certificate(X, load_certificate(path))
    assert not report["valid"]
    assert "(WH) entry (" in report["reason"] and ", 2) is" in report["reason"]


def test_a_negative_factor_entry_is_named():
    W = [[Fraction(1), Fraction(-1, 3)]]
    H = [[Fraction(1)], [Fraction(0)]]
    check = exact_product_check([[Fraction(1)]], W, H)
    assert not check["exact"] and check["reason"] == "W entry (0, 1) is negative: -1/3"


def test_a_certificate_for_another_matrix_is_rejected(planted_integer):
    X, found = planted_integer
    cert = certify(X, found.W, found.H)
    Y = X.copy()
    Y[2, 5] += 1
    report = verify_certificate(Y, cert)
    assert not report["valid"] and "X entry (2, 5)" in report["reason"]


def test_a_wrong_numerical_claim_is_rejected(tmp_path):
    S = hexagon_slack()
    found = exact_nmf(S, 5)
    path = tmp_path / "c.json"
    save_certificate(path, certify(S, found.W, found.H))
    data = json.loads(path.read_text())
    data["relative_error"] = 0.0
    path.write_text(json.dumps(data))
    assert not verify_certificate(S, load_certificate(path))["valid"]


@pytest.mark.parametrize("content,message", [
    ("not json", "could not read certificate"),
    ('{"format": "other/1"}', "is not an nnmf_research certificate"),
    ('{"format": "nnmf_research.certificate/1", "claim": "x"}', "has no 'exact'"),
    ('{"format": "nnmf_research.certificate/1", "claim": "x", "exact": true, '
     '"relative_error": 0, "X": [["1"]], "W": [["a/b"]], "H": [["1"]]}',
     r"matrix W entry \(0, 0\) is not a rational 'p/q': 'a/b'"),
])
def test_malformed_certificates_are_named(tmp_path, content, message):
    path = tmp_path / "c.json"
    path.write_text(content)
    with pytest.raises(NMFInputError, match=message):
        load_certificate(path)


def _rank3_product_with_inner_dimension_4():
    """X = W0 H0 with W0 positive (7×4) and H0 (4×6) of rank 3 (h4 = h1 + h2): rank(X) = 3 < r."""
    rng = np.random.default_rng(0)
    h1, h2, h3 = (np.array(v, dtype=float) for v in ([1, 0, 2, 1, 0, 3], [0, 1, 1, 0, 0, 1],
                                                      [1, 2, 0, 0, 1, 0]))
    H0 = np.array([h1, h2, h3, h1 + h2])
    W0 = rng.integers(1, 4, (7, 4)).astype(float)
    X = W0 @ H0
    assert np.linalg.matrix_rank(X) == 3
    return X, W0, H0


def test_support_lp_certifies_r_above_rank_where_rounding_and_the_basis_cannot():
    X, W0, H0 = _rank3_product_with_inner_dimension_4()
    D = np.diag([np.sqrt(2), np.pi / 3, np.e / 2, 1.1 * np.sqrt(3)])  # far from small rationals
    cert = certify(X, W0 @ D, np.linalg.inv(D) @ H0)
    assert cert.claim == "certified exact" and "support LP" in cert.notes
    assert _matmul(cert.W, cert.H) == [[Fraction(x) for x in row] for row in X]
    assert all(cert.H[k][j] == 0 for k in range(4) for j in range(6) if H0[k, j] == 0)
    # and on the transpose, through the transposed route
    cert_t = certify(X.T, (np.linalg.inv(D) @ H0).T, (W0 @ D).T)
    assert cert_t.claim == "certified exact"


def test_support_lp_certifies_what_the_exact_nmf_search_finds_at_r_above_rank():
    X, _, _ = _rank3_product_with_inner_dimension_4()
    found = exact_nmf(X, 4, random_state=1)
    assert found.found
    cert = certify(X, found.W, found.H)
    assert cert.claim == "certified exact"
    assert verify_certificate(X, cert)["valid"]


def test_edm6_at_r5_stays_numerical_and_says_what_was_tried():
    from nnmf_research.datasets import linear_edm

    X = linear_edm(6).X
    found = exact_nmf(X, 5)
    cert = certify(X, found.W, found.H)
    assert not cert.exact and cert.claim.startswith("numerical")
    assert "support LP" in cert.notes


def test_item6_certificates_speak_of_the_stored_values_not_their_decimal_reading(tmp_path):
    from nnmf_research.rational import decimal_values

    X = np.array([[1.0, 1 / 3], [3.0, 1.0]])        # the decimals have rank 1, the floats 2
    W, H = np.array([[1.0], [3.0]]), np.array([[1.0, 1 / 3]])
    cert = certify(X, W, H)
    assert not cert.exact and cert.claim.startswith("numerical")
    assert "rank 2 > r = 1" in cert.notes
    # a rank-1 certificate for the decimal reading of [[1, 0.1], [0.1, 0.1·0.1]] is refused
    # for the stored floats (binary rank 2), and only the explicit reading accepts it
    Y = np.array([[1.0, 0.1], [0.1, 0.1 * 0.1]])
    decimal = certify(np.array([[1.0, 0.1], [0.1, 0.01]]), np.array([[1.0], [0.1]]),
                      np.array([[1.0, 0.1]]), reading="decimal")
    assert decimal.exact and decimal.claim == "certified exact (decimal reading)"
    forged = type(decimal)("certified exact", True, 0.0, decimal_values(Y), decimal.W,
                           decimal.H)
    report = verify_certificate(Y, forged)
    assert not report["valid"] and "is not the matrix's stored value" in report["reason"]
    path = tmp_path / "c.json"
    save_certificate(path, decimal)
    assert verify_certificate(np.array([[1.0, 0.1], [0.1, 0.01]]), load_certificate(path))["valid"]


def test_a_scaled_planted_product_is_certified_through_its_balanced_copy(planted_integer):
    X, found = planted_integer
    d = 2.0 ** np.array([40, -40, 3, 0, -17, 25, -31, 9])
    e = 2.0 ** np.array([-38, 12, 0, 5, 33, -6, 20])
    Y = d[:, None] * X * e[None, :]
    cert = certify(Y, d[:, None] * found.W, found.H * e[None, :])
    assert cert.exact and exact_product_check(cert.X, cert.W, cert.H)["exact"]


@pytest.mark.parametrize("text", ["1e999999999", "1" * 6000, "1/0", "0x10", " 1", "1.5"])
def test_certificate_entries_are_strict_integers_or_fractions_with_a_digit_cap(tmp_path, text):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"format": "nnmf_research.certificate/1", "claim": "x",
                                "exact": True, "relative_error": 0, "X": [["1"]],
                                "W": [[text]], "H": [["1"]]}))
    with pytest.raises(NMFInputError, match=r"W entry \(0, 0\) is not a rational 'p/q'"):
        load_certificate(path)


def test_loading_a_certificate_from_a_fifo_is_refused_instead_of_blocking(tmp_path):
    import os

    fifo = tmp_path / "c.json"
    os.mkfifo(fifo)
    with pytest.raises(NMFInputError, match="FIFO"):
        load_certificate(fifo)
