"""Fast NumPy one-factor updates: the standard cases of the alternating driver.

Every update has the one signature shared with the CVXPY models (README, "Layout"):

    update(X, W, H, stats=None) -> H_new

It returns a new H (k×n) for fixed W (m×k), never modifying its inputs. The W-update is the
same function on the transposed problem, ``update(Xᵀ, Hᵀ, Wᵀ).T`` (one update; the other by
transposition). Frobenius updates read only ``stats = (WᵀX, WᵀW)`` (:mod:`nnmf_research.gram`) and compute them when the
driver does not pass them. Each update carries ``loss``, the objective it decreases — a fact of
its class, not a constructor option (``HALS(loss="kl")`` is refused: HALS decreases the
Frobenius loss whatever it is called) — and ``eps``, the floor below which no entry of its
output falls.

Why a floor: entries that decay towards 0 under multiplicative updates become subnormal
floats, which were measured to slow every later MU iteration about 8× (README, "Why the
floor in MU"; scikit-learn's ``mu`` has this problem). Flooring at ``eps > 0`` also keeps the
monotonicity theorems: each MU/HALS step minimises a separable majoriser (MU) or an exact
1-D quadratic (HALS) over the box [eps, ∞) that contains the current iterate, so the loss
never increases (Gillis & Glineur 2012, Neural Comput. 24(4), §2). Initial factors must
also be ≥ eps; the driver floors them.

Updates
-------
MultiplicativeFrobenius
    Lee & Seung (2001), NIPS 13, Theorem 1:  H ← max(eps, H ⊙ (WᵀX) / (WᵀW H)).
MultiplicativeKL
    Lee & Seung (2001), Theorem 2:  H_aj ← max(eps, H_aj Σ_i W_ia X_ij/(WH)_ij / Σ_i W_ia).
HALS
    Cichocki & Phan (2009), IEICE Trans. E92-A(3): exact minimisation over one row of H
    at a time, H_j ← max(eps, H_j + ((WᵀX)_j − (WᵀW)_j H) / (WᵀW)_jj), with the
    acceleration of Gillis & Glineur (2012): repeat the cheap inner sweeps while their
    total cost stays below 1 + alpha·rho times one sweep (rho = cost of the statistics over
    the cost of a sweep) and the change stays above delta²× the first sweep's change.
ANLS
    Exact non-negative least squares per column, min_{h ≥ 0} ‖W h − x‖², by
    Lawson–Hanson (scipy.optimize.nnls) on the triangular factor of W = QR:
    ‖Wh − x‖² = ‖Rh − Qᵀx‖² + const (k×k problems, and cond(R) = cond(W)).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.optimize import nnls

from .checks import NMFInputError
from .gram import FrobeniusStats, frobenius_stats

__all__ = [
    "EPS",
    "MultiplicativeFrobenius",
    "MultiplicativeKL",
    "HALS",
    "ANLS",
    "KERNELS",
    "OneFactorKernel",
]

EPS = 1e-16
"""Default floor for MU/HALS iterates (Gillis's choice in HALSacc.m)."""

_TINY = np.finfo(np.float64).tiny


def _stats(X, W, stats) -> FrobeniusStats:
    return frobenius_stats(X, W) if stats is None else stats


class OneFactorKernel:
    """Base of the NumPy kernels: ``loss`` is the objective the class's update decreases.

    The loss is a class attribute, not an option: no argument changes which objective an
    update decreases, so ``loss=`` is refused with an
    :class:`~nnmf_research.checks.NMFInputError` naming the kernels of the loss asked for.
    """

    loss: ClassVar[str]
    factor_shape: ClassVar[None] = None

    def __new__(cls, *args, **kwargs):
        if "loss" in kwargs:
            wanted = kwargs["loss"]
            serving = [k.__name__ for (_, name), k in KERNELS.items() if name == wanted]
            hint = (f"; for loss {wanted!r} use {', '.join(serving)}"
                    if serving and wanted != cls.loss else "; drop the loss= argument")
            raise NMFInputError(
                f"{cls.__name__} decreases the {cls.loss!r} loss; a kernel's loss is a fact "
                f"of its class, not an option (got loss={wanted!r}){hint}"
            )
        return super().__new__(cls)


@dataclass(frozen=True)
class MultiplicativeFrobenius(OneFactorKernel):
    """Lee–Seung multiplicative update for ‖X − WH‖²_F (see module docstring)."""

    loss: ClassVar[str] = "frobenius"
    eps: float = EPS

    def __call__(self, X, W, H, stats=None):
        cross, gram = _stats(X, W, stats)
        denom = gram @ H
        np.maximum(denom, _TINY, out=denom)
        H_new = H * cross
        H_new /= denom
        np.maximum(H_new, self.eps, out=H_new)
        return H_new


@dataclass(frozen=True)
class MultiplicativeKL(OneFactorKernel):
    """Lee–Seung multiplicative update for the generalized KL divergence D(X‖WH)."""

    loss: ClassVar[str] = "kl"
    eps: float = EPS

    def __call__(self, X, W, H, stats=None):
        Y = W @ H
        np.maximum(Y, _TINY, out=Y)
        ratio = np.divide(X, Y, out=Y)  # reuse the buffer: Y is not needed after this
        numer = W.T @ ratio
        denom = np.maximum(W.sum(axis=0), _TINY)[:, None]
        H_new = H * numer
        H_new /= denom
        np.maximum(H_new, self.eps, out=H_new)
        return H_new


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
    """

    alpha: float = 0.5
    delta: float = 0.1
    eps: float = EPS
    row_cost: float = 0.0
    loss: ClassVar[str] = "frobenius"

    def max_inner_sweeps(self, m: int, n: int, k: int) -> int:
        """floor(1 + alpha·rho), rho = 1 + (cost of WᵀX and WᵀW) / (cost of one sweep)."""
        rho = 1.0 + (m * n * k + m * k * k) / (n * k * (k + 1) + self.row_cost * k)
        return max(1, int(np.floor(1.0 + self.alpha * rho)))

    def __call__(self, X, W, H, stats=None):
        cross, gram = _stats(X, W, stats)
        k, n = H.shape
        diag = np.maximum(np.diag(gram), _TINY)[:, None]
        # Scale row j by 1/gram_jj and drop the diagonal: the exact minimiser over row j is
        # then max(eps, C_j − G_j @ H), three NumPy calls per row.
        C = cross / diag
        G = gram / diag
        np.fill_diagonal(G, 0.0)
        H = H.copy()
        sweeps = self.max_inner_sweeps(X.shape[0], n, k)
        first_change = None
        row = np.empty(n)
        for _ in range(sweeps):
            before = H.copy() if sweeps > 1 else None
            for j in range(k):
                np.dot(G[j], H, out=row)
                np.subtract(C[j], row, out=row)
                np.maximum(row, self.eps, out=H[j])
            if before is None:
                break
            before -= H
            change = float(np.vdot(before, before))
            if first_change is None:
                first_change = change
                if change == 0.0:
                    break
            elif change <= self.delta**2 * first_change:
                break
        return H


@dataclass(frozen=True)
class ANLS(OneFactorKernel):
    """Exact NNLS for every column of H (alternating non-negative least squares)."""

    loss: ClassVar[str] = "frobenius"
    eps: float = 0.0

    def __call__(self, X, W, H, stats=None):
        # QR, not the Gram statistics: with W = QR, ‖Wh − x‖² = ‖Rh − Qᵀx‖² + const exactly,
        # and cond(R) = cond(W). Going through WᵀW squares the condition number; on Swimmer
        # (rank-deficient factors, cond ~ 1e17) that made the exact step raise the loss.
        Q, R = np.linalg.qr(W)
        D = Q.T @ X
        H_new = np.empty_like(H)
        for j in range(H.shape[1]):
            H_new[:, j] = nnls(R, D[:, j])[0]
        return H_new


KERNELS = {
    ("mu", "frobenius"): MultiplicativeFrobenius,
    ("mu", "kl"): MultiplicativeKL,
    ("hals", "frobenius"): HALS,
    ("anls", "frobenius"): ANLS,
}
"""(method, loss) -> the kernel class that serves it."""
