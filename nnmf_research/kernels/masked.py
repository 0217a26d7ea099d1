"""One-factor updates for NMF with missing entries: only the observed entries are fitted.

With a 0/1 mask M (1 = observed), the objectives are the masked losses

    ‖M ∘ (X − WH)‖²_F            and        Σ_{M_ij = 1} X_ij log(X_ij/(WH)_ij) − X_ij + (WH)_ij,

and each class below is an update ``update(X, W, H) -> H_new`` of the toolkit's one-factor
signature for a fixed mask; the W-update is the same class built on Mᵀ and called on the
transposed problem. X holds 0 where M is 0 (the values there are never read). With every entry
observed, each update equals its unmasked counterpart (MU, plain HALS, ANLS) iterate for
iterate.

MaskedMultiplicativeFrobenius
    H ← max(eps, H ∘ Wᵀ(M∘X) / Wᵀ(M∘(WH))): the Lee–Seung rule with the mask in numerator and
    denominator. It minimises the same separable majoriser as in Lee & Seung (2001) with the
    weights M, so the masked loss never increases (Ho, "Nonnegative matrix factorization
    algorithms and applications", PhD thesis, UCLouvain 2008, §3; the weighted-NMF rule of
    Guillamet, Vitrià & Schiele, Pattern Recognit. Lett. 24, 2003).
MaskedMultiplicativeKL
    H ← max(eps, H ∘ Wᵀ(M∘X/(WH)) / WᵀM): Lee & Seung's KL rule with the sums over observed
    entries only (same majoriser argument).
MaskedHALS
    Exact minimisation over one entry of H at a time, row by row: for row j and column c,
    h_jc ← max(eps, h_jc + Σ_i M_ic w_ij r_ic / Σ_i M_ic w_ij²), r = X − WH kept up to date
    (Cichocki & Phan 2009 with weights; each step is an exact 1-D minimiser, so the masked loss
    never increases). With M ≡ 1 this is plain HALS: Σ_i w_ij r_ic = (WᵀX − WᵀWH)_jc. An
    entry whose column sees w_j only on near-zero observed rows (Σ_i M_ic w_ij² ≤ 1e-12 ‖w_j‖²)
    keeps its value: its 1-D objective is flat and the exact step would be a huge jump.
    Computed through the per-column Gram matrices G_c = Wᵀ diag(M_·c) W and b = Wᵀ(M ∘ X):
    Σ_i M_ic w_ij r_ic = b_jc − Σ_l (G_c)_jl h_lc with the rows before j already updated, the
    same steps as keeping r, but the m×n work is k matrix products (k²mn flops in BLAS)
    instead of ~4k elementwise passes over m×n arrays per update; the Grams are built for
    blocks of columns, at most ``gram_entries`` numbers at a time.
MaskedANLS
    Exact NNLS per column on its observed rows only, min_{h ≥ 0} ‖W_obs h − x_obs‖², by the
    block-pivoting solver of :mod:`.anls` (columns sharing an observation pattern share one
    factorization; a column with a pattern of its own is solved by Lawson–Hanson).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from scipy.optimize import nnls

from .anls import nnls_block_pivoting
from .base import _TINY, EPS, OneFactorKernel, multiplicative_step

__all__ = ["MaskedMultiplicativeFrobenius", "MaskedMultiplicativeKL", "MaskedHALS",
           "MaskedANLS", "MASKED_KERNELS"]


@dataclass(frozen=True)
class _Masked(OneFactorKernel):
    mask: np.ndarray = field(repr=False, compare=False, default=None)
    eps: float = EPS

    def transposed(self):
        """The same update for the transposed problem (the W-step): the mask transposed."""
        return type(self)(mask=self.mask.T, eps=self.eps)


@dataclass(frozen=True)
class MaskedMultiplicativeFrobenius(_Masked):
    loss: ClassVar[str] = "frobenius"

    def __call__(self, X, W, H, stats=None):
        M = self.mask
        return multiplicative_step(H, W.T @ (M * X), W.T @ (M * (W @ H)), self.eps)


@dataclass(frozen=True)
class MaskedMultiplicativeKL(_Masked):
    loss: ClassVar[str] = "kl"

    def __call__(self, X, W, H, stats=None):
        M = self.mask
        Y = W @ H
        np.maximum(Y, _TINY, out=Y)
        return multiplicative_step(H, W.T @ (M * X / Y), W.T @ M, self.eps)


@dataclass(frozen=True)
class MaskedHALS(_Masked):
    loss: ClassVar[str] = "frobenius"
    gram_entries: ClassVar[int] = 2**22

    def __call__(self, X, W, H, stats=None):
        M = self.mask
        k, n = H.shape
        H = H.copy()
        B = W.T @ (M * X)                                   # b = Wᵀ(M ∘ X), k × n
        floor = 1e-12 * np.maximum((W * W).sum(axis=0), _TINY)
        step = max(1, self.gram_entries // (k * k))
        for lo in range(0, n, step):
            cols = slice(lo, min(n, lo + step))
            Mc = M[:, cols]
            # G[j, l, c] = Σ_i M_ic w_ij w_il: the Gram matrix of W on column c's observed rows
            G = np.stack([(W * W[:, j:j + 1]).T @ Mc for j in range(k)])
            Hc = H[:, cols]
            for j in range(k):
                denom = G[j, j]
                # Where w_j is (nearly) zero on the observed rows of a column, the exact 1-D
                # minimiser is a huge, meaningless step on a flat objective: keep that entry.
                flat = denom <= floor[j]
                grad = B[j, cols] - np.einsum("lc,lc->c", G[j], Hc)
                new = np.maximum(Hc[j] + grad / np.maximum(denom, _TINY), self.eps)
                new[flat] = Hc[j, flat]
                Hc[j] = new
            H[:, cols] = Hc
        return H


@dataclass(frozen=True)
class MaskedANLS(_Masked):
    loss: ClassVar[str] = "frobenius"
    eps: float = 0.0

    def __call__(self, X, W, H, stats=None):
        M = self.mask.astype(bool)
        H_new = np.zeros_like(H)
        patterns, groups = np.unique(M.T, axis=0, return_inverse=True)
        groups = np.ravel(groups)
        for g, observed in enumerate(patterns):
            cols = np.flatnonzero(groups == g)
            Q, R = np.linalg.qr(W[observed])
            D = Q.T @ X[np.ix_(observed, cols)]
            if cols.size == 1:                  # a pattern of its own: Lawson–Hanson
                H_new[:, cols[0]] = nnls(R, D[:, 0])[0]
            else:
                H_new[:, cols] = nnls_block_pivoting(R, D, passive=H[:, cols] > 0)
        return H_new


MASKED_KERNELS = {
    ("mu", "frobenius"): MaskedMultiplicativeFrobenius,
    ("mu", "kl"): MaskedMultiplicativeKL,
    ("hals", "frobenius"): MaskedHALS,
    ("anls", "frobenius"): MaskedANLS,
}
"""(method, loss) -> the masked update that serves it."""
