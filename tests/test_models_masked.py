"""The masked Frobenius CVXPY model (nnmf_research.models.masked) against the NumPy updates."""

import numpy as np
import pytest

from nnmf_research.kernels.masked import MaskedANLS
from nnmf_research.models.masked import masked_frobenius_model


def test_the_model_solves_the_same_masked_nnls_as_the_numpy_update():
    rng = np.random.default_rng(0)
    X = rng.random((12, 9))
    mask = (rng.random(X.shape) > 0.35).astype(float)
    mask[:, 0] = mask[0, :] = 1.0
    W, H = rng.random((12, 3)), rng.random((3, 9))
    model = masked_frobenius_model(3, mask)
    ours = model(X * mask, W, H)
    exact = MaskedANLS(mask=mask)(X * mask, W, H)
    assert np.abs(ours - exact).max() <= 1e-5 * np.abs(exact).max()
    # the W-step: the same model on the transposed mask
    Wt = model.transposed()(X.T * mask.T, H.T, W.T)
    assert np.abs(Wt - MaskedANLS(mask=mask.T)(X.T * mask.T, H.T, W.T)).max() <= 1e-5


def test_a_constraint_is_one_argument_and_binds():
    rng = np.random.default_rng(1)
    X = 3 * rng.random((10, 8))
    mask = (rng.random(X.shape) > 0.3).astype(float)
    mask[:, 0] = mask[0, :] = 1.0
    model = masked_frobenius_model(2, mask, constraints=lambda H: [H <= 0.5])
    H = model(X * mask, rng.random((10, 2)), rng.random((2, 8)))
    assert H.max() <= 0.5 + 1e-6
    assert H.max() == pytest.approx(0.5, abs=1e-4)
