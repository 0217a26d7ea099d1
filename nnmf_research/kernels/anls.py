"""ANLS: exact non-negative least squares for every column of H.

min_{h ≥ 0} ‖W h − x‖² per column, by Lawson–Hanson (scipy.optimize.nnls) on the triangular
factor of W = QR: ‖Wh − x‖² = ‖Rh − Qᵀx‖² + const (k×k problems, and cond(R) = cond(W)).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.optimize import nnls

from .base import OneFactorKernel

__all__ = ["ANLS"]


@dataclass(frozen=True)
class ANLS(OneFactorKernel):
    """Exact NNLS for every column of H (alternating non-negative least squares)."""

    loss: ClassVar[str] = "frobenius"
    eps: float = 0.0

    def __call__(self, X, W, H, stats=None):
        # QR, not the Gram statistics: with W = QR, ‖Wh − x‖² = ‖Rh − Qᵀx‖² + const exactly,
        # and cond(R) = cond(W). Going through WᵀW squares the condition number; on Swimmer
        # (rank-deficient factors, cond ~ 1e17) that made the exact step raise the loss.
        Q, R = np.linalg.qr(W)
        D = Q.T @ X
        H_new = np.empty_like(H)
        for j in range(H.shape[1]):
            H_new[:, j] = nnls(R, D[:, j])[0]
        return H_new
