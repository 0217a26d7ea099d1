"""The one block-coordinate loop: every iterative factorization runs through ``block_coordinate``.

The state is a tuple of blocks (x₁, …, x_b) — the factors W and H of NMF, the n factor
matrices of an n-way tensor, the three distributions of PLSI — and a loss L(x₁, …, x_b).
One iteration (a *sweep*) replaces each block in turn, Gauss–Seidel style:

    x_i ← update_i(x₁ⁿᵉʷ, …, x_{i−1}ⁿᵉʷ, x_i, …, x_b)        for i = 1, …, b

then evaluates L at the new state (Bertsekas, *Nonlinear Programming*, 2nd ed. 1999, §2.7,
block coordinate descent; Xu & Yin 2013, SIAM J. Imaging Sci. 6(3), for the multi-convex
case that covers NMF and nonnegative tensor factorization). When every update does not
increase L (an exact block minimiser, or a majorise–minimise step such as MU or EM), the
history L₀ ≥ L₁ ≥ … is monotone; the loop checks nothing of the kind, it records.

The block-update contract
-------------------------
A block update is any callable ::

    update(blocks: tuple[numpy.ndarray, ...]) -> numpy.ndarray

It receives the whole current state — blocks before its own already replaced in this sweep —
and returns a *new* array for its own block, of the same shape. It never modifies any array
it is given (the loop, and the statistics caches below, rely on this: an array's identity
stands for its value). ``None`` in place of an update holds that block fixed. The loss is any
callable ``loss(blocks) -> float``; the callback is ``callback(iteration, blocks, loss)``,
returning True to stop.

An update that needs the statistics of the others (WᵀX and WᵀW for the NMF H-step; the
MTTKRP and the Hadamard product of Grams for a tensor factor) computes them itself; where the
loss can reuse them, the update keeps them keyed by the *identity* of the blocks they came
from, and the loss uses them only when those very arrays are still in the state.
:func:`nnmf_research.drivers.alternating.alternate` is the worked example: its W-step keeps
(HXᵀ, HHᵀ) so the Frobenius loss costs O(k²(m+n)) instead of O(mnk).

Stopping (the first that holds after a sweep; ``stop_reason`` says which, in words):

* ``max_iter`` sweeps done;
* relative decrease (L_{t−1} − L_t)/L_{t−1} < ``tol`` (``tol=0`` disables it); a rise beyond
  1e-6 is named "loss increased", since a monotone update should never do that. With
  ``check_every = c > 1`` the loss is evaluated only after sweeps c, 2c, … (and the last one),
  and the test is on the mean decrease per sweep since the previous evaluation,
  (L_{t−c} − L_t)/(c·L_{t−c}) < ``tol``: the same threshold per sweep, on evaluated points
  only (scikit-learn's MU evaluates every 10 iterations). The iterates do not depend on c,
  only the sweep at which the loop stops;
* L_t ≤ 1e-26·``loss_scale`` (relative error 1e-13 when ``loss_scale`` is ‖X‖²_F): an exact
  fit at the rounding level of float64 (``loss_scale=None`` disables it);
* ``time_limit`` seconds elapsed;
* ``callback`` returned True;
* Ctrl-C (KeyboardInterrupt): the last *complete* sweep is returned with stop_reason
  "interrupted ...", never a half-updated state.

Example
-------
Exact minimisation over x then y of (x − 1)² + (x − y)² + (y − 3)² (a convex quadratic,
minimiser x = 5/3, y = 7/3):

>>> import numpy as np
>>> fit = block_coordinate(
...     (np.zeros(1), np.zeros(1)),
...     (lambda b: (1 + b[1]) / 2, lambda b: (b[0] + 3) / 2),
...     lambda b: float(((b[0] - 1) ** 2 + (b[0] - b[1]) ** 2 + (b[1] - 3) ** 2)[0]),
...     max_iter=100, tol=0)
>>> bool(np.allclose(np.concatenate(fit.blocks), [5 / 3, 7 / 3]))
True
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..checks import NMFInputError, check_nonnegative_real, check_positive_int
from ..status import Kind, Status

__all__ = ["BlockUpdate", "BlockCoordinateResult", "block_coordinate"]

BlockUpdate = Callable[[tuple[np.ndarray, ...]], np.ndarray]
"""``update(blocks) -> new block``: the contract in the module docstring."""

ROUNDING_LEVEL = 1e-26
"""A loss below 1e-26·loss_scale (relative error 1e-13) is an exact fit up to float64 rounding."""

RISE_NOTED = 1e-6
"""A relative rise of the loss beyond this is named in stop_reason, not hidden as 'tol'."""


@dataclass(frozen=True)
class BlockCoordinateResult:
    """What the loop returns: the last complete state and why it stopped.

    ``history[0]`` is the loss of the initial blocks, ``history[t]`` the loss after sweep
    ``iterations[t]`` (= t when the loss is evaluated every sweep), as the ``loss`` callable
    computed it; ``times[t]`` the seconds since the start.
    """

    blocks: tuple[np.ndarray, ...]
    n_iter: int
    stop_reason: str
    history: tuple[float, ...]
    times: tuple[float, ...]
    seconds: float
    iterations: tuple[int, ...] = ()
    """The sweep after which each history entry was taken (0, 1, 2, … when check_every = 1)."""


def _format_reason(kind: str, n_iter: int, detail: str = "",
                   status_kind: Kind = Kind.STOPPED) -> Status:
    return Status(status_kind,
                  f"{kind} after {n_iter} iterations" + (f" ({detail})" if detail else ""))


def block_coordinate(
    blocks: Sequence[np.ndarray],
    updates: Sequence[BlockUpdate | None],
    loss: Callable[[tuple[np.ndarray, ...]], float],
    *,
    max_iter: int = 200,
    tol: float = 1e-4,
    time_limit: float | None = None,
    callback: Callable | None = None,
    progress: float | None = None,
    loss_scale: float | None = None,
    loss_name: str = "loss",
    check_every: int = 1,
) -> BlockCoordinateResult:
    """Sweep the block updates until a stopping rule holds (see the module docstring).

    Parameters
    ----------
    blocks : sequence of ndarray
        The initial state (not modified).
    updates : sequence of ``update(blocks) -> ndarray`` or None, one per block
        Applied in order within a sweep; None holds its block fixed.
    loss : ``loss(blocks) -> float``
    max_iter : int >= 0
    tol : relative loss decrease below which the loop stops (0 disables)
    time_limit : seconds, or None
    callback : ``callback(iteration, blocks, loss)``; return True to stop
    progress : seconds between progress lines on stderr, or None for silence
    loss_scale : the loss of the zero model (‖X‖²_F), for the exact-fit rule; None disables it
    loss_name : the loss's name in progress lines
    check_every : evaluate the loss (and so the tolerance, exact-fit, callback and progress
        rules) after every ``check_every``-th sweep and the last one; the time limit and
        Ctrl-C are checked after every sweep

    Returns
    -------
    BlockCoordinateResult
    """
    blocks = tuple(blocks)
    updates = tuple(updates)
    if len(updates) != len(blocks):
        raise NMFInputError(f"{len(blocks)} blocks need {len(blocks)} updates, got {len(updates)}")
    for i, update in enumerate(updates):
        if update is not None and not callable(update):
            raise NMFInputError(
                f"the update of block {i} must be callable or None, got {update!r}")
    return run_sweeps(
        blocks, updates, loss,
        max_iter=check_positive_int(max_iter, "max_iter", low=0),
        tol=check_nonnegative_real(tol, "tol"),
        time_limit=check_nonnegative_real(time_limit, "time_limit", allow_none=True),
        callback=callback, progress=progress, loss_scale=loss_scale, loss_name=loss_name,
        check_every=check_positive_int(check_every, "check_every"),
    )


def run_sweeps(blocks, updates, loss, *, max_iter, tol, time_limit, callback, progress,
               loss_scale, loss_name, check_every=1) -> BlockCoordinateResult:
    """:func:`block_coordinate` on arguments already checked (the drivers' inner entry)."""
    start = time.perf_counter()
    current = loss(blocks)
    history, times, iterations = [current], [0.0], [0]
    next_report = progress if progress is not None else None
    stop_reason = Status(Kind.STOPPED, f"max_iter={max_iter} reached")
    it = 0
    try:
        while it < max_iter:
            state = list(blocks)
            for i, update in enumerate(updates):
                if update is not None:
                    state[i] = update(tuple(state))
            new_blocks = tuple(state)
            if check_every > 1 and (it + 1) % check_every and it + 1 < max_iter:
                elapsed = time.perf_counter() - start
                if time_limit is None or elapsed < time_limit:
                    blocks = new_blocks   # commit the complete iterate, loss not evaluated
                    it += 1
                    continue
            new_loss = loss(new_blocks)
            # Commit the complete iterate.
            blocks, previous, current = new_blocks, current, new_loss
            it += 1
            elapsed = time.perf_counter() - start
            span = it - iterations[-1]
            history.append(current)
            times.append(elapsed)
            iterations.append(it)
            if next_report is not None and elapsed >= next_report:
                print(f"[nnmf] iter {it:6d}  {loss_name} loss {current:.6e}  {elapsed:8.1f} s",
                      file=sys.stderr, flush=True)
                next_report = elapsed + progress
            if callback is not None and callback(it, blocks, current):
                stop_reason = _format_reason("stopped by callback", it)
                break
            if loss_scale is not None and current <= ROUNDING_LEVEL * loss_scale:
                stop_reason = _format_reason(
                    "exact fit", it, f"relative error {np.sqrt(current / loss_scale):.1e}, at "
                    "the rounding level of float64")
                break
            decrease = (previous - current) / previous if previous > 0 else 0.0
            if span > 1:
                decrease /= span
            if tol > 0 and decrease < tol:
                detail = f"relative decrease {decrease:.3g} < tol={tol:g}"
                kind = "tol reached"
                if decrease < -RISE_NOTED:
                    kind = "loss increased"
                    detail += "; a monotone update should not do this: solver inaccuracy?"
                stop_reason = _format_reason(kind, it, detail)
                break
            if time_limit is not None and elapsed >= time_limit:
                stop_reason = _format_reason(f"time limit {time_limit:g} s reached", it,
                                             status_kind=Kind.TIME_LIMIT)
                break
    except KeyboardInterrupt:
        stop_reason = _format_reason(
            "interrupted", it, "Ctrl-C; returning the last complete iterate", Kind.INTERRUPTED)
    return BlockCoordinateResult(blocks=blocks, n_iter=it, stop_reason=stop_reason,
                                 history=tuple(history), times=tuple(times),
                                 seconds=time.perf_counter() - start,
                                 iterations=tuple(iterations))
