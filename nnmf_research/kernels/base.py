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
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..checks import NMFInputError
from ..gram import FrobeniusStats, frobenius_stats

__all__ = ["EPS", "OneFactorKernel", "multiplicative_step", "regularized_stats",
           "SKLEARN_ZERO_BELOW", "SKLEARN_PRODUCT_FLOOR"]

EPS = 1e-16
"""Default floor for MU/HALS iterates (Gillis's choice in HALSacc.m)."""

_TINY = np.finfo(np.float64).tiny

SKLEARN_ZERO_BELOW = float(np.finfo(np.float64).eps)
"""scikit-learn's MU sets entries below float64's machine epsilon to exactly 0 after an
update for β ≤ 1 (its H, our W) and β < 1 (its W, our H): ``zero_below`` reproduces it."""

SKLEARN_PRODUCT_FLOOR = float(np.finfo(np.float32).eps)
"""scikit-learn's MU clips WH at float32's epsilon before dividing by it (β < 2)."""


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
            from . import KERNELS  # the registry imports every kernel module

            wanted = kwargs["loss"]
            serving = [k.__name__ for (_, name), k in KERNELS.items() if name == wanted]
            hint = (f"; for loss {wanted!r} use {', '.join(serving)}"
                    if serving and wanted != cls.loss else "; drop the loss= argument")
            own = repr(cls.loss) if isinstance(cls.loss, str) else "β-divergence of its beta="
            raise NMFInputError(
                f"{cls.__name__} decreases the {own} loss; a kernel's loss is a fact "
                f"of its class, not an option (got loss={wanted!r}){hint}"
            )
        return super().__new__(cls)


def regularized_stats(stats: FrobeniusStats, l1: float, l2: float) -> FrobeniusStats:
    """The statistics of min_H ½‖X − WH‖²_F + l1‖H‖₁ + ½ l2‖H‖²_F for H ≥ 0: the same
    problem with (WᵀX − l1, WᵀW + l2 I) (its gradient is (WᵀW + l2 I)H − (WᵀX − l1)), as
    scikit-learn's ``_update_coordinate_descent`` builds them."""
    cross, gram = stats
    if l2:
        gram = gram + l2 * np.eye(gram.shape[0])
    if l1:
        cross = cross - l1
    return FrobeniusStats(cross, gram)


def multiplicative_step(H: np.ndarray, numer: np.ndarray, denom: np.ndarray,
                        eps: float, *, l1: float = 0.0, l2: float = 0.0, gamma: float = 1.0,
                        zero_below: float = 0.0) -> np.ndarray:
    """The multiplicative step max(eps, H ∘ (numer / max(denom + l1 + l2 H, tiny))^gamma) as a
    new array (``denom`` may broadcast, e.g. the KL rule's column sums). l1, l2: the
    penalty l1‖H‖₁ + ½ l2‖H‖²_F, whose gradient's positive part joins the denominator
    (scikit-learn's MU). Entries below ``zero_below`` are then set to 0 (scikit-learn's rule,
    :data:`SKLEARN_ZERO_BELOW`)."""
    if l1 or l2:
        denom = denom + l1 + l2 * H
    if gamma == 1.0:
        H_new = H * numer
        H_new /= np.maximum(denom, _TINY)
    else:
        ratio = numer / np.maximum(denom, _TINY)
        H_new = H * ratio**gamma
    np.maximum(H_new, eps, out=H_new)
    if zero_below:
        H_new[H_new < zero_below] = 0.0
    return H_new
