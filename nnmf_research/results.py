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

__all__ = ["Factorization", "RankBound", "fitted_attributes"]


def _loop_summary(fit) -> dict[str, Any]:
    """The JSON-ready fields every record of a block-coordinate run shares (loss, error,
    iterations, why it stopped, time)."""
    return {"loss_name": fit.loss_name, "loss": float(fit.loss),
            "relative_error": float(fit.relative_error), "n_iter": int(fit.n_iter),
            "stop_reason": fit.stop_reason, "seconds": float(fit.seconds)}


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
        ``"frobenius"`` (‖X − WH‖²_F), ``"kl"`` (generalized KL divergence),
        ``"itakura-saito"`` or ``"beta=<β>"`` (β-divergences, ``losses.beta_divergence``).
    n_iter : int
        Number of complete alternating iterations (one H-step and one W-step each).
    stop_reason : str
        Why the loop stopped, in words ("tol reached after 212 iterations ...").
    history : tuple of float
        Loss after each evaluated iteration (every one, or every ``check_every``-th:
        ``history_iterations``); ``history[0]`` is the loss of the initial factors. With
        regularization (``factorize``'s alpha_W, alpha_H) it is the objective the updates
        decrease, loss + penalty (in the loss's scale), while ``loss`` is the data term.
        Frobenius values above 1e-4·‖X‖²_F come from the Gram identity and are accurate
        to about 1e-13·‖X‖²_F; smaller ones, and ``loss``, are computed directly.
    times : tuple of float
        Seconds since the start at which each history entry was recorded.
    relative_error : float
        ‖X − WH‖_F / ‖X‖_F.
    history_iterations : tuple of int
        The iteration after which each history entry was taken: 0, 1, 2, … when the loss is
        evaluated every iteration, 0, c, 2c, …, n_iter with ``check_every = c``; empty when
        the record does not say (then history[t] is after iteration t).
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
    history_iterations: tuple[int, ...] = ()

    @property
    def k(self) -> int:
        return int(self.W.shape[1])

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (no factor matrices)."""
        return {"shape": [int(self.W.shape[0]), int(self.H.shape[1])], "k": self.k,
                **_loop_summary(self)}


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

    @classmethod
    def zero_matrix(cls, method: str, kind: str) -> "RankBound":
        """rank₊(0) = 0, with nothing to compute: a certified bound 0 for any method."""
        return cls(method, kind, 0.0, 0, True, 0.0, Status(Kind.OK, "zero matrix: rank₊ = 0"))

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


__all__ += ["TensorFactorization"]


@dataclass(frozen=True)
class TensorFactorization:
    """T ≈ Σ_j a_j⁽¹⁾ ⊗ … ⊗ a_j⁽ⁿ⁾ with factor matrices A_r = [a_1⁽ʳ⁾ … a_k⁽ʳ⁾] ≥ 0 (I_r×k).

    The non-negative CP / PARAFAC model of Shashua & Hazan (ICML 2005); n = 2 is NMF with
    T ≈ A₁A₂ᵀ. ``loss`` and ``relative_error`` are computed directly from T and the factors,
    not from the history.

    Attributes
    ----------
    factors : tuple of ndarray
        (A₁, …, Aₙ), A_r of shape (I_r, k), all entries ≥ 0.
    loss : float
        Final ``loss_name``: ‖T − [[A₁, …, Aₙ]]‖²_F (``"frobenius"``, no ½) or the
        generalized KL divergence (``"kl"``).
    loss_name, method : str
    n_iter : int
        Complete sweeps (each updates every mode once, in the order 1, …, n).
    stop_reason : str
        Why the loop stopped, in words.
    history, times : tuple of float
        Loss after each evaluated sweep (``history[0]`` at the initial factors) and seconds
        since start.
    relative_error : float
        ‖T − [[A₁, …, Aₙ]]‖_F / ‖T‖_F.
    history_iterations : tuple of int
        The sweep after which each history entry was taken (0, 1, 2, … unless ``check_every``).
    """

    factors: tuple[np.ndarray, ...]
    loss: float
    loss_name: str
    method: str
    n_iter: int
    stop_reason: str
    history: tuple[float, ...] = ()
    times: tuple[float, ...] = ()
    relative_error: float = float("nan")
    seconds: float = 0.0
    history_iterations: tuple[int, ...] = ()

    @property
    def k(self) -> int:
        return int(self.factors[0].shape[1])

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(A.shape[0]) for A in self.factors)

    def to_tensor(self) -> np.ndarray:
        """The full reconstruction Σ_j a_j⁽¹⁾ ⊗ … ⊗ a_j⁽ⁿ⁾ (an array of ``shape``)."""
        out = self.factors[0]
        for A in self.factors[1:]:
            out = out[..., None, :] * A
        return out.sum(axis=-1)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (no factor matrices)."""
        return {"shape": list(self.shape), "k": self.k, "method": self.method,
                **_loop_summary(self)}


@dataclass(frozen=True)
class ConvexFactorization:
    """Semi-NMF X ≈ F Gᵀ (F free, G ≥ 0), or convex NMF X ≈ X W Gᵀ (W ≥ 0, G ≥ 0, F = XW).

    Orientation of Ding, Li & Jordan (2010): X is p×n with columns as samples, F is p×k,
    G and W are n×k (row i of G holds the cluster memberships of sample i).

    Attributes
    ----------
    F : ndarray or None
        The basis (p×k); None for kernel convex NMF, where φ(X) W has no explicit form.
    G : ndarray
        The non-negative encodings (n×k).
    W : ndarray or None
        The non-negative weights of the data columns in F (n×k); None for semi-NMF.
    loss : float
        ‖X − F Gᵀ‖²_F (kernel form Tr K − 2Tr(GᵀKW) + Tr(WᵀKWGᵀG)), recomputed at the end.
    model : str
        ``"semi"``, ``"convex"`` or ``"kernel-convex"``; ``method`` is ``"mu"`` or ``"cvxpy"``.
    n_iter, stop_reason, history, times, seconds
        From the block-coordinate loop (``history[0]`` is the loss of the initial factors).
    relative_error : float
        sqrt(loss / ‖X‖²_F) (‖X‖²_F = Tr K).
    """

    F: np.ndarray | None
    G: np.ndarray
    W: np.ndarray | None
    loss: float
    model: str
    method: str
    n_iter: int
    stop_reason: str
    history: tuple[float, ...] = ()
    times: tuple[float, ...] = ()
    relative_error: float = float("nan")
    seconds: float = 0.0
    loss_name: str = "frobenius"

    @property
    def k(self) -> int:
        return int(self.G.shape[1])

    @property
    def labels(self) -> np.ndarray:
        """Cluster of each sample: argmax over the rows of G (the paper's clustering rule)."""
        return np.argmax(self.G, axis=1)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (no factor matrices)."""
        return {"model": self.model, "method": self.method, "n": int(self.G.shape[0]),
                "k": self.k, **_loop_summary(self)}


@dataclass(frozen=True)
class SeparableFactorization:
    """Separable NMF X ≈ X[:, anchors] H with H ≥ 0 (W = X[:, anchors], H by exact NNLS).

    ``method`` is ``"spa"``, ``"gillis_luce"`` or ``"hottopixx"``; ``anchors`` are column
    indices of X in the order chosen; ``loss`` = ‖X − WH‖²_F; ``diagnostics`` holds what the
    method reports (the LP's diagonal and trace, SPA's residual norms, the solver status).
    """

    W: np.ndarray
    H: np.ndarray
    anchors: tuple[int, ...]
    loss: float
    relative_error: float
    method: str
    stop_reason: str
    seconds: float = 0.0
    diagnostics: Any = field(default=None, repr=False)
    loss_name: str = "frobenius"

    @property
    def k(self) -> int:
        return len(self.anchors)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (no factor matrices)."""
        return {
            "method": self.method, "shape": [int(self.W.shape[0]), int(self.H.shape[1])],
            "k": self.k, "anchors": [int(a) for a in self.anchors], "loss": float(self.loss),
            "relative_error": float(self.relative_error), "stop_reason": self.stop_reason,
            "seconds": float(self.seconds),
        }

__all__ += ["ConvexFactorization", "SeparableFactorization"]


def fitted_attributes(fit, components, n_features: int) -> dict[str, Any]:
    """The fitted attributes every estimator of the toolkit has, from its result record
    ``fit`` (a :class:`Factorization` or a family's record with ``k``, ``n_iter``, ``loss``,
    ``relative_error``, ``stop_reason``, ``history``) and its ``components_``."""
    return {"factorization_": fit, "components_": np.array(components), "n_components_": fit.k,
            "n_features_in_": n_features, "n_iter_": fit.n_iter, "loss_": fit.loss,
            "relative_error_": fit.relative_error, "stop_reason_": fit.stop_reason,
            "history_": fit.history}
