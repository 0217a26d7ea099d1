"""HALS: exact block coordinate descent over the rows of H.

Cichocki & Phan (2009), IEICE Trans. E92-A(3): exact minimisation over one row of H at a time,
H_j ← max(eps, H_j + ((WᵀX)_j − (WᵀW)_j H) / (WᵀW)_jj), with the acceleration of Gillis &
Glineur (2012, Neural Comput. 24(4)): repeat the cheap inner sweeps while their total cost
stays below 1 + alpha·rho times one sweep (rho = cost of the statistics over the cost of a
sweep) and the change stays above delta²× the first sweep's change.

Regularization (``l1``, ``l2``): min_H ½‖X − WH‖²_F + l1‖H‖₁ + ½ l2‖H‖²_F is the same update
on (WᵀX − l1, WᵀW + l2 I) (:func:`~nnmf_research.kernels.base.regularized_stats`), as
scikit-learn's ``cd`` solver does with its scaled ``alpha_*``/``l1_ratio``. A scipy.sparse X
is read only through WᵀX (a sparse-dense product): memory O(nnz + (m + n)k).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..checks import check_positive_int
from .base import _TINY, EPS, OneFactorKernel, _stats, regularized_stats

__all__ = ["HALS", "inner_sweeps"]


@dataclass(frozen=True)
class HALS(OneFactorKernel):
    """Accelerated HALS (exact block coordinate descent over the rows of H).

    Parameters
    ----------
    alpha, delta : float
        Gillis & Glineur (2012) acceleration: at most ``floor(1 + alpha·rho)`` inner sweeps,
        stopping early once a sweep changes H by less than ``delta²`` times the first.
        ``alpha=0`` gives plain HALS (one sweep per update, as scikit-learn's ``cd``).
    eps : float
        Floor on the entries of the output.
    row_cost : float
        Extra cost of one row update in multiply-add units, added to the flop model of a
        sweep (n·k·(k+1)) when computing rho. 0 is Gillis & Glineur's model; NumPy's
        per-call overhead (~1 µs a call, three calls a row) is roughly 1e4, which gives
        fewer inner sweeps on small problems. On the benchmark data (random 1000×500,
        digits, faces) it gave no consistent gain, so the default stays 0.
    l1, l2 : float
        The penalty l1‖H‖₁ + ½ l2‖H‖²_F (module docstring; the data term is ½‖X − WH‖²_F).
    max_sweeps : int or None
        A cap on the inner sweeps (None or 0: Gillis & Glineur's floor(1 + alpha·rho) alone).
        For a wide factor the W-step's rho is large (digits' W-step allows 67 sweeps).
    """

    alpha: float = 0.5
    delta: float = 0.1
    eps: float = EPS
    row_cost: float = 0.0
    l1: float = 0.0
    l2: float = 0.0
    max_sweeps: int | None = None
    loss: ClassVar[str] = "frobenius"
    sparse: ClassVar[bool] = True

    def __post_init__(self):
        if self.max_sweeps is not None:
            check_positive_int(self.max_sweeps, "max_sweeps", low=0)

    def max_inner_sweeps(self, m: int, n: int, k: int) -> int:
        """floor(1 + alpha·rho), rho = 1 + (cost of WᵀX and WᵀW) / (cost of one sweep)."""
        rho = 1.0 + (m * n * k + m * k * k) / (n * k * (k + 1) + self.row_cost * k)
        sweeps = max(1, math.floor(1.0 + self.alpha * rho))
        return min(sweeps, self.max_sweeps) if self.max_sweeps else sweeps

    def __call__(self, X, W, H, stats=None):
        cross, gram = _stats(X, W, stats)
        if self.l1 or self.l2:
            cross, gram = regularized_stats((cross, gram), self.l1, self.l2)
        cross = np.asarray(cross)
        k, n = H.shape
        # floors in the factors' precision, so float32 input stays float32 throughout
        diag = np.maximum(gram.diagonal(), np.finfo(H.dtype).tiny if H.dtype == np.float32
                          else _TINY)[:, None]
        # Scale row j by 1/gram_jj and drop the diagonal: the exact minimiser over row j is
        # then max(eps, C_j − G_j @ H), three NumPy calls per row. (Small problems, such as
        # the exact-NMF searches' restarts, spend most of a call in NumPy's per-call
        # overhead, so the set-up avoids the slower helpers np.diag and np.fill_diagonal.)
        C = cross / diag
        G = gram / diag
        G.flat[::k + 1] = 0.0
        row = np.empty(n, dtype=H.dtype)

        def sweep(H):
            for j in range(k):
                np.dot(G[j], H, out=row)
                np.subtract(C[j], row, out=row)
                np.maximum(row, self.eps, out=H[j])

        return inner_sweeps(sweep, H.copy(), self.max_inner_sweeps(X.shape[0], n, k),
                            self.delta)


def inner_sweeps(sweep, H: np.ndarray, sweeps: int, delta: float) -> np.ndarray:
    """Gillis & Glineur's (2012) inner loop: ``sweep(H)`` (one pass over the rows of H, in
    place) at most ``sweeps`` times, stopping once a pass changes H by at most ``delta²``
    times the first pass's change (squared Frobenius norms); returns H."""
    first_change = None
    for _ in range(sweeps):
        before = H.copy() if sweeps > 1 else None
        sweep(H)
        if before is None:
            break
        before -= H
        change = float(np.vdot(before, before))
        if first_change is None:
            first_change = change
            if change == 0.0:
                break
        elif change <= delta**2 * first_change:
            break
    return H
