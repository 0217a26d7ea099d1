"""``factorize``: approximate NMF by name (method × loss), in the toolkit's orientation.

    minimize_{W ≥ 0, H ≥ 0}  L(X, WH) [+ penalty(W, H)]
    L = ‖X − WH‖²_F  (loss="frobenius")   or   D(X‖WH) = Σ X log(X/WH) − X + WH  (loss="kl")
    or any β-divergence d_β (loss = a real β, or "itakura-saito" for β = 0;
    :func:`nnmf_research.losses.beta_divergence`), with scikit-learn's penalty
    (``alpha_W``, ``alpha_H``, ``l1_ratio``; :func:`factorize`)

X is m×n with columns as samples, W is m×k, H is k×n. ``method`` picks the one-factor update
the alternating driver runs:

=========  ==========================================  ===================
method     update                                      losses
=========  ==========================================  ===================
mu         Lee & Seung (2001) multiplicative updates;  frobenius, kl, any β
           Févotte & Idier (2011) for β-divergences
hals       accelerated HALS (Cichocki & Phan 2009;     frobenius
           Gillis & Glineur 2012)
anls       exact NNLS, all columns at once (block   frobenius
           principal pivoting, Kim & Park 2011)
cd         cyclic coordinate descent for KL (Hsieh &   kl
           Dhillon 2011)
cvxpy      the declarative CVXPY models, where extra   frobenius, kl
           constraints / penalties go
=========  ==========================================  ===================

A scipy.sparse X stays sparse with "mu" (every loss), "hals" and "anls" (through WᵀX and
XHᵀ), and "cd" or "cvxpy" for loss="kl" (the updates read X on its non-zeros:
:mod:`nnmf_research.kernels`, the sparse form of :func:`~nnmf_research.models.kl.kl_model`);
"cvxpy" with Frobenius densifies it, within the memory limit of
:func:`~nnmf_research.checks.check_allocation`.

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

from dataclasses import replace
from typing import Callable, Mapping

import numpy as np
import scipy.sparse as sp

from . import kernels
from .checks import (NMFInputError, check_choice, check_initial_factor, check_matrix,
                     check_observed, check_observed_sparse, check_positive_int,
                     check_sparse_matrix)
from .drivers.alternating import alternate_checked
from .gram import FrobeniusStats
from .init import INIT_METHODS, initialize_checked
from .kernels.base import SKLEARN_PRODUCT_FLOOR, SKLEARN_ZERO_BELOW
from .losses import LOSSES, beta_of, check_loss, regularization
from .results import Factorization
from .threads import blas_threads

__all__ = ["FACTORIZE_METHODS", "make_updates", "factorize"]

FACTORIZE_METHODS = ("mu", "hals", "anls", "cd", "cvxpy")

SPARSE_METHODS = {("mu", "frobenius"), ("mu", "kl"), ("mu", "itakura-saito"),
                  ("hals", "frobenius"), ("anls", "frobenius"), ("cd", "kl"), ("cvxpy", "kl")}
"""(method, loss) pairs of named losses that keep a scipy.sparse X sparse; ``mu`` keeps it
sparse for every β (:func:`keeps_sparse`)."""


def keeps_sparse(method: str, loss) -> bool:
    """Whether ``factorize`` keeps a scipy.sparse X sparse for this method and loss."""
    try:
        loss = check_loss(loss)
    except NMFInputError:
        return False
    return method == "mu" or (method, loss) in SPARSE_METHODS


def _kernel_class(method: str, loss: str):
    """The NumPy kernel serving (method, loss) and its extra constructor arguments."""
    if (method, loss) in kernels.KERNELS:
        return kernels.KERNELS[(method, loss)], {}
    if method == "mu":
        return kernels.MultiplicativeBeta, {"beta": beta_of(loss)}
    return None, None


def _methods_for(loss: str) -> list[str]:
    return [m for m in FACTORIZE_METHODS
            if (m == "cvxpy" and loss in LOSSES) or _kernel_class(m, loss)[0] is not None]


def _zero_rule(options: dict, beta: float) -> tuple[dict, dict]:
    """Kernel options of the H- and the W-update, with ``zero_below="sklearn"`` resolved to
    scikit-learn's rules: entries below float64's epsilon set to 0 (β < 1 for the factor
    updated first, β ≤ 1 for the second; README, "Why the floor in MU"), and WH clipped at
    float32's epsilon where it is raised to a negative power."""
    if options.get("zero_below") != "sklearn":
        return options, options
    if beta < 2:    # scikit-learn clips WH at float32's epsilon where it divides by it
        options = {**options, "product_floor": SKLEARN_PRODUCT_FLOOR}
    first = {**options, "zero_below": SKLEARN_ZERO_BELOW if beta < 1 else 0.0}
    second = {**options, "zero_below": SKLEARN_ZERO_BELOW if beta <= 1 else 0.0}
    return first, second


def _regularized_penalty(user, l1: float, l2: float, scale: float):
    """The CVXPY penalty hook: ``user`` (or nothing) plus scale·(l1‖V‖₁ + ½ l2‖V‖²_F)."""
    import cvxpy as cp

    if not (l1 or l2):
        return user

    def penalty(V):
        term = scale * (l1 * cp.sum(V) + 0.5 * l2 * cp.sum_squares(V))
        return term if user is None else term + user(V)
    return penalty


class _ANLSWithQP:
    """ANLS with an l1 penalty: the kernel's exact step where it can take it, else the same
    regularized step as the QP of the CVXPY Frobenius model (penalty hook), built once."""

    loss = "frobenius"
    sparse = True
    eps = 0.0

    def __init__(self, kernel, k: int, n: int):
        self.kernel, self.k, self.n, self._model = kernel, k, n, None

    def __call__(self, X, W, H, stats=None):
        if self.kernel.solvable(W):
            return self.kernel(X, W, H, stats)
        if self._model is None:
            from .models.frobenius import frobenius_model

            self._model = frobenius_model(self.k, self.n, penalty=_regularized_penalty(
                None, self.kernel.l1, self.kernel.l2, 2.0))
        cross = (X.T @ W).T if sp.issparse(X) else W.T @ X      # a sparse X stays sparse
        return self._model(X, W, H, FrobeniusStats(np.asarray(cross), W.T @ W))


def make_updates(
    method: str,
    loss,
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
    alpha_W=0.0,
    alpha_H="same",
    l1_ratio=0.0,
):
    """Return ``(update_H, update_W)`` for the alternating driver.

    For ``method="cvxpy"`` two models are built once: one for H (k×n) and one for Wᵀ (k×m);
    ``constraints_W`` / ``penalty_W`` therefore receive the Variable Wᵀ of shape k×m.
    Extra constraints and penalties need ``method="cvxpy"``; ``kernel_options`` go to the
    NumPy kernel's constructor (e.g. ``{"alpha": 0}`` for plain HALS, ``{"eps": 0}``;
    ``{"zero_below": "sklearn"}`` for MU applies scikit-learn's zeroing rule).
    ``support`` (the sparse X itself) builds the sparse form of the CVXPY KL models, with
    exponential cones on X's non-zeros only. ``alpha_W``, ``alpha_H``, ``l1_ratio``:
    scikit-learn's regularization with its scaling (:func:`nnmf_research.losses.
    regularization`), served by mu, hals, anls and cvxpy.
    """
    check_choice(method, "method", FACTORIZE_METHODS)
    loss = check_loss(loss)
    reg = regularization(shape, alpha_W, alpha_H, l1_ratio)
    m, n = shape
    hooks = (constraints_H, penalty_H, constraints_W, penalty_W)
    if method != "cvxpy":
        cls, fixed = _kernel_class(method, loss)
        if cls is None:
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
        options = {**dict(kernel_options or {}), **fixed}
        if reg and method == "cd":
            raise NMFInputError("method 'cd' has no regularization (alpha_W, alpha_H); for "
                                "loss 'kl' with a penalty use method 'mu' or 'cvxpy'")
        if reg and ({"l1", "l2"} & set(options)):
            raise NMFInputError("give the penalty as alpha_W/alpha_H/l1_ratio or as "
                                "kernel_options l1/l2, not both")
        opts_H, opts_W = _zero_rule(options, beta_of(loss)) if method == "mu" else (
            options, options)
        try:
            if not reg and opts_H is opts_W:
                return cls(**opts_H), "same"
            l1_H, l2_H = reg.for_H()
            l1_W, l2_W = reg.for_W()
            update_H = cls(**opts_H, **({"l1": l1_H, "l2": l2_H} if reg else {}))
            update_W = cls(**opts_W, **({"l1": l1_W, "l2": l2_W} if reg else {}))
        except TypeError as exc:
            raise NMFInputError(f"bad kernel_options for method {method!r}: {exc}") from None
        if method == "anls" and reg:
            update_H, update_W = _ANLSWithQP(update_H, k, n), _ANLSWithQP(update_W, k, m)
        return update_H, update_W
    if kernel_options:
        raise NMFInputError("kernel_options apply to the NumPy methods, not method='cvxpy'")
    if loss not in LOSSES:
        raise NMFInputError(f"method 'cvxpy' serves losses {', '.join(LOSSES)}; for loss "
                            f"{loss!r} use method 'mu'")
    # the models' Frobenius objective is ‖X − WH‖²_F, twice scikit-learn's ½‖X − WH‖²_F
    scale = 2.0 if loss == "frobenius" else 1.0
    penalty_H = _regularized_penalty(penalty_H, *reg.for_H(), scale)
    penalty_W = _regularized_penalty(penalty_W, *reg.for_W(), scale)
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
    alpha_W=0.0,
    alpha_H="same",
    l1_ratio: float = 0.0,
    check_every: int | str = "auto",
    dtype=None,
) -> Factorization:
    """Approximate NMF X ≈ WH by the named method and loss (see the module docstring).

    Parameters
    ----------
    X : (m, n) array_like or scipy.sparse, non-negative
    k : inner dimension, 1 <= k <= min(m, n)
    loss : "frobenius" | "kl" | "itakura-saito" | a real β (2 ≡ "frobenius", 1 ≡ "kl",
        0 ≡ "itakura-saito"; scikit-learn's ``beta_loss``). Any β other than 1 and 2 is
        served by ``method="mu"`` (Févotte & Idier 2011, :mod:`nnmf_research.kernels.
        multiplicative`); for β ≤ 0 X must have no zero entry (scikit-learn's rule).
    method : "mu" | "hals" | "anls" | "cd" | "cvxpy"
    init : "random" | "nndsvd" | "nndsvda" | "nndsvdar" (ignored when W and H are given)
    random_state : None, int or numpy Generator (seeds the initialization)
    W, H : optional initial factors (both or neither)
    max_iter, tol, time_limit, callback, progress : see :func:`alternate`
    check_every : evaluate the loss after every ``check_every``-th iteration (and the last):
        history, tol, callback and progress see those iterations only, tol as the mean
        decrease per iteration between them; the iterates are the same for any value.
        ``"auto"``: :func:`default_check_every` (:data:`CHECK_EVERY_COSTLY` for methods mu
        and cd with KL or a β-divergence, whose loss takes a logarithm or a power per entry
        and costs about a sweep; 1 otherwise, where tracking the loss is cheap)
    solver, solver_options, constraints_*, penalty_*, kernel_options : see
        :func:`make_updates`
    mask : optional 0/1 array of X's shape (1 = observed). Missing entries (NaN in X, or
        mask 0) are left out of the loss: every method then fits ‖M ∘ (X − WH)‖²_F (or the
        KL divergence over the observed entries) with the masked updates of
        :mod:`nnmf_research.kernels.masked` (``cvxpy``: :mod:`nnmf_research.models.masked`,
        Frobenius). The initialization reads X with missing entries set to their column's
        observed mean; ``loss`` and ``relative_error`` are over the observed entries.
        A scipy.sparse X with a scipy.sparse mask (its stored 1s the observed set Ω) is
        never densified: mu, hals and anls work on Ω only, O(|Ω| k) memory
        (:func:`~nnmf_research.checks.check_observed_sparse`; the start is read from X_Ω
        with column c scaled by m/|Ω_c|: :func:`_mean_filled`); cvxpy refuses it.
    threads : BLAS threads for the whole fit (None: the current default, 1 unless an
        enclosing :func:`~nnmf_research.threads.blas_threads` says otherwise; module
        :mod:`nnmf_research.threads` gives the measurement behind it)
    alpha_W, alpha_H, l1_ratio : scikit-learn's regularization (``alpha_H="same"``: equal to
        alpha_W), with its scaling read on the X given: the fit minimizes
        ``data + l1_W‖W‖₁ + ½ l2_W‖W‖²_F + l1_H‖H‖₁ + ½ l2_H‖H‖²_F`` with
        l1_W = n·alpha_W·l1_ratio, l2_W = n·alpha_W·(1 − l1_ratio) and the same for H with m,
        where data is scikit-learn's (½‖X − WH‖²_F, or d_β). scikit-learn's X is
        n_samples × n_features ≈ W_sk H_sk, ours has columns as samples, so its fit of S is
        ours of X = Sᵀ with our W = H_skᵀ and our H = W_skᵀ: pass ``alpha_W=alpha_H_sk,
        alpha_H=alpha_W_sk`` (:func:`nnmf_research.losses.regularization`). Served by mu,
        hals, anls (the QP of the CVXPY model where its kernel cannot) and cvxpy; not by cd
        nor with missing entries (refused). The reported ``loss`` and ``history`` are the
        data term (ours: no ½ for Frobenius) without the penalty.

    dtype : None (float64) or "float32" / np.float32: the precision of the iterates.
        float32 runs the GEMMs and the elementwise steps in float32 (about 2× less memory
        traffic), the loss still summed in float64; served by ``method="mu"`` (Frobenius,
        KL) and ``"hals"`` (README, "float32": where float32 is not accurate enough).

    Returns
    -------
    Factorization
        For a float32 X or ``dtype="float32"``, W and H are float32 (with dtype None the fit
        itself runs in float64: README, "float32").
    """
    single = getattr(X, "dtype", None) == np.float32
    compute32 = _check_dtype(dtype, method, loss)
    if mask is None and not _has_nan(X):
        keep_sparse = sp.issparse(X) and keeps_sparse(method, loss)
        observed = None
        X = (check_sparse_matrix(X, finite_norm=True) if keep_sparse
             else check_matrix(X, finite_norm=True))
    elif sp.issparse(X) and sp.issparse(mask):     # kept sparse: the observed set only
        X, observed = check_observed_sparse(X, mask)
    else:
        X, observed = check_observed(X, mask)
    if compute32:
        if observed is not None:
            raise NMFInputError("dtype='float32' is not served with missing entries")
        X = X.astype(np.float32)
    with blas_threads(threads):
        fit = factorize_checked(
            X, k, loss=loss, method=method, init=init,
            random_state=random_state, W=W, H=H, mask=observed,
            updates={"solver": solver, "solver_options": solver_options,
                     "constraints_H": constraints_H, "penalty_H": penalty_H,
                     "constraints_W": constraints_W, "penalty_W": penalty_W,
                     "kernel_options": kernel_options, "alpha_W": alpha_W,
                     "alpha_H": alpha_H, "l1_ratio": l1_ratio},
            loop={"max_iter": max_iter, "tol": tol, "time_limit": time_limit,
                  "callback": callback, "progress": progress, "check_every": check_every},
            dtype=np.float32 if compute32 else None,
        )
    if single:   # float32 in, float32 out (computed in float64: README, "float32")
        fit = replace(fit, W=fit.W.astype(np.float32), H=fit.H.astype(np.float32))
    return fit


CHECK_EVERY_COSTLY = 10
"""``check_every`` for the losses whose evaluation costs a logarithm or a power per entry (KL,
β ≠ 2): measured on digits (64×1797, k = 16), BLAS 1 thread, KL MU per iteration against
scikit-learn's ``mu`` (which evaluates every 10 iterations): README, "Tracking the loss"."""


def default_check_every(check_every, loss: str, method: str, mask=None) -> int:
    """``check_every`` as an int. ``"auto"`` is :data:`CHECK_EVERY_COSTLY` for the NumPy
    kernels of a loss other than Frobenius (mu, cd), whose sweep costs about what the loss
    does; 1 otherwise: the Frobenius loss is tracked in O(k²(m + n)) from the updates'
    statistics (:mod:`nnmf_research.drivers.alternating`), a CVXPY sweep costs far more than
    its loss, and masked fits evaluate the masked loss directly."""
    if isinstance(check_every, str):
        check_choice(check_every, "check_every", ("auto",))
        costly = loss != "frobenius" and method in ("mu", "cd") and mask is None
        return CHECK_EVERY_COSTLY if costly else 1
    return check_positive_int(check_every, "check_every")


FLOAT32_METHODS = {("mu", "frobenius"), ("mu", "kl"), ("hals", "frobenius")}
"""(method, loss) pairs that compute in float32 with ``dtype="float32"``."""


def _check_dtype(dtype, method: str, loss) -> bool:
    """Whether ``dtype`` asks for float32 iterates; a dtype other than float32/float64, or
    float32 for a (method, loss) not in :data:`FLOAT32_METHODS`, is a named error."""
    if dtype is None:
        return False
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise NMFInputError(f"dtype must be None, 'float32' or 'float64', got {dtype!r}")
    if dt == np.float64:
        return False
    if (method, check_loss(loss)) not in FLOAT32_METHODS:
        served = ", ".join(f"{m}/{lo}" for m, lo in sorted(FLOAT32_METHODS))
        raise NMFInputError(f"dtype='float32' is served by {served}, not method {method!r} "
                            f"with loss {loss!r}")
    return True


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


def _has_zero(X) -> bool:
    """Whether X (checked, dense or sparse) has an entry equal to 0."""
    if sp.issparse(X):
        return X.nnz < X.shape[0] * X.shape[1] or bool(np.any(X.data == 0))
    return bool(np.any(X == 0))


def _masked_updates(method, loss, shape, k, mask, updates: Mapping):
    """(update_H, update_W) fitting only the observed entries (mask 1 = observed)."""
    from .kernels.masked import MASKED_KERNELS

    check_choice(method, "method", FACTORIZE_METHODS)
    check_choice(loss, "loss", LOSSES)
    updates = dict(updates)
    if regularization(shape, updates.pop("alpha_W", 0.0), updates.pop("alpha_H", "same"),
                      updates.pop("l1_ratio", 0.0)):
        raise NMFInputError("alpha_W/alpha_H regularization is not served with missing "
                            "entries (the masked updates have no penalty)")
    hooks = {k_: v for k_, v in updates.items() if v is not None}
    kernel_options = dict(hooks.pop("kernel_options", None) or {})
    if method == "cvxpy":
        if sp.issparse(mask):
            raise NMFInputError("method='cvxpy' cannot fit a sparse X on a sparse mask without "
                                "densifying (its model holds a dense k×k Parameter per "
                                "column); use mu, hals or anls, or pass X and mask dense")
        if kernel_options:
            raise NMFInputError("kernel_options apply to the NumPy methods, not method='cvxpy'")
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
        raise NMFInputError("constraints, penalties and solver= apply to method='cvxpy' "
                            f"only, got method={method!r} with missing entries")
    try:
        update_H = MASKED_KERNELS[(method, loss)](mask=mask, **kernel_options)
    except TypeError as exc:
        raise NMFInputError(f"bad kernel_options for method {method!r} with missing entries: "
                            f"{exc}") from None
    return update_H, update_H.transposed()


def _mean_filled(X, mask):
    """X with each missing entry replaced by its column's observed mean (for the start).

    With a sparse mask (X_Ω sparse on the observed set Ω) that matrix is dense, so the start
    is read from the sparse X_Ω with column c scaled by m/|Ω_c| instead: the same column sums
    (so "random" draws the very start the dense form gets, from the same mean), and for the
    SVD starts the inverse-sampling-rate spectral estimate of matrix completion (Keshavan,
    Montanari & Oh, IEEE Trans. Inf. Theory 56(6), 2010), with a rate per column."""
    if sp.issparse(mask):
        counts = np.asarray(mask.sum(axis=0)).ravel()
        return sp.csr_matrix(X @ sp.diags(X.shape[0] / np.maximum(counts, 1)))
    counts = mask.sum(axis=0)
    means = (X * mask).sum(axis=0) / np.maximum(counts, 1)
    return np.where(mask > 0, X, means[None, :])


def factorize_checked(X: np.ndarray, k, *, loss, method, init, random_state, W, H,
                      updates: Mapping, loop: Mapping,
                      factors_checked: bool = False, mask=None, dtype=None) -> Factorization:
    """:func:`factorize` for an X already through :func:`~nnmf_research.checks.check_matrix`.

    ``updates`` are :func:`make_updates`' keyword options, ``loop`` those of
    :func:`~nnmf_research.alternate`; ``factors_checked=True`` says W and H were validated by
    the caller too (the estimator checks them under scikit-learn's names).
    """
    # an overcomplete k > min(m, n) is allowed from a given or random start (scikit-learn's
    # rule); the SVD-based starts refuse it (initialize_checked)
    k = check_positive_int(k, "k")
    loss = check_loss(loss)
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
    if (X.count_nonzero() == 0) if sp.issparse(X) else not X.any():
        return zero_factorization(X.shape, k, loss)
    if beta_of(loss) <= 0 and _has_zero(X):
        raise NMFInputError(f"When beta_loss <= 0 and X contains zeros, the solver may "
                            f"diverge (loss {loss!r} is infinite at X = 0). Please add small "
                            "values to X, or use a positive beta_loss.")
    loop = {**loop, "check_every": default_check_every(loop.get("check_every", 1), loss,
                                                           method, mask)}
    if W is None:
        start = X if mask is None else _mean_filled(X, mask)
        W, H = initialize_checked(start, k, init, random_state)
    elif not factors_checked:
        W = check_initial_factor(W, (X.shape[0], k), "W")
        H = check_initial_factor(H, (k, X.shape[1]), "H")
    if dtype is not None:           # the iterates' precision (factorize's dtype=)
        W, H = W.astype(dtype, copy=False), H.astype(dtype, copy=False)
    return alternate_checked(X, W, H, update_H, update_W, loss=loss, mask=mask,
                             penalty=_objective_penalty(X.shape, loss, updates), **loop)


def _objective_penalty(shape, loss: str, updates: Mapping):
    """penalty(W, H) in the scale of our loss (Frobenius: 2× scikit-learn's, whose data
    term has the ½), or None without regularization."""
    reg = regularization(shape, updates.get("alpha_W", 0.0), updates.get("alpha_H", "same"),
                         updates.get("l1_ratio", 0.0))
    if not reg:
        return None
    scale = 2.0 if loss == "frobenius" else 1.0
    return lambda W, H: scale * reg.penalty(W, H)
