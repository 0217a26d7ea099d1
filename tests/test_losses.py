"""Loss values: closed forms, and the conversion from scikit-learn's conventions."""

from __future__ import annotations

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
