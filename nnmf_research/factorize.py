"""``factorize``: approximate NMF by name (method × loss), in the toolkit's orientation.

    minimize_{W ≥ 0, H ≥ 0}  L(X, WH)
    L = ‖X − WH‖²_F  (loss="frobenius")   or   D(X‖WH) = Σ X log(X/WH) − X + WH  (loss="kl")

X is m×n with columns as samples, W is m×k, H is k×n. ``method`` picks the one-factor update
the alternating driver runs:

=========  ==========================================  ===================
method     update                                      losses
=========  ==========================================  ===================
mu         Lee & Seung (2001) multiplicative updates   frobenius, kl
hals       accelerated HALS (Cichocki & Phan 2009;     frobenius
           Gillis & Glineur 2012)
anls       exact NNLS, all columns at once (block   frobenius
           principal pivoting, Kim & Park 2011)
cd         cyclic coordinate descent for KL (Hsieh &   kl
           Dhillon 2011)
cvxpy      the declarative CVXPY models, where extra   frobenius, kl
           constraints / penalties go
=========  ==========================================  ===================

A scipy.sparse X stays sparse for loss="kl" with method "mu", "cd" or "cvxpy" (the updates
read X on its non-zeros: :mod:`nnmf_research.kernels`, the sparse form of
:func:`~nnmf_research.models.kl.kl_model`); other combinations densify it, within the memory
limit of :func:`~nnmf_research.checks.check_allocation`.

With missing entries (NaN in X, or ``mask=``) every method fits the observed entries only,
through the masked updates of :mod:`nnmf_research.kernels.masked` and
:mod:`nnmf_research.models.masked`.

This module only maps names to updates (:func:`make_updates`) and initial factors; the loop
is :func:`nnmf_research.drivers.alternating.alternate`. X and the initial factors are validated
once, here (:func:`factorize`), or at the estimator's entry (:func:`factorize_checked`), and
passed inward checked.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.random((20, 3)) @ rng.random((3, 15))
>>> fit = factorize(X, 3, method="hals", max_iter=500, tol=1e-10, random_state=0)
>>> fit.relative_error < 1e-3
True
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np
import scipy.sparse as sp

from . import kernels
from .checks import (NMFInputError, check_choice, check_initial_factor, check_matrix,
                     check_observed, check_positive_int,
                     check_sparse_matrix)
from .drivers.alternating import alternate_checked
from .init import INIT_METHODS, initialize_checked
from .losses import LOSSES
from .results import Factorization
from .threads import blas_threads

__all__ = ["FACTORIZE_METHODS", "make_updates", "factorize"]

FACTORIZE_METHODS = ("mu", "hals", "anls", "cd", "cvxpy")

SPARSE_METHODS = {("mu", "kl"), ("cd", "kl"), ("cvxpy", "kl")}
"""(method, loss) pairs that keep a scipy.sparse X sparse."""


def _methods_for(loss: str) -> list[str]:
    return [m for m in FACTORIZE_METHODS if m == "cvxpy" or (m, loss) in kernels.KERNELS]


def make_updates(
    method: str,
    loss: str,
    shape: tuple[int, int],
    k: int,
    *,
    solver: str | None = None,
    solver_options: Mapping | None = None,
    constraints_H: Callable | None = None,
    penalty_H: Callable | None = None,
    constraints_W: Callable | None = None,
    penalty_W: Callable | None = None,
    kernel_options: Mapping | None = None,
    support=None,
):
    """Return ``(update_H, update_W)`` for the alternating driver.

    For ``method="cvxpy"`` two models are built once: one for H (k×n) and one for Wᵀ (k×m);
    ``constraints_W`` / ``penalty_W`` therefore receive the Variable Wᵀ of shape k×m.
    Extra constraints and penalties need ``method="cvxpy"``; ``kernel_options`` go to the
    NumPy kernel's constructor (e.g. ``{"alpha": 0}`` for plain HALS, ``{"eps": 0}``).
    ``support`` (the sparse X itself) builds the sparse form of the CVXPY KL models, with
    exponential cones on X's non-zeros only.
    """
    check_choice(method, "method", FACTORIZE_METHODS)
    check_choice(loss, "loss", LOSSES)
    m, n = shape
    hooks = (constraints_H, penalty_H, constraints_W, penalty_W)
    if method != "cvxpy":
        if (method, loss) not in kernels.KERNELS:
            served = " and ".join(repr(name) for (m_, name) in kernels.KERNELS if m_ == method)
            raise NMFInputError(
                f"method {method!r} supports loss {served} only; for loss {loss!r} use one "
                f"of: {', '.join(_methods_for(loss))}"
            )
        if any(h is not None for h in hooks) or solver is not None:
            raise NMFInputError(
                "constraints, penalties and solver= apply to method='cvxpy' only, "
                f"got method={method!r}"
            )
        try:
            return kernels.KERNELS[(method, loss)](**dict(kernel_options or {})), "same"
        except TypeError as exc:
            raise NMFInputError(f"bad kernel_options for method {method!r}: {exc}") from None
    if kernel_options:
        raise NMFInputError("kernel_options apply to the NumPy methods, not method='cvxpy'")
    common = {"solver": solver, "solver_options": solver_options}
    if loss == "frobenius":
        from .models.frobenius import frobenius_model  # late: cvxpy loads only when used

        update_H = frobenius_model(k, n, constraints=constraints_H, penalty=penalty_H, **common)
        update_W = frobenius_model(k, m, constraints=constraints_W, penalty=penalty_W, **common)
    else:
        from .models.kl import kl_model

        update_H = kl_model(k, m, n, constraints=constraints_H, penalty=penalty_H,
                            support=support, **common)
        update_W = kl_model(k, n, m, constraints=constraints_W, penalty=penalty_W,
                            support=None if support is None else support.T, **common)
    return update_H, update_W


def factorize(
    X,
    k: int,
    *,
    loss: str = "frobenius",
    method: str = "hals",
    init: str = "nndsvda",
    random_state=None,
    W=None,
    H=None,
    max_iter: int = 200,
    tol: float = 1e-4,
    time_limit: float | None = None,
    solver: str | None = None,
    solver_options: Mapping | None = None,
    constraints_H: Callable | None = None,
    penalty_H: Callable | None = None,
    constraints_W: Callable | None = None,
    penalty_W: Callable | None = None,
    kernel_options: Mapping | None = None,
    callback: Callable | None = None,
    progress: float | None = None,
    mask=None,
    threads: int | None = None,
) -> Factorization:
    """Approximate NMF X ≈ WH by the named method and loss (see the module docstring).

    Parameters
    ----------
    X : (m, n) array_like or scipy.sparse, non-negative
    k : inner dimension, 1 <= k <= min(m, n)
    loss : "frobenius" | "kl"
    method : "mu" | "hals" | "anls" | "cd" | "cvxpy"
    init : "random" | "nndsvd" | "nndsvda" | "nndsvdar" (ignored when W and H are given)
    random_state : None, int or numpy Generator (seeds the initialization)
    W, H : optional initial factors (both or neither)
    max_iter, tol, time_limit, callback, progress : see :func:`alternate`
    solver, solver_options, constraints_*, penalty_*, kernel_options : see
        :func:`make_updates`
    mask : optional 0/1 array of X's shape (1 = observed). Missing entries (NaN in X, or
        mask 0) are left out of the loss: every method then fits ‖M ∘ (X − WH)‖²_F (or the
        KL divergence over the observed entries) with the masked updates of
        :mod:`nnmf_research.kernels.masked` (``cvxpy``: :mod:`nnmf_research.models.masked`,
        Frobenius). The initialization reads X with missing entries set to their column's
        observed mean; ``loss`` and ``relative_error`` are over the observed entries.
    threads : BLAS threads for the whole fit (None: the current default, 1 unless an
        enclosing :func:`~nnmf_research.threads.blas_threads` says otherwise; module
        :mod:`nnmf_research.threads` gives the measurement behind it)

    Returns
    -------
    Factorization
    """
    if mask is None and not _has_nan(X):
        keep_sparse = sp.issparse(X) and (method, loss) in SPARSE_METHODS
        observed = None
        X = (check_sparse_matrix(X, finite_norm=True) if keep_sparse
             else check_matrix(X, finite_norm=True))
    else:
        X, observed = check_observed(X, mask)
    with blas_threads(threads):
        return factorize_checked(
            X, k, loss=loss, method=method, init=init,
            random_state=random_state, W=W, H=H, mask=observed,
            updates={"solver": solver, "solver_options": solver_options,
                     "constraints_H": constraints_H, "penalty_H": penalty_H,
                     "constraints_W": constraints_W, "penalty_W": penalty_W,
                     "kernel_options": kernel_options},
            loop={"max_iter": max_iter, "tol": tol, "time_limit": time_limit,
                  "callback": callback, "progress": progress},
        )


def zero_factorization(shape: tuple[int, int], k: int, loss: str) -> Factorization:
    """X = 0 is factorized exactly by W = 0, H = 0 (its relative error is 0/0: undefined)."""
    m, n = shape
    return Factorization(np.zeros((m, k)), np.zeros((k, n)), 0.0, loss, 0,
                         "X is all zeros: W = 0, H = 0 is an exact factorization",
                         (0.0,), (0.0,), float("nan"), 0.0)


def _has_nan(X) -> bool:
    """Whether X (an array-like, not yet validated) holds a NaN: the missing-entry marker."""
    try:
        A = np.asarray(X.data if hasattr(X, "tocsr") else X)
        return A.dtype.kind == "f" and bool(np.isnan(A).any())
    except (TypeError, ValueError):
        return False                              # check_matrix names what is wrong


def _masked_updates(method, loss, shape, k, mask, updates: Mapping):
    """(update_H, update_W) fitting only the observed entries (mask 1 = observed)."""
    from .kernels.masked import MASKED_KERNELS

    check_choice(method, "method", FACTORIZE_METHODS)
    check_choice(loss, "loss", LOSSES)
    hooks = {k_: v for k_, v in updates.items() if v is not None}
    if method == "cvxpy":
        if loss != "frobenius":
            raise NMFInputError("missing entries with method='cvxpy' need loss 'frobenius' "
                                "(use method='mu' for the KL divergence)")
        from .models.masked import masked_frobenius_model

        common = {"solver": hooks.get("solver"), "solver_options": hooks.get("solver_options")}
        update_H = masked_frobenius_model(k, mask, constraints=hooks.get("constraints_H"),
                                          penalty=hooks.get("penalty_H"), **common)
        update_W = masked_frobenius_model(k, mask.T, constraints=hooks.get("constraints_W"),
                                          penalty=hooks.get("penalty_W"), **common)
        return update_H, update_W
    if (method, loss) not in MASKED_KERNELS:
        serving = [m for (m, lo) in MASKED_KERNELS if lo == loss]
        raise NMFInputError(f"with missing entries, method {method!r} does not serve loss "
                            f"{loss!r}; use one of: {', '.join(serving)}")
    if hooks:
        raise NMFInputError("constraints, penalties, solver= and kernel_options apply to "
                            f"method='cvxpy' only, got method={method!r} with missing entries")
    update_H = MASKED_KERNELS[(method, loss)](mask=mask)
    return update_H, update_H.transposed()


def _mean_filled(X, mask):
    """X with each missing entry replaced by its column's observed mean (for the start)."""
    counts = mask.sum(axis=0)
    means = (X * mask).sum(axis=0) / np.maximum(counts, 1)
    return np.where(mask > 0, X, means[None, :])


def factorize_checked(X: np.ndarray, k, *, loss, method, init, random_state, W, H,
                      updates: Mapping, loop: Mapping,
                      factors_checked: bool = False, mask=None) -> Factorization:
    """:func:`factorize` for an X already through :func:`~nnmf_research.checks.check_matrix`.

    ``updates`` are :func:`make_updates`' keyword options, ``loop`` those of
    :func:`~nnmf_research.alternate`; ``factors_checked=True`` says W and H were validated by
    the caller too (the estimator checks them under scikit-learn's names).
    """
    # an overcomplete k > min(m, n) is allowed from a given or random start (scikit-learn's
    # rule); the SVD-based starts refuse it (initialize_checked)
    k = check_positive_int(k, "k")
    check_choice(loss, "loss", LOSSES)
    check_choice(method, "method", FACTORIZE_METHODS)
    check_choice(init, "init", INIT_METHODS)
    if (W is None) != (H is None):
        raise NMFInputError("give both initial factors W and H, or neither")
    if mask is not None:
        update_H, update_W = _masked_updates(method, loss, X.shape, k, mask, updates)
    else:
        if sp.issparse(X) and method == "cvxpy":
            updates = {**updates, "support": X}
        update_H, update_W = make_updates(method, loss, X.shape, k, **updates)
    if (X.nnz == 0) if sp.issparse(X) else not X.any():
        return zero_factorization(X.shape, k, loss)
    if W is None:
        start = X if mask is None else _mean_filled(X, mask)
        W, H = initialize_checked(start, k, init, random_state)
    elif not factors_checked:
        W = check_initial_factor(W, (X.shape[0], k), "W")
        H = check_initial_factor(H, (k, X.shape[1]), "H")
    return alternate_checked(X, W, H, update_H, update_W, loss=loss, mask=mask, **loop)
