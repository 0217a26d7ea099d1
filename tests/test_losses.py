"""Loss values: closed forms, and the conversion from scikit-learn's conventions."""

from __future__ import annotations

import math

import scipy.sparse as sp

import numpy as np
import pytest

from nnmf_research import losses
from nnmf_research.gram import frobenius_from_stats, frobenius_stats


def test_frobenius_of_a_hand_computed_residual():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    W = np.array([[1.0], [1.0]])
    H = np.array([[2.0, 3.0]])  # residual [[-1,-1],[1,1]] -> 4
    assert losses.frobenius(X, W, H) == 4.0
    assert losses.half_frobenius(X, W, H) == 2.0
    assert losses.relative_error(X, W, H) == pytest.approx(2.0 / np.sqrt(30.0))


def test_kl_of_a_hand_computed_case_with_zero_entries():
    X = np.array([[0.0, 2.0]])
    Y = np.array([[1.0, 1.0]])
    # 0 log 0 - 0 + 1  +  2 log 2 - 2 + 1
    assert losses.kl_divergence(X, Y) == pytest.approx(1.0 + 2 * np.log(2) - 1.0, rel=1e-15)
    assert losses.kl_divergence(X, X + 0.0) == 0.0


def test_kl_is_infinite_when_the_model_is_zero_where_data_are_positive():
    assert losses.kl_divergence(np.array([[1.0]]), np.array([[0.0]])) == np.inf
    assert losses.kl_divergence(np.array([[0.0]]), np.array([[0.0]])) == 0.0


def test_chi_square_closed_form():
    X = np.array([[1.0, 3.0]])
    Y = np.array([[2.0, 3.0]])
    assert losses.chi_square(X, Y) == pytest.approx(0.5)


def test_gram_identity_equals_the_direct_frobenius(rng):
    X, W, H = rng.random((30, 20)), rng.random((30, 4)), rng.random((4, 20))
    value = frobenius_from_stats(float(np.vdot(X, X)), frobenius_stats(X, W), H)
    assert value == pytest.approx(losses.frobenius(X, W, H), rel=1e-12)


def test_sklearn_reconstruction_error_converts_to_our_losses(rng):
    pytest.importorskip("sklearn")
    from sklearn.decomposition import NMF as SkNMF

    X = rng.random((25, 15))
    for name, beta, solver in (("frobenius", "frobenius", "cd"),
                               ("kl", "kullback-leibler", "mu")):
        sk = SkNMF(n_components=3, beta_loss=beta, solver=solver, init="nndsvda",
                   max_iter=50, random_state=0)
        codes = sk.fit_transform(X.T)  # sklearn rows are samples: X_sk = Xᵀ
        W, H = sk.components_.T, codes.T  # toolkit orientation
        ours = losses.loss(name, X, W, H)
        assert losses.loss_from_sklearn_error(sk.reconstruction_err_, name) == pytest.approx(
            ours, rel=1e-8)
        assert losses.sklearn_error_from_loss(ours, name) == pytest.approx(
            sk.reconstruction_err_, rel=1e-8)


# --- sparse X and the chi-square link (Ding, Li & Peng 2008) ---


def _sparse_problem(seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(40, 30, density=0.15, random_state=seed, format="csr")
    X.data = np.ceil(X.data * 5)
    return X, rng.random((40, 3)) + 0.01, rng.random((3, 30)) + 0.01


@pytest.mark.parametrize("name", ["kl", "frobenius", "chi_square_product", "relative_error"])
def test_losses_of_a_product_on_sparse_x_equal_the_dense_values(name):
    X, W, H = _sparse_problem()
    fn = getattr(losses, name)
    assert fn(X, W, H) == pytest.approx(fn(X.toarray(), W, H), rel=1e-12)


@pytest.mark.parametrize("name", ["kl_divergence", "chi_square"])
def test_divergences_of_sparse_x_from_a_dense_y_equal_the_dense_values(name):
    X, W, H = _sparse_problem(1)
    fn = getattr(losses, name)
    assert fn(X, W @ H) == pytest.approx(fn(X.toarray(), W @ H), rel=1e-12)


def test_chi_square_of_sparse_x_counts_the_mass_of_y_on_its_zeros():
    """χ² of X = [[1, 0]] against Y = [[2, 3]]: (1 − 2)²/2 + (0 − 3)²/3 = 0.5 + 3."""
    X = sp.csr_matrix(np.array([[1.0, 0.0]]))
    assert losses.chi_square(X, np.array([[2.0, 3.0]])) == pytest.approx(3.5)
    assert losses.chi_square_product(X, np.array([[1.0]]), np.array([[2.0, 3.0]])) \
        == pytest.approx(3.5)


def test_kl_is_half_the_chi_square_to_first_order_near_a_fit():
    """x log(x/y) − x + y = δ²/(2y) − δ³/(6y²) + …: D − χ²/2 shrinks like the cube of the
    noise, so the relative gap shrinks ~10× when the noise does."""
    rng = np.random.default_rng(0)
    W, H = rng.random((30, 3)) + 0.5, rng.random((3, 20)) + 0.5
    Y = W @ H
    gaps = []
    for level in (1e-2, 1e-3):
        X = Y * (1 + level * rng.standard_normal(Y.shape))
        d, half_chi2 = losses.kl(X, W, H), 0.5 * losses.chi_square_product(X, W, H)
        gaps.append(abs(d - half_chi2) / d)
        assert gaps[-1] < 5 * level
    assert gaps[1] < gaps[0] / 5


def test_kl_divergence_stays_finite_where_x_over_y_leaves_the_normal_range():
    # regression: with one logarithm, x = 1e-323 against y = 1 gave x/y = 0 and x log 0 = -inf
    import math

    X = np.array([[1e-323, 1.0], [0.0, 2.0]])
    Y = np.array([[1.0, 1.0], [1.0, 1e-300]])
    expected = (1e-323 * (math.log(1e-323) - 0.0) - 1e-323 + 1.0
                + 0.0 + 1.0
                + 2.0 * (math.log(2.0) - math.log(1e-300)) - 2.0 + 1e-300)
    assert losses.kl_divergence(X, Y) == pytest.approx(expected, rel=1e-14)


def test_kl_divergence_equals_scipys_elementwise_kl_div_summed(rng):
    from scipy.special import kl_div
    X = rng.random((30, 20))
    X[X < 0.4] = 0.0
    Y = rng.random((30, 20)) + 1e-3
    expected = math.fsum(kl_div(X, Y).ravel())
    assert losses.kl_divergence(X, Y) == pytest.approx(expected, rel=1e-13)
    assert losses.kl_of_split(losses.dense_split(X), Y) == losses.kl_divergence(X, Y)
    assert losses.kl_divergence(sp.csr_matrix(X), Y) == pytest.approx(expected, rel=1e-13)
    Y2 = Y.copy(); Y2[np.nonzero(X)[0][0], np.nonzero(X)[1][0]] = 0.0
    assert losses.kl_divergence(X, Y2) == float("inf")
