"""NumPy values of the NMF objectives: the one source of every reported number.

Conventions (README, "Methods and losses"):

* ``frobenius(X, W, H) = ‖X − WH‖²_F`` (no ½). scikit-learn's objective is ``½‖X − WH‖²_F``;
  ``half_frobenius`` is that value.
* ``kl(X, W, H) = D(X‖WH) = Σ_ij X_ij log(X_ij / Y_ij) − X_ij + Y_ij`` with ``Y = WH`` and
  ``0 log 0 = 0`` (the generalized Kullback–Leibler divergence of Lee & Seung 2001, NIPS 13).
* ``chi_square(X, Y) = Σ (X_ij − Y_ij)² / Y_ij`` (Pearson; the χ² link of Ding, Li & Peng 2008).
* scikit-learn reports ``reconstruction_err_ = sqrt(2·β-divergence)``: for β = 2 that is
  ‖X − WH‖_F, for β = 1 it is sqrt(2·D(X‖WH)). ``loss_from_sklearn_error`` converts it to ours.

Example
-------
>>> import numpy as np
>>> X = np.array([[1.0, 2.0], [3.0, 4.0]])
>>> W, H = np.eye(2), X
>>> frobenius(X, W, H), kl(X, W, H)
(0.0, 0.0)
"""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

from .checks import check_choice

__all__ = [
    "LOSSES",
    "masked_loss",
    "masked_relative_error",
    "frobenius",
    "half_frobenius",
    "relative_error",
    "kl",
    "kl_divergence",
    "chi_square",
    "loss",
    "loss_from_sklearn_error",
    "sklearn_error_from_loss",
]

LOSSES = ("frobenius", "kl")


def frobenius(X: np.ndarray, W: np.ndarray, H: np.ndarray) -> float:
    """‖X − WH‖²_F, computed directly (no Gram-form cancellation)."""
    R = X - W @ H
    return float(np.einsum("ij,ij->", R, R))


def half_frobenius(X: np.ndarray, W: np.ndarray, H: np.ndarray) -> float:
    """½‖X − WH‖²_F: scikit-learn's Frobenius objective."""
    return 0.5 * frobenius(X, W, H)


def relative_error(X: np.ndarray, W: np.ndarray, H: np.ndarray) -> float:
    """‖X − WH‖_F / ‖X‖_F (0 when X = 0 and WH = 0)."""
    norm_x = float(np.linalg.norm(X))
    err = float(np.sqrt(frobenius(X, W, H)))
    if norm_x == 0.0:
        return 0.0 if err == 0.0 else float("inf")
    return err / norm_x


def kl_divergence(X: np.ndarray, Y: np.ndarray) -> float:
    """Generalized KL divergence D(X‖Y) = Σ X log(X/Y) − X + Y, with 0 log 0 = 0.

    Returns ``inf`` if some ``Y_ij = 0`` while ``X_ij > 0``.
    """
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    if np.any((Y <= 0) & (X > 0)):
        return float("inf")
    # xlogy(x, x) - xlogy(x, y) is exact 0 where x == 0 and avoids log(0).
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = xlogy(X, X) - xlogy(X, np.where(X > 0, Y, 1.0)) - X + Y
    return float(terms.sum())


def kl(X: np.ndarray, W: np.ndarray, H: np.ndarray) -> float:
    """D(X‖WH), the generalized KL divergence of the product."""
    return kl_divergence(X, W @ H)


def chi_square(X: np.ndarray, Y: np.ndarray) -> float:
    """Pearson χ² distance Σ (X − Y)²/Y over entries with Y > 0 (inf if X > 0 = Y)."""
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    if np.any((Y <= 0) & (X != Y)):
        return float("inf")
    pos = Y > 0
    return float(np.sum((X[pos] - Y[pos]) ** 2 / Y[pos]))


def loss(name: str, X: np.ndarray, W: np.ndarray, H: np.ndarray) -> float:
    """The named loss (``"frobenius"`` or ``"kl"``) of the factorization WH of X."""
    check_choice(name, "loss", LOSSES)
    return frobenius(X, W, H) if name == "frobenius" else kl(X, W, H)


def loss_from_sklearn_error(reconstruction_err: float, name: str) -> float:
    """Convert scikit-learn's ``reconstruction_err_`` (sqrt(2·β-div)) to our loss value.

    Frobenius: sklearn's value is ‖X − WH‖_F, ours is its square. KL: sklearn's value is
    sqrt(2·D), ours is D.
    """
    check_choice(name, "loss", LOSSES)
    e = float(reconstruction_err)
    return e * e if name == "frobenius" else 0.5 * e * e


def sklearn_error_from_loss(value: float, name: str) -> float:
    """Inverse of :func:`loss_from_sklearn_error`."""
    check_choice(name, "loss", LOSSES)
    v = max(float(value), 0.0)
    return float(np.sqrt(v)) if name == "frobenius" else float(np.sqrt(2.0 * v))


def masked_loss(name: str, X: np.ndarray, W: np.ndarray, H: np.ndarray,
                mask: np.ndarray) -> float:
    """The named loss over the observed entries only (``mask`` 1 = observed):
    ‖M ∘ (X − WH)‖²_F, or Σ_{M_ij = 1} X_ij log(X_ij/(WH)_ij) − X_ij + (WH)_ij."""
    check_choice(name, "loss", LOSSES)
    observed = np.asarray(mask, dtype=bool)
    Y = W @ H
    if name == "kl":
        return kl_divergence(X[observed], Y[observed])
    R = (X - Y)[observed]
    return float(R @ R)


def masked_relative_error(X: np.ndarray, W: np.ndarray, H: np.ndarray,
                          mask: np.ndarray) -> float:
    """‖M ∘ (X − WH)‖_F / ‖M ∘ X‖_F, the relative error on the observed entries."""
    observed = np.asarray(mask, dtype=bool)
    norm_x = float(np.linalg.norm(X[observed]))
    err = float(np.sqrt(masked_loss("frobenius", X, W, H, mask)))
    if norm_x == 0.0:
        return 0.0 if err == 0.0 else float("inf")
    return err / norm_x
