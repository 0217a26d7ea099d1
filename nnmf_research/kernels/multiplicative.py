"""Lee & Seung (2001, NIPS 13) multiplicative updates, Theorems 1 (Frobenius) and 2 (KL).

MultiplicativeFrobenius:  H ← max(eps, H ⊙ (WᵀX) / (WᵀW H)).
MultiplicativeKL:  H_aj ← max(eps, H_aj Σ_i W_ia X_ij/(WH)_ij / Σ_i W_ia).

The signature, the floor eps and why it keeps monotonicity: :mod:`nnmf_research.kernels.base`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .base import _TINY, EPS, OneFactorKernel, _stats

__all__ = ["MultiplicativeFrobenius", "MultiplicativeKL"]


@dataclass(frozen=True)
class MultiplicativeFrobenius(OneFactorKernel):
    """Lee–Seung multiplicative update for ‖X − WH‖²_F (see module docstring)."""

    loss: ClassVar[str] = "frobenius"
    eps: float = EPS

    def __call__(self, X, W, H, stats=None):
        cross, gram = _stats(X, W, stats)
        denom = gram @ H
        np.maximum(denom, _TINY, out=denom)
        H_new = H * cross
        H_new /= denom
        np.maximum(H_new, self.eps, out=H_new)
        return H_new


@dataclass(frozen=True)
class MultiplicativeKL(OneFactorKernel):
    """Lee–Seung multiplicative update for the generalized KL divergence D(X‖WH)."""

    loss: ClassVar[str] = "kl"
    eps: float = EPS

    def __call__(self, X, W, H, stats=None):
        Y = W @ H
        np.maximum(Y, _TINY, out=Y)
        ratio = np.divide(X, Y, out=Y)  # reuse the buffer: Y is not needed after this
        numer = W.T @ ratio
        denom = np.maximum(W.sum(axis=0), _TINY)[:, None]
        H_new = H * numer
        H_new /= denom
        np.maximum(H_new, self.eps, out=H_new)
        return H_new
