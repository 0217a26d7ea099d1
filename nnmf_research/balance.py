"""Exact power-of-two balancing: D₁ X D₂ with every non-zero row and column maximum in [1, 2).

The nonnegative rank, the rank, the support, τ₊^sos and the restricted nonnegative rank are
all invariant under X ↦ D₁XD₂ for positive diagonal D₁, D₂. Scaling by powers of two changes
only the exponents of float64 values, so the balanced copy is *exactly* D₁XD₂ (checked, not
assumed: an entry that would leave the normal float range makes the copy inexact, and
:class:`Balanced` says so). Methods whose numerics depend on the scale (SVD-based plane
coordinates, absolute tolerances, interior-point solvers) run on the balanced copy, and a
factorization of the copy, W_b H_b = D₁XD₂, maps back exactly to W = D₁⁻¹W_b, H = H_bD₂⁻¹.

Alternating row and column max-normalization by the exponents of the maxima converges to a
fixed point in a few sweeps (each sweep can only shrink the spread of the exponents).

Example
-------
>>> import numpy as np
>>> b = balance(np.array([[1e-10, 0.0], [3e-10, 4e10]]))
>>> np.round(b.X.max(axis=1), 3).tolist(), b.exact
([1.718, 1.164], True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Balanced", "balance", "max_exponents"]


@dataclass(frozen=True)
class Balanced:
    """X_b = diag(2^row_exp) X diag(2^col_exp); ``exact`` when that holds in float64."""

    X: np.ndarray
    row_exp: np.ndarray
    col_exp: np.ndarray
    exact: bool

    def unscale(self, W: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A factorization W_b H_b of the copy as one of X: (D₁⁻¹W_b, H_bD₂⁻¹)."""
        return (np.ldexp(W, -self.row_exp[:, None]), np.ldexp(H, -self.col_exp[None, :]))

    def scale(self, W: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A factorization W H of X as one of the copy: (D₁W, HD₂)."""
        return (np.ldexp(W, self.row_exp[:, None]), np.ldexp(H, self.col_exp[None, :]))


def max_exponents(X: np.ndarray, axis: int) -> np.ndarray:
    """e with 2^e ≤ max of each row (axis=1) or column (axis=0) < 2^(e+1); 0 where all zero."""
    top = X.max(axis=axis)
    _, e = np.frexp(top)
    return np.where(top > 0, e.astype(np.int64) - 1, 0)


def balance(X, max_sweeps: int = 64) -> Balanced:
    """The power-of-two balanced copy of a non-negative matrix (module doc)."""
    X = np.asarray(X, dtype=float)
    m, n = X.shape
    a = np.zeros(m, dtype=np.int64)
    b = np.zeros(n, dtype=np.int64)
    if X.size == 0 or not X.any():
        return Balanced(X.copy(), a, b, True)
    _, E = np.frexp(X)                      # X = mantissa·2^E, mantissa ∈ [½, 1)
    E = np.where(X > 0, E.astype(np.int64) - 1, np.iinfo(np.int64).min // 4)
    for _ in range(max_sweeps):
        ra = -(E + b[None, :]).max(axis=1)
        ra = np.where((X > 0).any(axis=1), ra, 0)
        cb = -(E + ra[:, None]).max(axis=0)
        cb = np.where((X > 0).any(axis=0), cb, 0)
        if np.array_equal(ra, a) and np.array_equal(cb, b):
            break
        a, b = ra, cb
    shift = a[:, None] + b[None, :]
    # ldexp takes C ints: clip absurd shifts (they only occur with an inexact copy anyway)
    Xb = np.ldexp(X, np.clip(shift, -4000, 4000).astype(np.int32))
    back = np.ldexp(Xb, np.clip(-shift, -4000, 4000).astype(np.int32))
    exact = bool(np.array_equal(back, X) and np.array_equal(Xb > 0, X > 0)
                 and np.isfinite(Xb).all())
    return Balanced(Xb, a, b, exact)
