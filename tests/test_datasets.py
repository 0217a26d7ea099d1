"""Shipped and generated data sets: shapes, known structure, no downloads."""

from __future__ import annotations

import numpy as np
import pytest

from nnmf_research.checks import NMFInputError
from nnmf_research.datasets import (faces, lee_seung_normalize, load_dataset, planted, random,
                                swimmer, ngon_slack)
from nnmf_research.reproduce.metrics import parts_recovered


def test_swimmer_has_256_distinct_images_of_rank_at_most_17():
    data = swimmer()
    assert data.X.shape == (1024, 256)
    assert len({col.tobytes() for col in data.X.T}) == 256
    assert np.linalg.matrix_rank(data.X) <= 17
    assert data.parts.shape == (1024, 17)


def test_swimmer_images_are_exact_sums_of_disjoint_parts():
    data = swimmer()
    assert data.parts.sum(axis=1).max() == 1  # disjoint
    # Each image is the torso plus one position of each limb: solve X = P A exactly.
    A, *_ = np.linalg.lstsq(data.parts, data.X, rcond=None)
    np.testing.assert_allclose(data.parts @ A, data.X, atol=1e-10)
    np.testing.assert_allclose(np.round(A), A, atol=1e-10)
    assert set(np.unique(np.round(A))) == {0.0, 1.0}
    assert (np.round(A)[1:].reshape(4, 4, -1).sum(axis=1) == 1).all()  # one position a limb


def test_the_true_parts_score_16_of_16_limbs_and_the_torso():
    data = swimmer()
    recovered = parts_recovered(data.parts, data.parts)
    assert recovered[1:].sum() == 16 and recovered[0]


def test_faces_are_the_first_100_lfw_images_normalised_as_lee_and_seung():
    data = faces()
    assert data.X.shape == (625, 100) and data.image_shape == (25, 25)
    assert data.X.min() >= 0 and data.X.max() <= 1
    from skimage.data import lfw_subset

    raw = np.asarray(lfw_subset(), dtype=float)[:100].reshape(100, -1).T
    np.testing.assert_allclose(data.X, lee_seung_normalize(raw))


def test_lee_seung_normalisation_has_mean_and_sd_a_quarter_before_clipping():
    X = np.where(np.arange(40) % 2, 7.0, 3.0) * np.ones((50, 1))  # two values, equally often
    Z = lee_seung_normalize(X)  # -> {0, 0.5}: mean 0.25, sd 0.25, nothing clipped
    assert Z.mean() == pytest.approx(0.25) and Z.std() == pytest.approx(0.25)
    assert set(np.unique(Z)) == {0.0, 0.5}


def test_planted_has_the_planted_rank_and_random_is_seeded():
    assert np.linalg.matrix_rank(planted(30, 20, 4).X) == 4
    np.testing.assert_array_equal(random(5, 4, seed=3).X, random(5, 4, seed=3).X)


def test_unknown_dataset_and_bad_parameters_are_named():
    with pytest.raises(NMFInputError, match="unknown dataset 'cbcl'; valid choices: faces"):
        load_dataset("cbcl")
    with pytest.raises(NMFInputError, match="bad parameters for dataset 'swimmer'"):
        load_dataset("swimmer", size=3)
    with pytest.raises(NMFInputError, match=r"n_images=101 is out of range \[1, 100\]"):
        faces(101)


def test_ngon_slack_matrices_have_rank_3_two_zeros_per_row_and_the_published_rank_plus():
    from nnmf_research.datasets import ngon_rank_plus, ngon_slack

    assert [ngon_rank_plus(n) for n in range(3, 13)] == [3, 4, 5, 5, 6, 6, 7, 7, 7, 7]
    for n in range(3, 13):
        S = ngon_slack(n).X
        assert S.min() >= 0 and np.linalg.matrix_rank(S, tol=1e-9) == 3
        assert ((S == 0).sum(axis=0) == 2).all() and ((S == 0).sum(axis=1) == 2).all()
    hexagon = ngon_slack(6).X  # max slack: the opposite vertex, 2·cos(π/6)
    assert hexagon.max() == pytest.approx(2 * np.cos(np.pi / 6))


def test_rank_plus_families_with_their_known_values():
    from nnmf_research.datasets import j_minus_i, linear_edm, planted_integer, thomas_4x4

    E = linear_edm(6)
    assert np.linalg.matrix_rank(E.X) == 3 and E.meta["rank_plus"] == 5
    assert linear_edm(8).meta["rank_plus"] is None  # unknown: not invented
    assert np.linalg.matrix_rank(thomas_4x4().X) == 3 and thomas_4x4().meta["rank_plus"] == 4
    assert np.linalg.matrix_rank(j_minus_i(6).X) == 6
    P = planted_integer(8, 7, 3, seed=2)
    np.testing.assert_array_equal(P.X, P.meta["W0"] @ P.meta["H0"])
    assert np.linalg.matrix_rank(P.X) == 3


def test_ngon_labels_follow_vandaele_gillis_glineur_2017():
    # determined there: n <= 13 (n = 9 and 13 by the refined rectangle covering bound),
    # 15, 16 and 21..24; open: 14, 17..20, 25..30 (LAA 521, 2017, Table 1 and section 5)
    from nnmf_research.datasets import ngon_rank_plus

    for n, value in ((9, 7), (12, 7), (13, 8), (16, 8), (21, 9), (24, 9)):
        assert ngon_slack(n).meta == {"rank": 3, "rank_plus": value, "rank_plus_status": "proved"}
    for n in (14, 17, 20, 25):
        assert ngon_slack(n).meta["rank_plus_status"] == "conjectured"
    assert ngon_rank_plus(14) == 8 and ngon_rank_plus(17) == 9


def test_sparse_random_is_sparse_seeded_and_has_its_density():
    import scipy.sparse as sp

    from nnmf_research.datasets import sparse_random

    a, b = sparse_random(2000, 500, 0.01, seed=3), sparse_random(2000, 500, 0.01, seed=3)
    assert sp.issparse(a.X) and a.X.format == "csr" and a.X.shape == (2000, 500)
    assert (a.X != b.X).nnz == 0
    # 10000 draws from 10⁶ positions: E[duplicates] = 10000²/(2·10⁶) ≈ 50
    assert 9800 <= a.X.nnz <= 10000 and a.X.data.min() > 0 and a.X.data.max() <= 1


def test_sparse_random_counts_are_integers_on_the_same_positions():
    from nnmf_research.datasets import sparse_random

    real, counts = sparse_random(300, 200, 0.02, seed=1), sparse_random(300, 200, 0.02, seed=1,
                                                                       counts=5)
    np.testing.assert_array_equal(real.X.indptr, counts.X.indptr)
    np.testing.assert_array_equal(real.X.indices, counts.X.indices)
    values = counts.X.data
    assert set(np.unique(values)) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert "integer counts" in counts.source
