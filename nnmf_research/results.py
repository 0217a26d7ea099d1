"""Frozen result records. Every stop says why.

``Factorization`` is what every approximate-NMF driver returns (W, H, the loss computed
directly by :mod:`nnmf_research.losses`, iteration count, stop reason in words, and the loss
history with its wall-clock times). ``RankBound`` is what every nonnegative-rank bound returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .status import Kind, Status, kind_of

__all__ = ["Factorization", "RankBound"]


@dataclass(frozen=True)
class Factorization:
    """X ≈ W @ H with W (m×k) ≥ 0 and H (k×n) ≥ 0.

    Attributes
    ----------
    W, H : ndarray
        The factors (toolkit orientation: columns of X are samples).
    loss : float
        Final value of ``loss_name`` computed directly from X, W, H (not from the history).
    loss_name : str
        ``"frobenius"`` (‖X − WH‖²_F) or ``"kl"`` (generalized KL divergence).
    n_iter : int
        Number of complete alternating iterations (one H-step and one W-step each).
    stop_reason : str
        Why the loop stopped, in words ("tol reached after 212 iterations ...").
    history : tuple of float
        Loss after each iteration; ``history[0]`` is the loss of the initial factors.
        Frobenius values above 1e-4·‖X‖²_F come from the Gram identity and are accurate
        to about 1e-13·‖X‖²_F; smaller ones, and ``loss``, are computed directly.
    times : tuple of float
        Seconds since the start at which each history entry was recorded.
    relative_error : float
        ‖X − WH‖_F / ‖X‖_F.
    """

    W: np.ndarray
    H: np.ndarray
    loss: float
    loss_name: str
    n_iter: int
    stop_reason: str
    history: tuple[float, ...] = ()
    times: tuple[float, ...] = ()
    relative_error: float = float("nan")
    seconds: float = 0.0

    @property
    def k(self) -> int:
        return int(self.W.shape[1])

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (no factor matrices)."""
        return {
            "shape": [int(self.W.shape[0]), int(self.H.shape[1])],
            "k": self.k,
            "loss_name": self.loss_name,
            "loss": float(self.loss),
            "relative_error": float(self.relative_error),
            "n_iter": int(self.n_iter),
            "stop_reason": self.stop_reason,
            "seconds": float(self.seconds),
        }


@dataclass(frozen=True)
class RankBound:
    """A bound on the nonnegative rank rank₊(X).

    ``kind`` is ``"lower"`` or ``"upper"``; ``value`` is the raw number a method computed and
    ``bound`` the integer it proves (lower bounds rounded up only after a safety margin).
    ``certified`` says whether ``certificate`` was re-checked exactly.
    """

    method: str
    kind: str
    value: float
    bound: int | None
    certified: bool = False
    seconds: float = 0.0
    status: str = "ok"
    certificate: Any = field(default=None, repr=False)

    @classmethod
    def no_bound(cls, method: str, kind: str, status_kind: Kind, detail: str,
                 seconds: float = 0.0, certificate: Any = None) -> "RankBound":
        """The one "no bound" record: value NaN, bound None, uncertified, and a
        :class:`~nnmf_research.status.Status` of kind ``status_kind`` whose text is ``detail``
        (why there is no bound: not needed, skipped, a time limit, a failure)."""
        return cls(method, kind, float("nan"), None, False, seconds,
                   Status(status_kind, detail), certificate)

    @property
    def status_kind(self) -> Kind:
        """What ``status`` says, as data (``Kind.OK`` for a plain-text status)."""
        return kind_of(self.status)

    def summary(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "kind": self.kind,
            "value": float(self.value),
            "bound": None if self.bound is None else int(self.bound),
            "certified": bool(self.certified),
            "seconds": float(self.seconds),
            "status": self.status,
        }
