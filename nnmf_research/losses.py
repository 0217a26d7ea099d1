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
* ``beta_divergence(X, W, H, beta) = Σ_ij d_β(X_ij | (WH)_ij)``, the β-divergence of
  Févotte & Idier (2011, Neural Comput. 23(9), eq. 2.1), for any real β:

      d_β(x|y) = (x^β + (β − 1) y^β − β x y^(β−1)) / (β(β − 1))      β ∉ {0, 1}
      d_1(x|y) = x log(x/y) − x + y                                  (KL, our ``kl``)
      d_0(x|y) = x/y − log(x/y) − 1                                  (Itakura–Saito)

  so d_2 = ½(x − y)²: ``beta_divergence(·, 2) = ½ frobenius``, as scikit-learn's
  ``_beta_divergence``. For β ≤ 0 a zero of X gives +inf (x^β or log x). A sparse X is never
  densified: the terms at X = 0 are y^β/β (β > 0), summed over WH in blocks of columns.
  The loss names: ``"frobenius"`` (β = 2, no ½), ``"kl"`` (β = 1), ``"itakura-saito"``
  (β = 0) and ``"beta=<float>"`` for any other β (:func:`check_loss` maps a float β to its
  name); the loss of a named β other than 2 is ``beta_divergence``.
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

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import xlogy

from .checks import check_choice
from .sparse_support import (product_on_support, product_total, squared_norm, support,
                             values_at)

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
    "dense_split",
    "kl_of_split",
    "loss",
    "loss_from_sklearn_error",
    "sklearn_error_from_loss",
    "BETA_LOSSES",
    "SKLEARN_BETA_LOSSES",
    "beta_divergence",
    "beta_of",
    "check_loss",
    "loss_of_product",
    "Regularization",
    "regularization",
]

LOSSES = ("frobenius", "kl")
"""The losses every family serves; :func:`check_loss` accepts the β-divergences too."""

BETA_LOSSES = {"frobenius": 2.0, "kl": 1.0, "itakura-saito": 0.0}
"""Named β-divergences (scikit-learn's ``beta_loss`` names; ``"kullback-leibler"`` is an
alias of ``"kl"``)."""

_ALIASES = {"kullback-leibler": "kl"}

SKLEARN_BETA_LOSSES = {next((alias for alias, canonical in _ALIASES.items() if canonical == name),
                            name): beta for name, beta in BETA_LOSSES.items()}
""":data:`BETA_LOSSES` under scikit-learn's own names (``"kullback-leibler"`` for "kl")."""


def check_loss(loss) -> str:
    """The canonical name of a loss: ``"frobenius"``, ``"kl"``, ``"itakura-saito"`` or
    ``"beta=<β>"``. Accepts those names, scikit-learn's ``"kullback-leibler"`` and a real β
    (2 → "frobenius", 1 → "kl", 0 → "itakura-saito"); anything else is refused naming them."""
    from .checks import NMFInputError

    if isinstance(loss, str):
        name = _ALIASES.get(loss, loss)
        if name in BETA_LOSSES:
            return name
        if name.startswith("beta="):
            try:
                return check_loss(float(name[5:]))
            except ValueError:
                pass
        raise NMFInputError(f"unknown loss {loss!r}; valid choices: "
                            f"{', '.join(BETA_LOSSES)}, or a real beta (a float)")
    if isinstance(loss, (bool, np.bool_)) or not isinstance(loss, (int, float, np.number)):
        raise NMFInputError(f"loss must be a loss name or a real beta, got {loss!r}")
    beta = float(loss)
    if not np.isfinite(beta):
        raise NMFInputError(f"beta must be finite, got {loss!r}")
    for name, value in BETA_LOSSES.items():
        if beta == value:
            return name
    return f"beta={beta!r}"


def beta_of(name) -> float:
    """The β of a loss (name or float): 2 for Frobenius, 1 for KL, 0 for Itakura–Saito."""
    name = check_loss(name)
    return BETA_LOSSES[name] if name in BETA_LOSSES else float(name[5:])


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
    return float(np.einsum("ij,ij->", R, R, dtype=np.float64))   # float32: summed in float64


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


_NORMAL = np.finfo(np.float64)


def kl_divergence(X: np.ndarray, Y: np.ndarray) -> float:
    """Generalized KL divergence D(X‖Y) = Σ X log(X/Y) − X + Y, with 0 log 0 = 0.

    Returns ``inf`` if some ``Y_ij = 0`` while ``X_ij > 0``. A sparse X (with dense Y) is
    summed over its stored entries plus the mass of Y elsewhere (module docstring); a dense
    X the same way, over its positive entries plus Σ Y on its zeros (:func:`dense_split`).
    """
    Y = np.asarray(Y, dtype=float)
    if sp.issparse(X):
        rows, cols, x = support(X)
        return _kl_split(x, Y[rows, cols], float(Y.sum()))
    return kl_of_split(dense_split(X), Y)


def _kl_terms(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x log(x/y) − x + y entry by entry, for x > 0 and y > 0.

    One logarithm, of x/y (accurate near x = y, where the term is (x − y)²/2x to first
    order); where x/y leaves float64's normal range (x = 1e-323 against y = 1 gives 0, then
    x log 0 = −inf) the two logarithms log x − log y are taken instead."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ratio = x / y
        terms = x * np.log(ratio)
        off = ~((ratio >= _NORMAL.tiny) & (ratio <= _NORMAL.max))
        if off.any():
            terms[off] = x[off] * (np.log(x[off]) - np.log(y[off]))
    terms += y - x
    return terms


def dense_split(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(flat indices of X > 0, flat indices of X = 0, X's positive values): the constant
    part of D(X‖Y) for a dense X, kept by a driver that evaluates the loss every sweep."""
    flat = np.asarray(X, dtype=float).ravel()
    positive = flat > 0
    where = np.flatnonzero(positive)
    return where, np.flatnonzero(~positive), flat[where]


def kl_of_split(split, Y: np.ndarray) -> float:
    """D(X‖Y) for a dense X given as :func:`dense_split` ``(positive, zeros, x)``:
    Σ_{X>0} [x log(x/y) − x + y] + Σ_{X=0} y, each term summed as it is (no cancellation
    between the two parts)."""
    positive, zeros, x = split
    flat = np.asarray(Y, dtype=float).ravel()
    y = flat.take(positive)
    if np.any(y <= 0):
        return float("inf")
    return float(_kl_terms(x, y).sum()) + float(flat.take(zeros).sum())


def _kl_split(x: np.ndarray, y: np.ndarray, total_y: float) -> float:
    """Σ_t [x log(x/y) − x + y]_t + (total_y − Σ_t y_t): KL over stored entries x > 0 plus
    the mass of Y off them (a stored zero of x contributes its y)."""
    if np.any((y <= 0) & (x > 0)):
        return float("inf")
    positive = x > 0
    if not positive.all():
        x, y = x[positive], y[positive]     # a stored zero's y stays in total_y − Σ y
    return float(_kl_terms(x, y).sum()) + max(total_y - float(y.sum()), 0.0)


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
    """The named loss of the factorization WH of X: ``frobenius`` (‖X − WH‖²_F, no ½),
    ``kl``, or any other β-divergence (:func:`check_loss` names; :func:`beta_divergence`)."""
    name = check_loss(name)
    if name == "frobenius":
        return frobenius(X, W, H)
    if name == "kl":
        return kl(X, W, H)
    return beta_divergence(X, W, H, beta_of(name))


def loss_of_product(name: str, X: np.ndarray, Y: np.ndarray,
                    x_power_sum: float | None = None) -> float:
    """The named loss of a dense X against a given product Y = WH (not modified): what
    :func:`loss` computes once WH is known (the driver reuses it for the next update).

    ``x_power_sum`` = Σ X^β (β ∉ {0, 1, 2}; a constant of X the caller keeps) switches to
    the split form (Σ X^β + (β − 1) Σ Y^β − β Σ X Y^(β−1)) / (β(β − 1)), scikit-learn's
    (one power of Y per entry, none of X); its rounding is ~1e-16·Σ X^β, so it is meant for
    loss traces, not for fits near exactness."""
    name = check_loss(name)
    if name == "frobenius":
        R = X - Y
        return float(np.einsum("ij,ij->", R, R))
    if name == "kl":
        return kl_divergence(X, Y)
    beta = beta_of(name)
    if x_power_sum is None or beta == 0.0:
        return _beta_of_product(np.asarray(X, dtype=float), Y, beta)
    if np.any((Y <= 0) & (X > 0)) or (beta < 0.0 and np.any(X == 0)):
        return float("inf")
    with np.errstate(divide="ignore", over="ignore"):
        y_low = Y ** (beta - 1.0)
    cross = float(np.vdot(X, y_low))
    y_low *= Y
    return (x_power_sum + (beta - 1.0) * float(y_low.sum()) - beta * cross) / (
        beta * (beta - 1.0))


def _beta_of_product(X: np.ndarray, Y: np.ndarray, beta: float) -> float:
    if np.any((Y <= 0) & (X > 0)) or (beta <= 0.0 and np.any(X == 0)):
        return float("inf")
    return float(np.sum(_beta_terms(X, Y, beta)))


BLOCK_ENTRIES = 2**20
"""Entries of WH formed at once (8 MB in float64) where a β-divergence needs WH off the
support of a sparse X."""


def column_blocks(m: int, n: int):
    """Column ranges (s, e) covering 0..n with about :data:`BLOCK_ENTRIES` entries of an
    m-row matrix each."""
    step = max(1, BLOCK_ENTRIES // max(m, 1))
    return [(s, min(s + step, n)) for s in range(0, n, step)]


def _beta_terms(x: np.ndarray, y: np.ndarray, beta: float) -> np.ndarray:
    """d_β(x|y) elementwise (module docstring), x ≥ 0, y > 0."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if beta == 1.0:
            return xlogy(x, x) - xlogy(x, y) - x + y
        if beta == 0.0:
            r = x / y
            return r - np.log(r) - 1.0
        y_low = y ** (beta - 1.0)                   # one power of y: y^β = y^(β−1)·y
        return (x**beta + (beta - 1.0) * y_low * y - beta * x * y_low) / (beta * (beta - 1.0))


def beta_divergence(X, W: np.ndarray, H: np.ndarray, beta: float,
                    square_root: bool = False) -> float:
    """Σ_ij d_β(X_ij | (WH)_ij), Févotte & Idier (2011), eq. 2.1 (module docstring); equal to
    scikit-learn's ``_beta_divergence(X, W, H, beta)`` (its X is ours, no transposition), so
    β = 2 gives ½‖X − WH‖²_F. ``square_root=True`` returns sqrt(2·value), scikit-learn's
    ``reconstruction_err_``. +inf where some (WH)_ij = 0 < X_ij, or, for β ≤ 0, where some
    X_ij = 0. A sparse X is never densified."""
    beta = float(beta)
    if beta == 2.0:
        value = 0.5 * frobenius(X, W, H)
    elif beta == 1.0:
        value = kl(X, W, H)
    elif sp.issparse(X):
        x, y = _on_support(X, W, H)
        if beta <= 0.0 and (x.size < X.shape[0] * X.shape[1] or np.any(x == 0)):
            value = float("inf")
        elif np.any((y <= 0) & (x > 0)):
            value = float("inf")
        else:
            # stored entries exactly, the rest (d_β(0|y) = y^β/β, β > 0) through
            # Σ_all y^β/β − Σ_support y^β/β
            value = float(np.sum(_beta_terms(x, y, beta)))
            if x.size < X.shape[0] * X.shape[1]:
                total = sum(float(np.sum((W @ H[:, s:e]) ** beta))
                            for s, e in column_blocks(X.shape[0], X.shape[1]))
                value += (total - float(np.sum(y**beta))) / beta
    else:
        value = _beta_of_product(np.asarray(X, dtype=float), W @ H, beta)
    if square_root:
        return float(np.sqrt(2.0 * max(value, 0.0)))
    return value


def loss_from_sklearn_error(reconstruction_err: float, name: str) -> float:
    """Convert scikit-learn's ``reconstruction_err_`` (sqrt(2·β-div)) to our loss value.

    Frobenius: sklearn's value is ‖X − WH‖_F, ours is its square. Any other β (KL included):
    sklearn's value is sqrt(2·d_β), ours is d_β.
    """
    name = check_loss(name)
    e = float(reconstruction_err)
    return e * e if name == "frobenius" else 0.5 * e * e


def sklearn_error_from_loss(value: float, name: str) -> float:
    """Inverse of :func:`loss_from_sklearn_error`."""
    name = check_loss(name)
    v = max(float(value), 0.0)
    return float(np.sqrt(v)) if name == "frobenius" else float(np.sqrt(2.0 * v))


def masked_loss(name: str, X: np.ndarray, W: np.ndarray, H: np.ndarray,
                mask: np.ndarray) -> float:
    """The named loss over the observed entries only (``mask`` 1 = observed):
    ‖M ∘ (X − WH)‖²_F, or Σ_{M_ij = 1} X_ij log(X_ij/(WH)_ij) − X_ij + (WH)_ij."""
    check_choice(name, "loss", LOSSES)
    if sp.issparse(mask):                   # the observed set Ω only: O(|Ω| k), never m×n
        x, y = _on_observed(X, W, H, mask)
        if name == "kl":
            return kl_divergence(x, y)
        r = x - y
        return float(r @ r)
    observed = np.asarray(mask, dtype=bool)
    Y = W @ H
    if name == "kl":
        return kl_divergence(X[observed], Y[observed])
    R = (X - Y)[observed]
    return float(R @ R)


def _on_observed(X, W, H, mask):
    """(x, y): X and WH on the stored entries of a sparse mask (CSR or CSC)."""
    rows, cols, _ = support(mask)
    return values_at(X, rows, cols, like=mask), product_on_support(W, H, rows, cols)


def masked_relative_error(X: np.ndarray, W: np.ndarray, H: np.ndarray,
                          mask: np.ndarray) -> float:
    """‖M ∘ (X − WH)‖_F / ‖M ∘ X‖_F, the relative error on the observed entries."""
    if sp.issparse(mask):
        x = _on_observed(X, W, H, mask)[0]
    else:
        x = X[np.asarray(mask, dtype=bool)]
    norm_x = float(np.linalg.norm(x))
    err = float(np.sqrt(masked_loss("frobenius", X, W, H, mask)))
    if norm_x == 0.0:
        return 0.0 if err == 0.0 else float("inf")
    return err / norm_x


@dataclass(frozen=True)
class Regularization:
    """The scaled penalty weights of scikit-learn's regularized NMF, for X ≈ WH (m×n):

        penalty(W, H) = l1_W ‖W‖₁ + ½ l2_W ‖W‖²_F + l1_H ‖H‖₁ + ½ l2_H ‖H‖²_F

    added to scikit-learn's data term (½‖X − WH‖²_F for Frobenius, d_β otherwise). Built by
    :func:`regularization`."""

    l1_W: float = 0.0
    l2_W: float = 0.0
    l1_H: float = 0.0
    l2_H: float = 0.0

    def __bool__(self) -> bool:
        return any((self.l1_W, self.l2_W, self.l1_H, self.l2_H))

    def penalty(self, W: np.ndarray, H: np.ndarray) -> float:
        """The penalty above (W, H ≥ 0, so ‖·‖₁ is the sum)."""
        return float(self.l1_W * W.sum() + 0.5 * self.l2_W * np.vdot(W, W)
                     + self.l1_H * H.sum() + 0.5 * self.l2_H * np.vdot(H, H))

    def for_H(self) -> tuple[float, float]:
        """(l1, l2) of the H-subproblem."""
        return self.l1_H, self.l2_H

    def for_W(self) -> tuple[float, float]:
        """(l1, l2) of the W-subproblem (solved as the H-subproblem of Xᵀ ≈ HᵀWᵀ)."""
        return self.l1_W, self.l2_W


def regularization(shape: tuple[int, int], alpha_W=0.0, alpha_H="same",
                   l1_ratio=0.0) -> Regularization:
    """scikit-learn's scaling (``NMF._compute_regularization``, scikit-learn ≥ 1.2) for an
    m×n X ≈ WH, read with scikit-learn's letters on the X given (X's rows play its samples):

        l1_W = n·alpha_W·l1_ratio,   l2_W = n·alpha_W·(1 − l1_ratio)
        l1_H = m·alpha_H·l1_ratio,   l2_H = m·alpha_H·(1 − l1_ratio)

    with ``alpha_H="same"`` meaning alpha_H = alpha_W. So ``factorize(X, alpha_W=a,
    alpha_H=b)`` minimizes what scikit-learn's ``non_negative_factorization(X, alpha_W=a,
    alpha_H=b)`` minimizes on the same X. The toolkit's orientation (columns are samples)
    is scikit-learn's transposed: scikit-learn's ``NMF(alpha_W=a, alpha_H=b).fit(S)`` is
    ``factorize(S.T, alpha_W=b, alpha_H=a)`` (its W is our Hᵀ)."""
    from .checks import NMFInputError

    def weight(value, name):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
            raise NMFInputError(f"{name} must be a non-negative real, got {value!r}")
        if not (np.isfinite(value) and value >= 0):
            raise NMFInputError(f"{name} must be a non-negative real, got {value!r}")
        return float(value)

    alpha_W = weight(alpha_W, "alpha_W")
    alpha_H = alpha_W if isinstance(alpha_H, str) and alpha_H == "same" else weight(
        alpha_H, "alpha_H (a non-negative real or 'same')")
    l1_ratio = weight(l1_ratio, "l1_ratio")
    if l1_ratio > 1:
        raise NMFInputError(f"l1_ratio must be in [0, 1], got {l1_ratio!r}")
    m, n = shape
    return Regularization(n * alpha_W * l1_ratio, n * alpha_W * (1.0 - l1_ratio),
                          m * alpha_H * l1_ratio, m * alpha_H * (1.0 - l1_ratio))
