"""Lee & Seung (2001, NIPS 13) multiplicative updates, Theorems 1 (Frobenius) and 2 (KL).

MultiplicativeFrobenius:  H ← max(eps, H ⊙ (WᵀX) / (WᵀW H)).
MultiplicativeKL:  H_aj ← max(eps, H_aj Σ_i W_ia X_ij/(WH)_ij / Σ_i W_ia).

For a scipy.sparse X the KL update forms R = X/(WH) only on the stored entries of X (R is
zero where X is, so WᵀR is a sparse-dense product): time O(nnz·k), memory O(nnz + (m + n)k),
X never densified (:mod:`nnmf_research.sparse_support`; scikit-learn's KL MU does the same).
Summing the update over a and j shows Σ_ij (W H_new)_ij = Σ_ij X_ij after every KL step
(with eps = 0, in exact arithmetic): the precondition of the PLSI identity
(:mod:`nnmf_research.plsi`).

The signature, the floor eps and why it keeps monotonicity: :mod:`nnmf_research.kernels.base`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from ..sparse_support import product_on_support, support, with_values
from .base import _TINY, EPS, OneFactorKernel, _stats, multiplicative_step

__all__ = ["MultiplicativeFrobenius", "MultiplicativeKL"]


@dataclass(frozen=True)
class MultiplicativeFrobenius(OneFactorKernel):
    """Lee–Seung multiplicative update for ‖X − WH‖²_F (see module docstring)."""

    loss: ClassVar[str] = "frobenius"
    eps: float = EPS

    def __call__(self, X, W, H, stats=None):
        cross, gram = _stats(X, W, stats)
        return multiplicative_step(H, cross, gram @ H, self.eps)


@dataclass(frozen=True)
class MultiplicativeKL(OneFactorKernel):
    """Lee–Seung multiplicative update for the generalized KL divergence D(X‖WH); a sparse X
    is read on its non-zeros only (module docstring)."""

    loss: ClassVar[str] = "kl"
    sparse: ClassVar[bool] = True
    eps: float = EPS

    def __call__(self, X, W, H, stats=None):
        """``stats``, for a sparse X, may be WH on X's stored entries in storage order (the
        alternating driver keeps it from the loss); it is not modified."""
        if sp.issparse(X):
            return self._sparse(X, W, H, stats)
        Y = W @ H
        np.maximum(Y, _TINY, out=Y)
        ratio = np.divide(X, Y, out=Y)  # reuse the buffer: Y is not needed after this
        return multiplicative_step(H, W.T @ ratio, W.sum(axis=0)[:, None], self.eps)

    def _sparse(self, X, W, H, product):
        if X.format not in ("csr", "csc"):
            X = X.tocsr()
        rows, cols, x = support(X)
        y = product_on_support(W, H, rows, cols) if product is None else np.array(product)
        np.maximum(y, _TINY, out=y)
        np.divide(x, y, out=y)
        numer = np.asarray(with_values(X, y).T @ W).T          # WᵀR, k×n
        return multiplicative_step(H, numer, W.sum(axis=0)[:, None], self.eps)
