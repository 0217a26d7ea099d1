"""Sufficient statistics of the Frobenius one-factor subproblem.

For fixed W (m×k), the H-subproblem of Frobenius NMF depends on the data only through
the k×n cross product WᵀX and the k×k Gram matrix WᵀW:

    ‖X − WH‖²_F = ‖X‖²_F − 2⟨WᵀX, H⟩ + ⟨WᵀW, HHᵀ⟩ = ‖X‖²_F − 2⟨WᵀX, H⟩ + ‖RH‖²_F,

with RᵀR = WᵀW (R = qr(W).R, or any square root of the Gram matrix). Every Frobenius kernel
and model reads these statistics, so their cost is independent of m after one O(mnk)
product, and the driver reuses them to evaluate the loss without forming X − WH
(README "Layout" and the ``dpp_compile_once`` experiment; the same compression as scikit-learn's ``HHt``/``XHt`` and
TensorLy's ``hals_nnls(UtM, UtU)``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["FrobeniusStats", "frobenius_stats", "gram_square_root", "frobenius_from_stats"]


class FrobeniusStats(NamedTuple):
    """``cross = WᵀX`` (k×n) and ``gram = WᵀW`` (k×k) for the H-subproblem."""

    cross: np.ndarray
    gram: np.ndarray


def frobenius_stats(X: np.ndarray, W: np.ndarray) -> FrobeniusStats:
    """Compute (WᵀX, WᵀW)."""
    return FrobeniusStats(W.T @ X, W.T @ W)


def gram_square_root(gram: np.ndarray) -> np.ndarray:
    """A k×k matrix R with RᵀR = gram, for a symmetric positive semidefinite ``gram``.

    Uses the eigendecomposition gram = V diag(λ) Vᵀ, R = diag(√λ₊) Vᵀ, which is defined for
    rank-deficient W too (R then has zero rows). Equal to qr(W).R up to an orthogonal factor.
    """
    lam, V = np.linalg.eigh(0.5 * (gram + gram.T))
    return np.sqrt(np.clip(lam, 0.0, None))[:, None] * V.T


def frobenius_from_stats(norm_x2: float, stats: FrobeniusStats, H: np.ndarray,
                         HHt: np.ndarray | None = None) -> float:
    """‖X − WH‖²_F from ‖X‖²_F and the statistics: ‖X‖² − 2⟨WᵀX, H⟩ + ⟨WᵀW, HHᵀ⟩.

    Costs O(k²n) instead of O(mnk) (O(kn) when ``HHt`` = HHᵀ is passed in); exact up to
    rounding of order 1e-13·‖X‖²_F, so it is clipped at 0. Use
    :func:`nnmf_research.losses.frobenius` for reported final values.
    """
    HHt = H @ H.T if HHt is None else HHt
    value = norm_x2 - 2.0 * float(np.vdot(stats.cross, H)) + float(np.vdot(stats.gram, HHt))
    return max(value, 0.0)
