"""``alternate``: two-factor NMF, the two-block face of the block-coordinate loop.

Given X (m×n) ≥ 0 and initial W (m×k), H (k×n), each iteration is one sweep of
:func:`nnmf_research.drivers.block_coordinate.block_coordinate` over the blocks (H, W):

    H ← update_H(X, W, H)            (the H-subproblem, W fixed)
    W ← update_W(Xᵀ, Hᵀ, Wᵀ)ᵀ        (the same kind of update on the transposed problem)

where an update is a NumPy kernel (:mod:`nnmf_research.kernels`) or a compiled CVXPY model
(:mod:`nnmf_research.models`), both with the one-factor signature
``update(X, W, H, stats=None) -> H_new``: the driver never builds CVXPY expressions (README,
"Layout"). The block-coordinate loop owns stopping (max_iter, tol, exact fit, time limit,
callback, Ctrl-C), the loss history and the progress lines; its module docstring lists the
rules and their stop reasons.

For the Frobenius loss the statistics are computed once and shared
(:mod:`nnmf_research.gram`): the H-step reads (WᵀX, WᵀW), the W-step (HXᵀ, HHᵀ), and the
per-iteration loss ‖X‖² − 2⟨HXᵀ, Wᵀ⟩ + ⟨HHᵀ, WᵀW⟩ comes from the W-step's statistics and the
WᵀW the next H-step reuses, so tracking the loss costs O(k²(m+n)) instead of O(mnk). Once the
loss falls below 1e-4·‖X‖²_F it is computed directly, so near-exact fits are tracked to full
precision. The final ``Factorization.loss`` is always recomputed directly.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import scipy.sparse as sp

from .. import losses
from ..checks import (NMFInputError, check_choice, check_factor, check_matrix, check_observed,
                      check_nonnegative_real, check_positive_int, check_sparse_matrix)
from ..gram import FrobeniusStats, frobenius_from_stats
from ..results import Factorization
from ..sparse_support import product_on_support, product_total, squared_norm, support
from .block_coordinate import run_sweeps

__all__ = ["alternate"]

Update = Callable[..., np.ndarray]

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


def _check_sparse_updates(update_H, update_W) -> None:
    """A sparse X goes only to updates that declare ``sparse = True`` (they read X on its
    non-zeros, :mod:`nnmf_research.kernels`); any other would densify it or fail."""
    for name, update in (("update_H", update_H), ("update_W", update_W)):
        if update not in (None, "same") and not getattr(update, "sparse", False):
            raise NMFInputError(
                f"X is scipy.sparse but {name}={update!r} does not read sparse input; use "
                "MultiplicativeKL or KLCoordinateDescent (loss 'kl'), or pass X.toarray()")


class _TwoFactorBlocks:
    """The blocks (H, W) of X ≈ WH as block updates and a loss for the block-coordinate loop.

    Frobenius statistics are kept keyed by the identity of the factor they came from (the
    contract: no array is modified in place), so the loss reuses them only for that factor.
    """

    def __init__(self, X, update_H, update_W, loss_name, mask=None, penalty=None):
        self.X, self.Xt = X, X.T
        self.penalty = penalty         # penalty(W, H) added to the tracked objective
        self.one_factor_H, self.one_factor_W = update_H, update_W
        self.loss_name = loss_name
        self.mask = mask               # 0/1, 1 = observed; None = every entry observed
        self.frob = loss_name == "frobenius" and mask is None
        # Sparse KL: the loss computes WH on X's non-zeros; the next H-step reads the same
        # product (same W, same H), so it is kept keyed by their identity and passed as stats.
        self.sparse_kl = sp.issparse(X) and loss_name == "kl"
        self._support = support(X) if self.sparse_kl else None
        self._kl_product = (None, None, None)   # (W, H, WH on the support)
        # Dense X with a loss other than Frobenius (KL, β): the loss forms WH; the next H-step
        # (same W, same H) reads it as stats instead of forming it again.
        self.dense_product = (not sp.issparse(X) and mask is None
                              and loss_name != "frobenius")
        beta = losses.beta_of(loss_name)
        self._x_power_sum = (float(np.sum(np.asarray(X) ** beta))
                             if self.dense_product and beta not in (0.0, 1.0) else None)
        # Dense KL: X's positive entries and zeros, found once (the loss gathers WH on them)
        self._dense_kl = losses.dense_split(X) if self.dense_product and beta == 1.0 else None
        self.norm_x2 = squared_norm(X)
        self._gram = (None, None)      # (W, WᵀW)
        self._stats_H = (None, None)   # (W, (WᵀX, WᵀW)) read by the last H-step
        self._stats_W = (None, None)   # (H, (HXᵀ, HHᵀ)) read by the last W-step

    def updates(self):
        return (self.update_H, None if self.one_factor_W is None else self.update_W)

    def gram_W(self, W):
        if self._gram[0] is not W:
            self._gram = (W, W.T @ W)
        return self._gram[1]

    def update_H(self, blocks):
        H, W = blocks
        stats = FrobeniusStats(W.T @ self.X, self.gram_W(W)) if self.frob else None
        if ((self.sparse_kl or self.dense_product) and self._kl_product[0] is W
                and self._kl_product[1] is H):
            stats = self._kl_product[2]
        self._stats_H = (W, stats)
        return self.one_factor_H(self.X, W, H, stats)

    def update_W(self, blocks):
        H, W = blocks
        stats = FrobeniusStats(H @ self.Xt, H @ H.T) if self.frob else None
        self._stats_W = (H, stats)
        return self.one_factor_W(self.Xt, H.T, W.T, stats).T

    def loss(self, blocks):
        value = self.data_loss(blocks)
        return value if self.penalty is None else value + self.penalty(blocks[1], blocks[0])

    def data_loss(self, blocks):
        H, W = blocks
        if self.mask is not None:
            return losses.masked_loss(self.loss_name, self.X, W, H, self.mask)
        if self.dense_product:
            product = W @ H
            self._kl_product = (W, H, product)
            if self._dense_kl is not None:
                return losses.kl_of_split(self._dense_kl, product)
            return losses.loss_of_product(self.loss_name, self.X, product, self._x_power_sum)
        if self.sparse_kl:
            rows, cols, x = self._support
            product = product_on_support(W, H, rows, cols)
            self._kl_product = (W, H, product)
            return losses.kl_from_support(x, product, product_total(W, H))
        if self.frob:
            value = None
            if self._stats_W[0] is H:
                value = frobenius_from_stats(self.norm_x2, self._stats_W[1], W.T, self.gram_W(W))
            elif self._stats_H[0] is W:
                value = frobenius_from_stats(self.norm_x2, self._stats_H[1], H)
            if value is not None and not value < _DIRECT_BELOW * self.norm_x2:
                return value
        return losses.loss(self.loss_name, self.X, W, H)


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
    mask=None,
    check_every: int = 1,
) -> Factorization:
    """Alternate one-factor updates from (W, H) until a stopping rule holds.

    Parameters
    ----------
    X : (m, n) array_like or scipy.sparse (kept sparse; needs updates with ``sparse = True``), non-negative
    W, H : (m, k) and (k, n) initial factors, non-negative (not modified)
    update_H : callable ``update(X, W, H, stats=None) -> H_new``
    update_W : callable, ``"same"`` (use ``update_H`` on the transposed problem; right for
        the size-agnostic NumPy kernels) or ``None`` (keep W fixed: solve for H only)
    loss : ``"frobenius"``, ``"kl"``, ``"itakura-saito"`` or a real β
        (:func:`~nnmf_research.losses.check_loss`); defaults to ``update_H.loss``
    max_iter : int >= 0
    tol : relative loss decrease below which the loop stops (0 disables)
    time_limit : seconds, or None
    callback : ``callback(iteration, W, H, loss)``; return True to stop
    progress : seconds between progress lines on stderr, or None for silence
    mask : optional 0/1 array of X's shape (1 = observed; NaN in X also marks missing): the
        loss is then taken over the observed entries only, and the updates must be masked
        ones (:mod:`nnmf_research.kernels.masked`, built on the same mask)
    check_every : evaluate the loss after every ``check_every``-th iteration only (and the
        last); tol is then tested on the mean decrease per iteration between evaluations
        (:mod:`~nnmf_research.drivers.block_coordinate`); the iterates are the same

    Returns
    -------
    Factorization
    """
    if mask is not None:
        X, mask = check_observed(X, mask)
    elif sp.issparse(X):
        X = check_sparse_matrix(X, finite_norm=True)
        _check_sparse_updates(update_H, update_W)
    else:
        X = check_matrix(X, finite_norm=True)
    m, n = X.shape
    W = check_matrix(W, "W")
    k = W.shape[1]
    if W.shape[0] != m:
        raise NMFInputError(f"W has shape {W.shape}, expected {(m, k)}")
    H = check_factor(H, (k, n), "H")
    return alternate_checked(X, W, H, update_H, update_W, loss=loss, max_iter=max_iter,
                             tol=tol, time_limit=time_limit, callback=callback,
                             progress=progress, mask=mask,
                             check_every=check_positive_int(check_every, "check_every"))


def alternate_checked(X, W, H, update_H, update_W="same", *, loss=None, max_iter=200, tol=1e-4,
                      time_limit=None, callback=None, progress=None,
                      mask=None, penalty=None, check_every=1) -> Factorization:
    """:func:`alternate` for X, W, H already through :mod:`nnmf_research.checks` (float64,
    finite, non-negative, shapes (m, k), (k, n)): the inner entry of ``factorize`` and the
    estimator, which validated them at their own public entry.

    ``mask`` (0/1, 1 = observed, checked by the caller) makes the loss the masked loss over
    the observed entries (the updates must be masked ones, :mod:`nnmf_research.kernels.masked`);
    the record's ``loss`` and ``relative_error`` are then the observed-entry ones.
    ``penalty(W, H)`` (regularized updates) is added to the loss the loop tracks and stops
    on (the objective those updates decrease); the record's ``loss`` stays the data term."""
    start = time.perf_counter()
    m, n = X.shape
    k = W.shape[1]
    max_iter = check_positive_int(max_iter, "max_iter", low=0)
    tol = check_nonnegative_real(tol, "tol")
    time_limit = check_nonnegative_real(time_limit, "time_limit", allow_none=True)
    loss_name = losses.check_loss(loss if loss is not None
                                  else getattr(update_H, "loss", "frobenius"))
    if update_W == "same":
        update_W = update_H
    _check_update(update_H, "update_H", (k, n), loss_name)
    if update_W is not None:
        _check_update(update_W, "update_W", (k, m), loss_name)

    # Initial factors inside each update's feasible box [eps, inf) (kernels' monotonicity).
    H = np.maximum(H, getattr(update_H, "eps", 0.0))
    if update_W is not None:
        W = np.maximum(W, getattr(update_W, "eps", 0.0))

    pair = _TwoFactorBlocks(X, update_H, update_W, loss_name, mask, penalty)
    face_callback = None
    if callback is not None:
        def face_callback(it, blocks, value):
            return callback(it, blocks[1], blocks[0], value)

    run = run_sweeps((H, W), pair.updates(), pair.loss, max_iter=max_iter, tol=tol,
                     time_limit=time_limit, callback=face_callback, progress=progress,
                     loss_scale=pair.norm_x2, loss_name=loss_name, check_every=check_every)
    H, W = run.blocks
    if mask is not None:
        final_loss = losses.masked_loss(loss_name, X, W, H, mask)
        final_error = losses.masked_relative_error(X, W, H, mask)
    else:
        final_loss = losses.loss(loss_name, X, W, H)
        final_error = losses.relative_error(X, W, H)
    return Factorization(
        W=W,
        H=H,
        loss=final_loss,
        loss_name=loss_name,
        n_iter=run.n_iter,
        stop_reason=run.stop_reason,
        history=run.history,
        times=run.times,
        history_iterations=run.iterations,
        relative_error=final_error,
        seconds=time.perf_counter() - start,
    )
