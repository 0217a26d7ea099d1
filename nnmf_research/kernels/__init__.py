"""Fast NumPy one-factor updates: the standard cases of the alternating driver.

One module per method; the contract, the floor and why: :mod:`.base`.

Updates
-------
MultiplicativeFrobenius
    Lee & Seung (2001), NIPS 13, Theorem 1:  H ← max(eps, H ⊙ (WᵀX) / (WᵀW H)).
MultiplicativeKL
    Lee & Seung (2001), Theorem 2:  H_aj ← max(eps, H_aj Σ_i W_ia X_ij/(WH)_ij / Σ_i W_ia).
MultiplicativeBeta
    Févotte & Idier (2011), Neural Comput. 23(9): the β-divergence MU for any real β,
    H ← H ⊙ (Wᵀ(X ⊙ (WH)^(β−2)) / Wᵀ(WH)^(β−1))^γ(β), γ the monotonicity exponent.
HALS
    Cichocki & Phan (2009), IEICE Trans. E92-A(3): exact minimisation over one row of H
    at a time, H_j ← max(eps, H_j + ((WᵀX)_j − (WᵀW)_j H) / (WᵀW)_jj), with the
    acceleration of Gillis & Glineur (2012): repeat the cheap inner sweeps while their
    total cost stays below 1 + alpha·rho times one sweep (rho = cost of the statistics over
    the cost of a sweep) and the change stays above delta²× the first sweep's change.
KLCoordinateDescent
    Hsieh & Dhillon (2011), KDD: cyclic coordinate descent for KL, one safeguarded Newton
    step per coordinate, all columns at once, on the non-zeros of X (:mod:`.kl_cd`).
ANLS
    Exact non-negative least squares per column, min_{h ≥ 0} ‖W h − x‖², by
    Lawson–Hanson (scipy.optimize.nnls) on the triangular factor of W = QR:
    ‖Wh − x‖² = ‖Rh − Qᵀx‖² + const (k×k problems, and cond(R) = cond(W)).
convex
    The Ding–Li–Jordan (2010) multiplicative rules of semi-, convex and kernel-convex NMF.
masked
    MU, HALS and ANLS fitted to the observed entries of X only (``MASKED_KERNELS``).
"""

from __future__ import annotations

from .anls import ANLS
from .base import EPS, OneFactorKernel
from .hals import HALS
from .kl_cd import KLCoordinateDescent
from .multiplicative import MultiplicativeBeta, MultiplicativeFrobenius, MultiplicativeKL

__all__ = ["EPS", "MultiplicativeFrobenius", "MultiplicativeKL", "MultiplicativeBeta", "HALS",
           "ANLS",
           "KLCoordinateDescent", "KERNELS", "OneFactorKernel"]

KERNELS = {
    ("mu", "frobenius"): MultiplicativeFrobenius,
    ("mu", "kl"): MultiplicativeKL,
    ("cd", "kl"): KLCoordinateDescent,
    ("hals", "frobenius"): HALS,
    ("anls", "frobenius"): ANLS,
}
"""(method, loss) -> the kernel class that serves it. ``mu`` also serves every other
β-divergence by :class:`MultiplicativeBeta` (``MultiplicativeBeta(beta=β)``)."""
