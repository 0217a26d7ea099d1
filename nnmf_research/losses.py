"""NumPy values of the NMF objectives: the one source of every reported number.

Conventions (README, "Methods and losses"):

* ``frobenius(X, W, H) = ‖X − WH‖²_F`` (no ½). scikit-learn's objective is ``½‖X − WH‖²_F``;
  ``half_frobenius`` is that value.
* ``kl(X, W, H) = D(X‖WH) = Σ_ij X_ij log(X_ij / Y_ij) − X_ij + Y_ij`` with ``Y = WH`` and
  ``0 log 0 = 0`` (the generalized Kullback–Leibler divergence of Lee & Seung 2001, NIPS 13).
* ``chi_square(X, Y) = Σ (X_ij − Y_ij)² / Y_ij`` (Pearson; the χ² link of Ding, Li & Peng 2008),
  ``chi_square_product(X, W, H)`` the same of Y = WH. Near a fit (X = Y + δ) the
  I-divergence is half of it to first order: x log(x/y) − x + y = δ²/(2y) + O(δ³/y²), so
  D(X‖Y) ≈ χ²(X, Y)/2 (Ding, Li & Peng, Comput. Stat. Data Anal. 52(8), 2008, §4).

Sparse X (scipy.sparse) is never densified. Every loss of a product splits into the stored
entries and the rest, e.g. for KL

    D(X‖WH) = Σ_{X_ij>0} [X log(X/Y) − X + Y]_ij + (Σ_ij (WH)_ij − Σ_{X_ij>0} Y_ij),

with Y on the support from :func:`nnmf_research.sparse_support.product_on_support` and the
total Σ WH = colsum(W)·rowsum(H): O(nnz·k + (m + n)k) time, O(nnz + (m + n)k) memory.
χ² splits the same way (its terms on X = 0 are Y), Frobenius with ‖WH‖² = ⟨WᵀW, HHᵀ⟩.
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
import scipy.sparse as sp
from scipy.special import xlogy

from .checks import check_choice
from .sparse_support import product_on_support, product_total, squared_norm, support

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
    "chi_square_product",
    "kl_from_support",
    "loss",
    "loss_from_sklearn_error",
    "sklearn_error_from_loss",
]

LOSSES = ("frobenius", "kl")


def _on_support(X, W, H):
    rows, cols, x = support(X)
    return x, product_on_support(W, H, rows, cols)


def frobenius(X: np.ndarray, W: np.ndarray, H: np.ndarray) -> float:
    """‖X − WH‖²_F, computed directly (no Gram-form cancellation); for a sparse X,
    Σ_{X>0} (X − Y)² + (‖WH‖²_F − Σ_{X>0} Y²) with ‖WH‖²_F = ⟨WᵀW, HHᵀ⟩."""
    if sp.issparse(X):
        x, y = _on_support(X, W, H)
        rest = float(np.vdot(W.T @ W, H @ H.T)) - float(np.dot(y, y))
        return float(np.dot(x - y, x - y)) + max(rest, 0.0)
    R = X - W @ H
    return float(np.einsum("ij,ij->", R, R))


def half_frobenius(X: np.ndarray, W: np.ndarray, H: np.ndarray) -> float:
    """½‖X − WH‖²_F: scikit-learn's Frobenius objective."""
    return 0.5 * frobenius(X, W, H)


def relative_error(X: np.ndarray, W: np.ndarray, H: np.ndarray) -> float:
    """‖X − WH‖_F / ‖X‖_F (0 when X = 0 and WH = 0)."""
    norm_x = float(np.sqrt(squared_norm(X)))
    err = float(np.sqrt(frobenius(X, W, H)))
    if norm_x == 0.0:
        return 0.0 if err == 0.0 else float("inf")
    return err / norm_x


def kl_divergence(X: np.ndarray, Y: np.ndarray) -> float:
    """Generalized KL divergence D(X‖Y) = Σ X log(X/Y) − X + Y, with 0 log 0 = 0.

    Returns ``inf`` if some ``Y_ij = 0`` while ``X_ij > 0``. A sparse X (with dense Y) is
    summed over its stored entries plus the mass of Y elsewhere (module docstring).
    """
    Y = np.asarray(Y, dtype=float)
    if sp.issparse(X):
        rows, cols, x = support(X)
        return _kl_split(x, Y[rows, cols], float(Y.sum()))
    X = np.asarray(X, dtype=float)
    if np.any((Y <= 0) & (X > 0)):
        return float("inf")
    # xlogy(x, x) - xlogy(x, y) is exact 0 where x == 0 and avoids log(0).
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = xlogy(X, X) - xlogy(X, np.where(X > 0, Y, 1.0)) - X + Y
    return float(terms.sum())


def _kl_split(x: np.ndarray, y: np.ndarray, total_y: float) -> float:
    """Σ_t [x log(x/y) − x + y]_t + (total_y − Σ_t y_t): KL over stored entries x > 0 plus
    the mass of Y off them."""
    if np.any((y <= 0) & (x > 0)):
        return float("inf")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = xlogy(x, x) - xlogy(x, np.where(x > 0, y, 1.0)) - x + y
    return float(terms.sum()) + max(total_y - float(y.sum()), 0.0)


def kl_from_support(x: np.ndarray, y: np.ndarray, total_y: float) -> float:
    """D(X‖Y) from X's stored values ``x``, Y on the same entries ``y`` and ΣY (the split of
    the module docstring): what :func:`kl` computes for a sparse X once y is known."""
    return _kl_split(x, y, total_y)


def kl(X: np.ndarray, W: np.ndarray, H: np.ndarray) -> float:
    """D(X‖WH), the generalized KL divergence of the product (sparse X: never densified)."""
    if sp.issparse(X):
        x, y = _on_support(X, W, H)
        return _kl_split(x, y, product_total(W, H))
    return kl_divergence(X, W @ H)


def _chi_square_split(x: np.ndarray, y: np.ndarray, total_y: float) -> float:
    if np.any((y <= 0) & (x > 0)):
        return float("inf")
    return float(np.sum((x - y) ** 2 / y)) + max(total_y - float(y.sum()), 0.0)


def chi_square_product(X, W: np.ndarray, H: np.ndarray) -> float:
    """Pearson χ²(X, WH) = Σ (X − WH)²/(WH) over entries with (WH) > 0 (inf if some
    X > 0 = (WH)); a sparse X is never densified (its zeros contribute Σ WH off the support)."""
    if sp.issparse(X):
        x, y = _on_support(X, W, H)
        return _chi_square_split(x, y, product_total(W, H))
    return chi_square(X, W @ H)


def chi_square(X: np.ndarray, Y: np.ndarray) -> float:
    """Pearson χ² distance Σ (X − Y)²/Y over entries with Y > 0 (inf if X > 0 = Y).

    A sparse X (with dense Y) is summed over its stored entries plus Y's mass elsewhere.
    """
    Y = np.asarray(Y, dtype=float)
    if sp.issparse(X):
        rows, cols, x = support(X)
        return _chi_square_split(x, Y[rows, cols], float(Y[Y > 0].sum()))
    X = np.asarray(X, dtype=float)
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
