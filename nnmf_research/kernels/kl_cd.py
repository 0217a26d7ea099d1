"""Cyclic coordinate descent for the KL divergence (Hsieh & Dhillon, "Fast coordinate descent
methods with variable selection for non-negative matrix factorization", KDD 2011, §4).

For H with W fixed it decreases D(X‖WH) = Σ_ij X_ij log(X_ij/(WH)_ij) − X_ij + (WH)_ij. The
columns of H are independent given W, and one coordinate s = H_aj enters only through

    f(s) = c_a s − Σ_{i: X_ij>0} X_ij log(y_i + W_ia s) + const,   c_a = Σ_i W_ia,

y = W h_j without the term. f is convex and f′ is concave and increasing, so a Newton step
s ← s − f′(s)/f″(s) from f′(s) < 0 lands at most at the minimiser (the tangent of a concave
f′ lies above it) and decreases f; a step downwards (f′ > 0) may overshoot, so it is
projected on [eps, ∞) and halved until f does not increase (at most ``max_halvings`` times,
else the coordinate is kept). Each call makes ``inner_sweeps`` cyclic passes a = 1..k, every
pass over all columns at once (they are independent), with f′ = c_a − Σ_{i∈S_j} W_ia X_ij/y_i
and f″ = Σ_{i∈S_j} X_ij W_ia²/y_i² summed over the support S_j of column j only: a pass costs
O(nnz·k), like one multiplicative update, for a dense X (its non-zeros) or a scipy.sparse X
(never densified). Every coordinate step is monotone, so the update never increases
D(X‖WH). scikit-learn has KL only by MU (its issue #4811; PR #5295 was not merged).

The signature, the floor eps and why: :mod:`nnmf_research.kernels.base`.

Example
-------
>>> import numpy as np, scipy.sparse as sp
>>> from nnmf_research import losses
>>> rng = np.random.default_rng(0)
>>> X = sp.random(30, 20, density=0.3, random_state=0, format="csr") * 10
>>> W, H = rng.random((30, 3)) + 0.1, rng.random((3, 20)) + 0.1
>>> before = losses.kl(X, W, H)
>>> bool(losses.kl(X, W, KLCoordinateDescent()(X, W, H)) <= before)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from ..sparse_support import product_on_support, support
from .base import _TINY, EPS, OneFactorKernel

__all__ = ["KLCoordinateDescent"]


@dataclass(frozen=True)
class KLCoordinateDescent(OneFactorKernel):
    """Cyclic coordinate descent for D(X‖WH) over H (Hsieh & Dhillon 2011; module docstring).

    Parameters
    ----------
    inner_sweeps : int
        Cyclic passes over the k rows of H per call.
    eps : float
        Floor on the entries of the output.
    max_halvings : int
        Halvings of a downward Newton step before the coordinate is kept as it was.
    """

    loss: ClassVar[str] = "kl"
    sparse: ClassVar[bool] = True
    inner_sweeps: int = 1
    eps: float = EPS
    max_halvings: int = 30

    def __call__(self, X, W, H, stats=None):
        """``stats``: as for :class:`~nnmf_research.kernels.MultiplicativeKL` (WH on the stored
        entries of a sparse X)."""
        if sp.issparse(X) and X.format not in ("csr", "csc"):
            X = X.tocsr()
        rows, cols, x = support(X)
        k, n = H.shape
        y = product_on_support(W, H, rows, cols) if stats is None or not sp.issparse(X) \
            else np.array(stats)
        H = np.array(H, dtype=float, copy=True)
        np.maximum(y, _TINY, out=y)
        colsum = W.sum(axis=0)
        for _ in range(self.inner_sweeps):
            for a in range(k):
                wa = np.ascontiguousarray(W[:, a])[rows]
                q = x / y
                grad = colsum[a] - np.bincount(cols, wa * q, minlength=n)
                curv = np.bincount(cols, wa * wa * q / y, minlength=n)
                h = H[a]
                with np.errstate(divide="ignore", invalid="ignore"):
                    newton = np.where(curv > 0, h - grad / np.where(curv > 0, curv, 1.0),
                                      np.where(grad > 0, self.eps, h))
                step = np.maximum(newton, self.eps) - h
                step = self._safeguard(step, grad, colsum[a], wa, x, y, cols, n)
                if not step.any():
                    continue
                new = np.maximum(h + step, self.eps)   # h + (eps − h) may round to 0
                step = new - h
                H[a] = new
                y += wa * step[cols]
                np.maximum(y, _TINY, out=y)
        return H

    def _safeguard(self, step, grad, c, wa, x, y, cols, n):
        """Halve downward steps (f′ > 0) until f(s + step) ≤ f(s), column by column."""
        down = (step < 0) & (grad > 0)
        for _ in range(self.max_halvings):
            if not down.any():
                return step
            on = down[cols]
            t = np.flatnonzero(on)
            s_t = step[cols[t]]
            with np.errstate(divide="ignore", invalid="ignore"):
                logs = np.log1p(wa[t] * s_t / y[t])
            gain = np.bincount(cols[t], x[t] * logs, minlength=n)
            gain[np.isnan(gain)] = -np.inf    # a step past y = 0 (rounding): halve it
            rise = c * step - gain            # f(s + step) − f(s) per column
            bad = down & (rise > 0)
            if not bad.any():
                return step
            step = np.where(bad, 0.5 * step, step)
            down = bad
        return np.where(down, 0.0, step)
