"""Initial factors: exact on rank one, seeded, and equal to scikit-learn's where they should be."""

from __future__ import annotations

import numpy as np
import pytest

from nnmf_research.checks import NMFInputError
from nnmf_research.init import INIT_METHODS, initialize


@pytest.mark.parametrize("method", INIT_METHODS)
def test_factors_are_nonnegative_finite_and_shaped(method, digits):
    W, H = initialize(digits, 10, method=method, random_state=0)
    assert W.shape == (64, 10) and H.shape == (10, 1797)
    for F in (W, H):
        assert np.isfinite(F).all() and F.min() >= 0


def test_nndsvd_of_a_rank_one_matrix_is_exact():
    gen = np.random.default_rng(0)
    u, v = gen.uniform(0.1, 1, 12), gen.uniform(0.1, 1, 9)
    X = np.outer(u, v)
    W, H = initialize(X, 1, method="nndsvd")
    np.testing.assert_allclose(W @ H, X, rtol=1e-12)


@pytest.mark.parametrize("method", ["random", "nndsvdar"])
def test_same_seed_same_factors_and_other_seeds_differ(method, random_matrix):
    a = initialize(random_matrix, 5, method=method, random_state=1)
    b = initialize(random_matrix, 5, method=method, random_state=1)
    c = initialize(random_matrix, 5, method=method, random_state=2)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("method", ["nndsvd", "nndsvda"])
def test_svd_initializations_do_not_depend_on_the_seed(method, random_matrix):
    a = initialize(random_matrix, 5, method=method, random_state=1)
    b = initialize(random_matrix, 5, method=method, random_state=99)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize("method", ["nndsvd", "nndsvda"])
def test_nndsvd_agrees_with_sklearn_where_its_randomized_svd_is_exact(method):
    """On a small, well-separated spectrum scikit-learn's randomized SVD is exact to ~1e-9,
    so its NNDSVD (orientation: its W = our Hᵀ, its H = our Wᵀ) must equal ours."""
    nmf = pytest.importorskip("sklearn.decomposition._nmf")
    gen = np.random.default_rng(3)
    X = gen.random((30, 5)) @ np.diag([10, 6, 3, 2, 1.0]) @ gen.random((5, 20))
    W, H = initialize(X, 4, method=method)
    W_sk, H_sk = nmf._initialize_nmf(X.T, 4, init=method, random_state=0)
    np.testing.assert_allclose(W, H_sk.T, atol=1e-7)
    np.testing.assert_allclose(H, W_sk.T, atol=1e-7)


def test_random_init_has_sklearns_scale():
    X = np.full((400, 300), 2.0)
    W, H = initialize(X, 8, method="random", random_state=0)
    expected_mean = np.sqrt(2.0 / 8) * np.sqrt(2 / np.pi)  # a·E|N(0,1)|
    se = np.sqrt(2.0 / 8) * np.sqrt(1 - 2 / np.pi) / np.sqrt(W.size)
    assert abs(W.mean() - expected_mean) < 4 * se


@pytest.mark.parametrize("k,message", [(0, r"k=0 is out of range \[1, 60\]"),
                                       (61, r"k=61 is out of range \[1, 60\]")])
def test_k_out_of_range_is_named(k, message, random_matrix):
    with pytest.raises(NMFInputError, match=message):
        initialize(random_matrix, k)


def test_unknown_method_lists_the_choices(random_matrix):
    with pytest.raises(NMFInputError, match="unknown init 'svd'; valid choices: random, "
                                            "nndsvd, nndsvda, nndsvdar"):
        initialize(random_matrix, 3, method="svd")
