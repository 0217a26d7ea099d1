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

__all__ = ["EPS", "OneFactorKernel"]

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
            from . import KERNELS  # the registry imports every kernel module

            wanted = kwargs["loss"]
            serving = [k.__name__ for (_, name), k in KERNELS.items() if name == wanted]
            hint = (f"; for loss {wanted!r} use {', '.join(serving)}"
                    if serving and wanted != cls.loss else "; drop the loss= argument")
            raise NMFInputError(
                f"{cls.__name__} decreases the {cls.loss!r} loss; a kernel's loss is a fact "
                f"of its class, not an option (got loss={wanted!r}){hint}"
            )
        return super().__new__(cls)
