"""The one alternating loop: every approximate-NMF method runs through ``alternate``.

Given X (m×n) ≥ 0 and initial W (m×k), H (k×n), repeat

    H ← update_H(X, W, H)            (the H-subproblem, W fixed)
    W ← update_W(Xᵀ, Hᵀ, Wᵀ)ᵀ        (the same kind of update on the transposed problem)

where an update is a NumPy kernel (:mod:`nnmf_research.kernels`) or a compiled CVXPY model
(:mod:`nnmf_research.models`): the driver never builds CVXPY expressions (DESIGN.md
principles 1, 4, 5). The loop owns stopping, the loss history, the callback, progress
lines and Ctrl-C.

Stopping (the first that holds; ``stop_reason`` says which, in words):

* ``max_iter`` iterations done;
* relative loss decrease (L_{t−1} − L_t)/L_{t−1} < ``tol`` (``tol=0`` disables it);
* the loss reached the rounding level, ‖X − WH‖_F ≤ 1e-13‖X‖_F (an exact factorization);
* ``time_limit`` seconds elapsed;
* ``callback(iteration, W, H, loss)`` returned True;
* Ctrl-C (KeyboardInterrupt): the last *complete* iterate is returned with stop_reason
  "interrupted ...", never a half-updated pair.

For the Frobenius loss the per-iteration value comes from the statistics the W-step already
computed (:func:`nnmf_research.gram.frobenius_from_stats`), so tracking the loss costs
O(k²(m+n)) instead of O(mnk); once the loss falls below 1e-4·‖X‖²_F it is computed
directly, so near-exact fits are tracked to full precision. The final
``Factorization.loss`` is always recomputed directly.
"""

from __future__ import annotations

import sys
import time
from typing import Callable

import numpy as np

from .. import losses
from ..checks import (NMFInputError, check_choice, check_factor, check_matrix,
                      check_nonnegative_real, check_positive_int)
from ..gram import FrobeniusStats, frobenius_from_stats
from ..results import Factorization

__all__ = ["alternate"]

Update = Callable[..., np.ndarray]

_ROUNDING_LEVEL = 1e-26
"""A loss below 1e-26·‖X‖²_F (relative error 1e-13) is an exact fit up to float64 rounding."""

_RISE_NOTED = 1e-6
"""A relative rise of the loss beyond this is named in stop_reason, not hidden as 'tol'."""

_DIRECT_BELOW = 1e-4
"""Below this fraction of ‖X‖²_F (relative error 1%) the Frobenius loss is computed directly:
the Gram identity's rounding (~1e-13·‖X‖²_F) would otherwise stall fits near exactness."""


def _check_update(update, name: str, factor_shape: tuple[int, int], loss_name: str) -> None:
    if not callable(update):
        raise NMFInputError(f"{name} must be a one-factor update callable, got {update!r}")
    own = getattr(update, "loss", loss_name)
    if own != loss_name:
        raise NMFInputError(f"{name} decreases the {own!r} loss, but loss={loss_name!r}")
    shape = getattr(update, "factor_shape", None)
    if shape is not None and tuple(shape) != factor_shape:
        raise NMFInputError(
            f"{name} is a model built for a factor of shape {tuple(shape)}, but this "
            f"problem needs {factor_shape} (build the W-model with n = m, for Wᵀ)"
        )


def _format_reason(kind: str, n_iter: int, detail: str = "") -> str:
    return f"{kind} after {n_iter} iterations" + (f" ({detail})" if detail else "")


def alternate(
    X,
    W,
    H,
    update_H: Update,
    update_W: Update | str | None = "same",
    *,
    loss: str | None = None,
    max_iter: int = 200,
    tol: float = 1e-4,
    time_limit: float | None = None,
    callback: Callable | None = None,
    progress: float | None = None,
) -> Factorization:
    """Alternate one-factor updates from (W, H) until a stopping rule holds.

    Parameters
    ----------
    X : (m, n) array_like, non-negative
    W, H : (m, k) and (k, n) initial factors, non-negative (not modified)
    update_H : callable ``update(X, W, H, stats=None) -> H_new``
    update_W : callable, ``"same"`` (use ``update_H`` on the transposed problem; right for
        the size-agnostic NumPy kernels) or ``None`` (keep W fixed: solve for H only)
    loss : ``"frobenius"`` or ``"kl"``; defaults to ``update_H.loss``
    max_iter : int >= 0
    tol : relative loss decrease below which the loop stops (0 disables)
    time_limit : seconds, or None
    callback : ``callback(iteration, W, H, loss)``; return True to stop
    progress : seconds between progress lines on stderr, or None for silence

    Returns
    -------
    Factorization
    """
    X = check_matrix(X)
    m, n = X.shape
    W = check_matrix(W, "W")
    k = W.shape[1]
    W = check_factor(W, (m, k), "W")
    H = check_factor(H, (k, n), "H")
    max_iter = check_positive_int(max_iter, "max_iter", low=0)
    tol = check_nonnegative_real(tol, "tol")
    time_limit = check_nonnegative_real(time_limit, "time_limit", allow_none=True)
    loss_name = loss or getattr(update_H, "loss", "frobenius")
    check_choice(loss_name, "loss", losses.LOSSES)
    if update_W == "same":
        update_W = update_H
    _check_update(update_H, "update_H", (k, n), loss_name)
    if update_W is not None:
        _check_update(update_W, "update_W", (k, m), loss_name)

    # Initial factors inside each update's feasible box [eps, inf) (kernels' monotonicity).
    H = np.maximum(H, getattr(update_H, "eps", 0.0))
    if update_W is not None:
        W = np.maximum(W, getattr(update_W, "eps", 0.0))

    frob = loss_name == "frobenius"
    norm_x2 = float(np.vdot(X, X))
    Xt = X.T
    start = time.perf_counter()
    current = losses.loss(loss_name, X, W, H)
    history, times = [current], [0.0]
    WtW = W.T @ W if frob else None
    next_report = progress if progress is not None else None
    stop_reason = f"max_iter={max_iter} reached"
    it = 0
    try:
        while it < max_iter:
            stats_H = FrobeniusStats(W.T @ X, WtW) if frob else None
            H_new = update_H(X, W, H, stats_H)
            if update_W is not None:
                stats_W = FrobeniusStats(H_new @ Xt, H_new @ H_new.T) if frob else None
                W_new = update_W(Xt, H_new.T, W.T, stats_W).T
                if frob:
                    WtW = W_new.T @ W_new
                    new_loss = frobenius_from_stats(norm_x2, stats_W, W_new.T, WtW)
            else:
                W_new = W
                if frob:
                    new_loss = frobenius_from_stats(norm_x2, stats_H, H_new)
            if not frob or new_loss < _DIRECT_BELOW * norm_x2:
                new_loss = losses.loss(loss_name, X, W_new, H_new)
            # Commit the complete iterate.
            W, H, previous, current = W_new, H_new, current, new_loss
            it += 1
            elapsed = time.perf_counter() - start
            history.append(current)
            times.append(elapsed)
            if next_report is not None and elapsed >= next_report:
                print(f"[nnmf] iter {it:6d}  {loss_name} loss {current:.6e}  {elapsed:8.1f} s",
                      file=sys.stderr, flush=True)
                next_report = elapsed + progress
            if callback is not None and callback(it, W, H, current):
                stop_reason = _format_reason("stopped by callback", it)
                break
            if current <= _ROUNDING_LEVEL * norm_x2:
                stop_reason = _format_reason(
                    "exact fit", it, f"relative error {np.sqrt(current / norm_x2):.1e}, at "
                    "the rounding level of float64")
                break
            decrease = (previous - current) / previous if previous > 0 else 0.0
            if tol > 0 and decrease < tol:
                detail = f"relative decrease {decrease:.3g} < tol={tol:g}"
                kind = "tol reached"
                if decrease < -_RISE_NOTED:
                    kind = "loss increased"
                    detail += "; a monotone update should not do this: solver inaccuracy?"
                stop_reason = _format_reason(kind, it, detail)
                break
            if time_limit is not None and elapsed >= time_limit:
                stop_reason = _format_reason(f"time limit {time_limit:g} s reached", it)
                break
    except KeyboardInterrupt:
        stop_reason = _format_reason(
            "interrupted", it, "Ctrl-C; returning the last complete iterate")

    final = losses.loss(loss_name, X, W, H)
    return Factorization(
        W=W,
        H=H,
        loss=final,
        loss_name=loss_name,
        n_iter=it,
        stop_reason=stop_reason,
        history=tuple(history),
        times=tuple(times),
        relative_error=losses.relative_error(X, W, H),
        seconds=time.perf_counter() - start,
    )
