"""Fast NumPy block updates of semi-NMF and convex NMF (Ding, Li & Jordan, IEEE TPAMI 2010).

Notation as in the paper: X (p×n, any sign, columns are samples), F (p×k) free, G (n×k) ≥ 0,
W (n×k) ≥ 0, K = XᵀX (n×n, or any symmetric PSD kernel), and A⁺ = (|A| + A)/2,
A⁻ = (|A| − A)/2 elementwise, so A = A⁺ − A⁻ with both parts ≥ 0.

Semi-NMF      minimize ‖X − F Gᵀ‖²_F      subject to G ≥ 0 (F free)
Convex NMF    minimize ‖X − X W Gᵀ‖²_F    subject to W ≥ 0, G ≥ 0
              = Tr K − 2 Tr(Gᵀ K W) + Tr(Wᵀ K W GᵀG)         (the kernel form, K alone)

Updates (Ding, Li & Jordan 2010, §3 eq. (7)-(8) for semi-NMF, §4 eq. (14)-(15) for convex NMF):

    F ← X G (GᵀG)⁻¹                                             (exact, least squares)
    G ← G ∘ sqrt( [(XᵀF)⁺ + G (FᵀF)⁻] / [(XᵀF)⁻ + G (FᵀF)⁺] )    (semi-NMF G)
    G ← G ∘ sqrt( [(KW)⁺ + G WᵀK⁻W] / [(KW)⁻ + G WᵀK⁺W] )       (convex G)
    W ← W ∘ sqrt( [K⁺G + K⁻W GᵀG] / [K⁻G + K⁺W GᵀG] )           (convex W)

The paper's theorems (2 and 4): none of these increases its objective. Each multiplicative
step minimises an auxiliary function that is a sum of one-variable convex terms (a G², b/G-free
quadratics and −c·log G), so its minimiser over the box [eps, ∞) is max(eps, the rule); the
floor ``eps`` (1e-16, as in :mod:`nnmf_research.kernels`, to keep iterates out of the subnormal
range) therefore keeps the theorems. The convex G-step is the semi-NMF G-step with F = XW
(XᵀF = KW, FᵀF = WᵀKW), so one function serves both. Every function returns a new array and
modifies none of its inputs (the block-coordinate contract); an update keeps its block's memory
layout, so a block held column-major (the transposed view of a k×n array, as
:mod:`nnmf_research.convex` holds them when its products run through X) stays so.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.standard_normal((4, 10)); G = rng.random((10, 2)) + 0.1
>>> F = semi_F(X, G)
>>> before = semi_loss(X, F, G)
>>> bool(semi_loss(X, F, mu_G(X.T @ F, F.T @ F, G)) <= before)
True
"""

from __future__ import annotations

import numpy as np

from .base import EPS

__all__ = [
    "pos", "neg", "semi_F", "mu_G", "mu_W", "mu_W_products", "mu_W_nonnegative", "semi_loss",
    "kernel_loss", "gram_factor", "inner",
]

_TINY = np.finfo(np.float64).tiny


def pos(A: np.ndarray) -> np.ndarray:
    """A⁺ = (|A| + A)/2."""
    return (np.abs(A) + A) / 2.0


def neg(A: np.ndarray) -> np.ndarray:
    """A⁻ = (|A| − A)/2 (≥ 0; A = A⁺ − A⁻)."""
    return (np.abs(A) - A) / 2.0


def semi_F(X: np.ndarray, G: np.ndarray) -> np.ndarray:
    """F = X G (GᵀG)⁻¹, the exact minimiser of ‖X − FGᵀ‖² over F (least squares; the
    minimum-norm solution when G is rank deficient)."""
    return np.linalg.lstsq(G, X.T, rcond=None)[0].T


def _column_major(A: np.ndarray) -> bool:
    return A.flags.f_contiguous and not A.flags.c_contiguous


def _times(A: np.ndarray, M: np.ndarray) -> np.ndarray:
    """A @ M (A n×k, M k×k) stored in A's layout: for a column-major A (the transposed view
    of a k×n array) as (Mᵀ Aᵀ)ᵀ, so that the elementwise steps after it run over arrays of
    one layout (mixing C- and Fortran-ordered operands makes NumPy walk one of them by
    strides). The same product; only BLAS's summation order may differ."""
    return (M.T @ A.T).T if _column_major(A) else A @ M


def inner(A: np.ndarray, B: np.ndarray) -> float:
    """⟨A, B⟩ = Σᵢⱼ AᵢⱼBᵢⱼ, without copying two column-major arrays (``np.vdot`` ravels in C
    order, a copy for them)."""
    if _column_major(A) and _column_major(B):
        return float(np.vdot(A.T, B.T))
    return float(np.vdot(A, B))


def _ratio_step(B: np.ndarray, num: np.ndarray, den: np.ndarray, eps: float) -> np.ndarray:
    """max(eps, B ∘ sqrt(num / max(den, tiny))), computed in ``den``, which must be a fresh
    array the caller no longer needs (B and num are not modified). Each max is applied only
    where the array's minimum says it changes something: a min is one fast reduction, while
    NumPy's max against a scalar was measured at about twice a divide (12 vs 7 µs on a
    10 × 1797 array), and the numbers are the same either way (NaN included: a NaN minimum
    compares False and max would propagate it)."""
    if den.min() < _TINY:
        np.maximum(den, _TINY, out=den)
    out = np.divide(num, den, out=den)
    np.sqrt(out, out=out)
    np.multiply(B, out, out=out)
    if out.min() < eps:
        np.maximum(out, eps, out=out)
    return out


def mu_G(cross: np.ndarray, gram: np.ndarray, G: np.ndarray, eps: float = EPS, *,
         nonnegative: bool = False) -> np.ndarray:
    """Ding–Li–Jordan G-step from the statistics ``cross`` = XᵀF (n×k), ``gram`` = FᵀF (k×k).

    G ← max(eps, G ∘ sqrt([cross⁺ + G gram⁻] / [cross⁻ + G gram⁺])). For convex NMF pass
    cross = KW and gram = WᵀKW. ``nonnegative=True`` states that cross ≥ 0 and gram ≥ 0
    (convex NMF with K ≥ 0, e.g. X ≥ 0): then A⁺ = A and A⁻ = 0 exactly, and the rule reads
    G ∘ sqrt(cross / (G gram)), the same numbers without the splits.
    """
    if nonnegative:
        return _ratio_step(G, cross, _times(G, gram), eps)
    num = pos(cross) + _times(G, neg(gram))
    den = neg(cross) + _times(G, pos(gram))
    return _ratio_step(G, num, den, eps)


def mu_W_products(W: np.ndarray, KpG: np.ndarray, KpW: np.ndarray, GtG: np.ndarray,
                  KmG: np.ndarray | None = None, KmW: np.ndarray | None = None,
                  eps: float = EPS) -> np.ndarray:
    """The convex-NMF W-step from its products: K⁺G, K⁺W, GᵀG and (for a kernel with
    negative entries) K⁻G, K⁻W, all n×k except GᵀG (k×k).

    W ← max(eps, W ∘ sqrt([K⁺G + K⁻W GᵀG] / [K⁻G + K⁺W GᵀG])); ``KmG = KmW = None`` means
    K⁻ = 0 (K ≥ 0): W ∘ sqrt(KG / (KW GᵀG)). The caller chooses how to form the products
    (through X, or with K: :mod:`nnmf_research.convex`), so that each is computed once.
    """
    if (KmG is None) != (KmW is None):
        raise ValueError("pass both K⁻G and K⁻W, or neither (K ≥ 0)")
    if KmG is None:
        return _ratio_step(W, KpG, _times(KpW, GtG), eps)
    return _ratio_step(W, KpG + _times(KmW, GtG), KmG + _times(KpW, GtG), eps)


def mu_W(Kp: np.ndarray, Km: np.ndarray, W: np.ndarray, G: np.ndarray,
         eps: float = EPS) -> np.ndarray:
    """Convex-NMF W-step with K split as K = Kp − Km (Kp = K⁺, Km = K⁻, precomputed once).

    W ← max(eps, W ∘ sqrt([K⁺G + K⁻W GᵀG] / [K⁻G + K⁺W GᵀG])) (:func:`mu_W_products`).
    """
    return mu_W_products(W, Kp @ G, Kp @ W, G.T @ G, Km @ G, Km @ W, eps)


def mu_W_nonnegative(X: np.ndarray, W: np.ndarray, G: np.ndarray,
                     eps: float = EPS, XW: np.ndarray | None = None) -> np.ndarray:
    """The convex-NMF W-step for K = XᵀX with X ≥ 0, never forming K.

    X ≥ 0 makes K ≥ 0, so K⁺ = K and K⁻ = 0 and :func:`mu_W` reads
    W ← max(eps, W ∘ sqrt(XᵀXG / (XᵀXW) GᵀG)), in O(pnk): four products of X with an
    n×k or p×k matrix (``XW`` = X @ W when the caller already has it, then three).
    """
    XW = X @ W if XW is None else XW
    return mu_W_products(W, X.T @ (X @ G), X.T @ XW, G.T @ G, eps=eps)


def semi_loss(X: np.ndarray, F: np.ndarray, G: np.ndarray) -> float:
    """‖X − F Gᵀ‖²_F, computed directly."""
    R = X - F @ G.T
    return float(np.vdot(R, R))


def kernel_loss(K: np.ndarray, W: np.ndarray, G: np.ndarray, trace_K: float | None = None) -> float:
    """Tr K − 2 Tr(Gᵀ K W) + Tr(Wᵀ K W GᵀG) = ‖φ(X) − φ(X) W Gᵀ‖², clipped at 0.

    With K = XᵀX this is ‖X − XWGᵀ‖²_F, to rounding of order 1e-13·Tr K.
    """
    trace_K = float(np.trace(K)) if trace_K is None else trace_K
    KW = K @ W
    value = trace_K - 2.0 * float(np.vdot(KW, G)) + float(np.vdot(W.T @ KW, G.T @ G))
    return max(value, 0.0)


def gram_factor(K: np.ndarray) -> np.ndarray:
    """Lᵀ (q×n) with K = L Lᵀ, from the eigendecomposition of a symmetric PSD K, keeping the
    q eigenvalues above n·u·λ_max (u = machine epsilon): the constant of the Gram-form
    W-model, q = rank K (≤ min(p, n) when K = XᵀX)."""
    lam, V = np.linalg.eigh(0.5 * (K + K.T))
    keep = lam > K.shape[0] * np.finfo(float).eps * max(float(lam[-1]), 0.0)
    if not keep.any():
        keep[-1] = True
    return np.sqrt(np.clip(lam[keep], 0.0, None))[:, None] * V[:, keep].T
