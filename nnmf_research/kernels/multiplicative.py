"""Multiplicative updates: Lee & Seung (2001, NIPS 13), Theorems 1 (Frobenius) and 2 (KL), and
the β-divergence rule of Févotte & Idier (2011, Neural Comput. 23(9)) for any real β.

MultiplicativeFrobenius:  H ← max(eps, H ⊙ (WᵀX) / (WᵀW H)).
MultiplicativeKL:  H_aj ← max(eps, H_aj Σ_i W_ia X_ij/(WH)_ij / Σ_i W_ia).
MultiplicativeBeta (β-divergence d_β, :func:`nnmf_research.losses.beta_divergence`):

    H ← H ⊙ ( Wᵀ(X ⊙ (WH)^(β−2)) / Wᵀ(WH)^(β−1) )^γ(β),
    γ(β) = 1/(2 − β) for β < 1,  1 for 1 ≤ β ≤ 2,  1/(β − 1) for β > 2,

the exponent with which every step minimises a majoriser of the loss, so the loss never
increases (Févotte & Idier 2011, Theorem 2 and eq. 4.10). β = 2 and β = 1 are the two rules
above (γ = 1).

Regularization (``l1``, ``l2``: the penalty l1‖H‖₁ + ½ l2‖H‖²_F of scikit-learn's scaled
``alpha_*``/``l1_ratio``, :func:`nnmf_research.losses.regularization`) adds l1 + l2·H to the
denominator, as scikit-learn's ``_multiplicative_update_h``. ``zero_below`` sets entries
below it to 0 after the step: scikit-learn's rule for β ≤ 1 (README, "Why the floor in MU");
the default 0 keeps the floor ``eps`` alone. ``product_floor`` is the least value of WH where
it is raised to a negative power (β − 2 < 0 in the numerator, β − 1 < 0 in the denominator);
the default is scale-free (:func:`_product_floor`), scikit-learn's is float32's epsilon
(``factorize``'s kernel option ``zero_below="sklearn"`` sets both of its rules).

Sparse X (scipy.sparse) is never densified. Frobenius reads it through WᵀX (a sparse-dense
product). KL forms R = X/(WH) only on the stored entries (R is zero where X is, so WᵀR is a
sparse-dense product): time O(nnz·k), memory O(nnz + (m + n)k). For other β the numerator is
read on the stored entries the same way, but the denominator Wᵀ(WH)^(β−1) depends on every
entry of WH; it is formed in blocks of columns (memory O(m·block + (m + n)k), time O(mnk)).
For β ≤ 0 a zero in X makes the loss infinite: refused by ``factorize``, as scikit-learn does.
Summing the KL update over a and j shows Σ_ij (W H_new)_ij = Σ_ij X_ij after every KL step
(with eps = 0, in exact arithmetic): the precondition of the PLSI identity
(:mod:`nnmf_research.plsi`).

The signature, the floor eps and why it keeps monotonicity: :mod:`nnmf_research.kernels.base`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from ..losses import check_loss, column_blocks
from ..sparse_support import product_on_support, support, with_values
from .base import _TINY, EPS, OneFactorKernel, _stats, multiplicative_step

__all__ = ["MultiplicativeFrobenius", "MultiplicativeKL", "MultiplicativeBeta", "beta_gamma"]


def beta_gamma(beta: float) -> float:
    """Févotte & Idier's (2011) exponent γ(β) (module docstring)."""
    if beta < 1.0:
        return 1.0 / (2.0 - beta)
    if beta > 2.0:
        return 1.0 / (beta - 1.0)
    return 1.0


def product_in_layout_of(X: np.ndarray, W: np.ndarray, H: np.ndarray) -> np.ndarray:
    """W @ H as a new array in X's memory layout: for the W-step the driver passes Xᵀ, a
    Fortran-ordered view, and X / (WH) over arrays of mixed layouts runs ~20 % slower than
    over matching ones; (HᵀWᵀ)ᵀ is the same product, Fortran-ordered."""
    if X.flags.f_contiguous and not X.flags.c_contiguous:
        return (H.T @ W.T).T
    return W @ H


def _sparse_format(X):
    return X if X.format in ("csr", "csc") else X.tocsr()


@dataclass(frozen=True)
class MultiplicativeFrobenius(OneFactorKernel):
    """Lee–Seung multiplicative update for ‖X − WH‖²_F (see module docstring)."""

    loss: ClassVar[str] = "frobenius"
    sparse: ClassVar[bool] = True
    eps: float = EPS
    l1: float = 0.0
    l2: float = 0.0
    zero_below: float = 0.0

    def __call__(self, X, W, H, stats=None):
        cross, gram = _stats(X, W, stats)
        return multiplicative_step(H, np.asarray(cross), gram @ H, self.eps, l1=self.l1,
                                   l2=self.l2, zero_below=self.zero_below)


@dataclass(frozen=True)
class MultiplicativeKL(OneFactorKernel):
    """Lee–Seung multiplicative update for the generalized KL divergence D(X‖WH); a sparse X
    is read on its non-zeros only (module docstring)."""

    loss: ClassVar[str] = "kl"
    sparse: ClassVar[bool] = True
    eps: float = EPS
    l1: float = 0.0
    l2: float = 0.0
    zero_below: float = 0.0
    product_floor: float | None = None

    def __call__(self, X, W, H, stats=None):
        """``stats`` may be WH (dense X) or WH on X's stored entries in storage order (sparse
        X), kept by the alternating driver from the loss; it is not modified."""
        if sp.issparse(X):
            return self._sparse(X, W, H, stats)
        # stats: WH itself, kept by the driver from the loss (not modified)
        Y = product_in_layout_of(X, W, H) if stats is None else np.array(stats)
        np.maximum(Y, self._floor(), out=Y)
        ratio = np.divide(X, Y, out=Y)  # reuse the buffer: Y is not needed after this
        return self._step(H, W.T @ ratio, W)

    def _floor(self):
        return _TINY if self.product_floor is None else self.product_floor

    def _step(self, H, numer, W):
        return multiplicative_step(H, numer, W.sum(axis=0)[:, None], self.eps, l1=self.l1,
                                   l2=self.l2, zero_below=self.zero_below)

    def _sparse(self, X, W, H, product):
        X = _sparse_format(X)
        rows, cols, x = support(X)
        y = product_on_support(W, H, rows, cols) if product is None else np.array(product)
        np.maximum(y, self._floor(), out=y)
        np.divide(x, y, out=y)
        numer = np.asarray(with_values(X, y).T @ W).T          # WᵀR, k×n
        return self._step(H, numer, W)


def _power(Y: np.ndarray, exponent: float) -> np.ndarray:
    """Y**exponent as a new array; −2 as (1/Y)², which NumPy's fast paths (−1, 2) make
    several times cheaper than a general power (as scikit-learn does for β = 0)."""
    if exponent == -2.0:
        P = np.reciprocal(Y)
        P *= P
        return P
    return Y**exponent


def _product_floor(beta: float) -> float:
    """Floor on WH before raising it to β − 2 < 0: small enough never to bind on data of any
    sensible scale, large enough that floor^(β−2) ≤ 1e300 (no overflow)."""
    return 10.0 ** (-300.0 / (2.0 - beta)) if beta < 2.0 else 0.0


def _dense_beta_terms(X, W, H, stats, beta: float, floor: float, low: float):
    """(Wᵀ(X∘Y^(β−2)), WᵀY^(β−1)) for Y = WH (``stats``: WH from the driver, read only),
    Y clipped at ``floor`` below the power β − 2 and at ``low`` in Y^(β−1) = Y^(β−2)·Y;
    for 1 < β < 2 (``floor`` > 0 = ``low``) Y^(β−1) is taken unclipped where Y < floor.

    One power per entry, and the products in place in two buffers, P = Y^(β−2) and Y itself
    (when it is ours): on data of digits' size (64 × 1797) fresh arrays for each step cost
    as much as the arithmetic. For β = 0, Y^(−1) is one reciprocal (scikit-learn's), Y^(−2)
    its square."""
    own = stats is None
    Y = product_in_layout_of(X, W, H) if own else stats
    tiny = None
    if 0.0 < floor and not low:
        small = Y < floor
        if small.any():
            tiny = (small, Y[small] ** (beta - 1.0))
    if floor > 0.0:   # β < 1 clips Y itself (both powers read the clipped Y)
        clipped = np.maximum(Y, floor, out=Y if own and low else None)
    else:             # β ≥ 2: no negative power, nothing to clip
        clipped = Y
    if beta == 0.0:   # Itakura–Saito: Y^(−1) by one reciprocal, Y^(−2) as its square
        Q = np.reciprocal(clipped, out=Y if own else None)
        P = Q * Q
    else:
        P = _power(clipped, beta - 2.0)
        Q = np.multiply(P, clipped if low else Y, out=Y if own else None)
    if tiny is not None:
        Q[tiny[0]] = tiny[1]
    denom = W.T @ Q
    np.multiply(P, X, out=P)
    return W.T @ P, denom


@dataclass(frozen=True)
class MultiplicativeBeta(OneFactorKernel):
    """Févotte & Idier (2011) multiplicative update for the β-divergence, any real β, with
    the exponent γ(β) that makes it monotone (module docstring). ``gamma=None`` takes γ(β)."""

    beta: float = 0.5
    eps: float = EPS
    l1: float = 0.0
    l2: float = 0.0
    zero_below: float = 0.0
    gamma: float | None = None
    product_floor: float | None = None
    sparse: ClassVar[bool] = True

    @property
    def loss(self) -> str:
        return check_loss(float(self.beta))

    def __call__(self, X, W, H, stats=None):
        numer, denom = self.terms(X, W, H, stats)
        beta = float(self.beta)
        gamma = beta_gamma(beta) if self.gamma is None else float(self.gamma)
        return multiplicative_step(H, numer, denom, self.eps, l1=self.l1, l2=self.l2,
                                   gamma=gamma, zero_below=self.zero_below)

    def terms(self, X, W, H, stats=None, *, closed_forms: bool = False):
        """(numerator, denominator) of the β-MU of H for X ≈ WH (Févotte & Idier 2011,
        eq. 4.3, without the penalty): N = Wᵀ(X ∘ (WH)^(β−2)), D = Wᵀ(WH)^(β−1), with WH
        clipped at the floor (``product_floor``, else :func:`_product_floor`) where it is
        raised to a negative power; a sparse X is read on its non-zeros, the denominator's
        WH formed in column blocks. ``stats``: WH of a dense X (read only).

        ``closed_forms=True`` is the form the online estimator (``MiniBatchNMF``) uses:
        β = 2 as (WᵀX, WᵀW·H) and β = 1 as (Wᵀ(X / WH), Wᵀ1), no product WH where none is
        needed, for other β one power of WH per term and a sparse batch's WH formed at once
        (a mini-batch is small); the default shares one power
        between the two terms ((WH)^(β−1) = (WH)^(β−2)·WH), the cheaper form of the
        update. Both are the same numbers up to rounding."""
        beta = float(self.beta)
        floor = _product_floor(beta) if self.product_floor is None else self.product_floor
        if beta >= 2.0:
            floor = 0.0                             # no negative power: nothing to clip
        low = floor if beta < 1.0 else 0.0          # the denominator's power is negative
        if closed_forms and beta == 2.0:            # WᵀX and WᵀW·H
            return np.asarray((X.T @ W).T if sp.issparse(X) else W.T @ X), (W.T @ W) @ H
        if closed_forms and beta == 1.0:            # Wᵀ(X / WH) and Wᵀ1
            if sp.issparse(X):
                rows, cols, x = support(X)
                y = np.maximum(product_on_support(W, H, rows, cols), floor)
                numer = np.asarray(with_values(X, x / y).T @ W).T
            else:
                numer = W.T @ (X / np.maximum(W @ H if stats is None else stats, floor))
            return numer, np.broadcast_to(W.sum(axis=0)[:, None], numer.shape)
        if sp.issparse(X):
            X = _sparse_format(X)
            rows, cols, x = support(X)
            y = product_on_support(W, H, rows, cols)
            np.maximum(y, floor, out=y)
            numer = np.asarray(with_values(X, x * y ** (beta - 2.0)).T @ W).T
            denom = np.empty_like(H)
            blocks = ([(0, H.shape[1])] if closed_forms     # a mini-batch: WH at once
                      else column_blocks(W.shape[0], H.shape[1]))
            for s, e in blocks:
                Y = W @ H[:, s:e]
                np.maximum(Y, low, out=Y)
                denom[:, s:e] = W.T @ Y ** (beta - 1.0)
            return numer, denom
        if closed_forms:
            Y = W @ H if stats is None else stats   # stats: WH from the driver (read only)
            numer = W.T @ (X * np.maximum(Y, floor) ** (beta - 2.0))
            return numer, W.T @ np.maximum(Y, low) ** (beta - 1.0)
        return _dense_beta_terms(X, W, H, stats, beta, floor, low)
