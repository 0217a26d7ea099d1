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
