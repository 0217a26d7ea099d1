"""Masked HALS through per-column Gram matrices gives the steps of the residual form."""

import numpy as np
import pytest

from nnmf_research.kernels import HALS
from nnmf_research.kernels.base import EPS
from nnmf_research.kernels.masked import MaskedHALS


def _residual_form(X, W, H, M, eps=EPS):
    """Row-by-row masked HALS keeping r = M ∘ (X − WH) up to date (Cichocki & Phan 2009
    with weights): the definition the Gram form must reproduce."""
    H = H.copy()
    R = M * (X - W @ H)
    for j in range(H.shape[0]):
        w = W[:, j]
        denom = (w * w) @ M
        flat = denom <= 1e-12 * (w * w).sum()
        new = np.maximum(H[j] + (w @ R) / np.maximum(denom, 1e-300), eps)
        new[flat] = H[j, flat]
        R -= M * np.outer(w, new - H[j])
        H[j] = new
    return H


def _accelerated_residual_form(X, W, H, M, alpha=0.5, delta=0.1):
    """Gillis & Glineur's inner sweeps on the residual form: repeat the sweep at most
    floor(1 + alpha·rho) times, until one changes H by ≤ delta² times the first's change."""
    sweeps = HALS(alpha=alpha, delta=delta).max_inner_sweeps(X.shape[0], H.shape[1], H.shape[0])
    first = None
    for _ in range(sweeps):
        new = _residual_form(X, W, H, M)
        change, H = float(((new - H) ** 2).sum()), new
        if first is None:
            first = change
        elif change <= delta**2 * first:
            break
    return H


@pytest.mark.parametrize("gram_entries,alpha", [(2**22, 0.0), (50, 0.0), (2**22, 0.5)],
                         ids=["one block", "blocks of 2 columns", "inner sweeps"])
def test_gram_form_equals_the_residual_form(monkeypatch, gram_entries, alpha):
    monkeypatch.setattr(MaskedHALS, "gram_entries", gram_entries)
    reference = _residual_form if alpha == 0 else _accelerated_residual_form
    rng = np.random.default_rng(5)
    m, n, k = 30, 25, 5
    X = rng.random((m, k)) @ rng.random((k, n))
    M = (rng.random((m, n)) > 0.3).astype(float)
    X = X * M
    W, H = rng.random((m, k)), rng.random((k, n))
    W[:, 2] = 0.0                                 # a flat coordinate: its entries are kept
    update = MaskedHALS(mask=M, alpha=alpha)
    got, want = update(X, W, H), reference(X, W, H, M)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    np.testing.assert_array_equal(got[2], H[2])
    # the W-step (transposed problem) as well
    np.testing.assert_allclose(update.transposed()(X.T, H.T, W.T),
                               reference(X.T, H.T, W.T, M.T), rtol=1e-10, atol=1e-13)
