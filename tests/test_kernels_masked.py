"""Masked one-factor updates (nnmf_research.kernels.masked): NMF fitted to observed entries."""

import numpy as np
import pytest

from nnmf_research import alternate
from nnmf_research.datasets import digits
from nnmf_research.kernels import ANLS, HALS, MultiplicativeFrobenius, MultiplicativeKL
from nnmf_research.kernels.masked import (MaskedANLS, MaskedHALS, MaskedMultiplicativeFrobenius,
                                          MaskedMultiplicativeKL)
from nnmf_research.losses import masked_loss

def _plain_masked_hals(**kw):
    return MaskedHALS(alpha=0.0, **kw)


PAIRS = [(MaskedMultiplicativeFrobenius, MultiplicativeFrobenius(), "frobenius"),
         (MaskedMultiplicativeKL, MultiplicativeKL(), "kl"),
         (_plain_masked_hals, HALS(alpha=0.0), "frobenius"),   # one sweep per update
         (MaskedHALS, HALS(), "frobenius"),                    # Gillis–Glineur inner sweeps
         (MaskedANLS, ANLS(), "frobenius")]


def _problem(seed=0, m=30, n=25, k=4):
    rng = np.random.default_rng(seed)
    X = rng.random((m, k)) @ rng.random((k, n)) + 0.05 * rng.random((m, n))
    return X, rng.random((m, k)) + 0.1, rng.random((k, n)) + 0.1


def _masked_fit(cls, X, W, H, mask, loss, max_iter):
    update = cls(mask=mask)
    return alternate(X * mask, W, H, update, update.transposed(), loss=loss, max_iter=max_iter,
                     tol=0, mask=mask)


@pytest.mark.parametrize("cls,plain,loss", PAIRS, ids=lambda p: getattr(p, "__name__", ""))
def test_with_nothing_missing_the_masked_update_gives_the_unmasked_iterates(cls, plain, loss):
    X, W, H = _problem()
    ones = np.ones_like(X)
    masked = _masked_fit(cls, X, W, H, ones, loss, 25)
    reference = alternate(X, W, H, plain, loss=loss, max_iter=25, tol=0)
    assert np.abs(masked.W - reference.W).max() <= 1e-12 * np.abs(reference.W).max()
    assert np.abs(masked.H - reference.H).max() <= 1e-12 * np.abs(reference.H).max()
    assert masked.loss == pytest.approx(reference.loss, rel=1e-10)


@pytest.mark.parametrize("cls,loss", [(c, lo) for c, _, lo in PAIRS],
                         ids=lambda p: getattr(p, "__name__", ""))
@pytest.mark.parametrize("fraction", [0.1, 0.4, 0.7])
def test_the_masked_loss_never_increases(cls, loss, fraction):
    for X, seed in ((_problem(1)[0], 1), (digits(120).X, 2)):
        rng = np.random.default_rng(seed)
        mask = (rng.random(X.shape) >= fraction).astype(float)
        mask[:, 0] = 1.0
        mask[0, :] = 1.0                         # every row and column observed somewhere
        W = rng.random((X.shape[0], 4)) + 0.1
        H = rng.random((4, X.shape[1])) + 0.1
        fit = _masked_fit(cls, X, W, H, mask, loss, 30)
        steps = np.diff(fit.history)
        assert steps.max() <= 1e-12 * fit.history[0], f"rose by {steps.max():.3g}"
        assert fit.loss == pytest.approx(masked_loss(loss, X * mask, fit.W, fit.H, mask),
                                         rel=1e-12)


def test_an_update_never_reads_a_missing_entry():
    X, W, H = _problem(3)
    rng = np.random.default_rng(3)
    mask = (rng.random(X.shape) > 0.3).astype(float)
    garbage = np.where(mask > 0, X, 1e6)         # what sits in the missing entries is ignored
    for cls, _, _ in PAIRS:
        update = cls(mask=mask)
        assert np.array_equal(update(X * mask, W, H), update(garbage, W, H))


# --- a scipy.sparse mask: the observed set only, never an m×n array -------------------------

SPARSE_CASES = [(MaskedMultiplicativeFrobenius, {}), (MaskedMultiplicativeKL, {}),
                (MaskedHALS, {"alpha": 0.0}), (MaskedHALS, {}), (MaskedANLS, {})]


def _sparse_problem(seed=4, m=30, n=25, k=4, observed=0.35):
    import scipy.sparse as sp

    X, W, H = _problem(seed, m, n, k)
    rng = np.random.default_rng(seed)
    mask = (rng.random(X.shape) < observed).astype(float)
    mask[:, 0] = mask[0, :] = 1.0
    X[rng.random(X.shape) < 0.2] = 0.0            # observed zeros, stored explicitly
    return X * mask, mask, sp.csr_matrix(mask), W, H


@pytest.mark.parametrize("cls,options", SPARSE_CASES,
                         ids=["mu", "mu-kl", "hals-one-sweep", "hals", "anls"])
def test_a_sparse_mask_gives_the_dense_masks_update(cls, options):
    import scipy.sparse as sp

    X, mask, sparse_mask, W, H = _sparse_problem()
    dense, sparse = cls(mask=mask, **options), cls(mask=sparse_mask, **options)
    Xs = sp.csr_matrix(X)
    want = dense(X, W, H)
    for got in (sparse(Xs, W, H), sparse(X, W, H)):      # sparse or dense X
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-14)
    # the W-step: transposed mask (CSC) on the transposed X
    np.testing.assert_allclose(sparse.transposed()(Xs.T, H.T, W.T),
                               dense.transposed()(X.T, H.T, W.T), rtol=1e-11, atol=1e-14)
    # what a sparse X stores outside the mask is never read
    garbage = sp.csr_matrix(np.where(mask > 0, X, 7.0))
    np.testing.assert_array_equal(sparse(garbage, W, H), sparse(Xs, W, H))
