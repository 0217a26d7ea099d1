"""``NMF`` and ``non_negative_factorization``: scikit-learn's, on the toolkit's methods.

``NMF`` is a scikit-learn estimator (``BaseEstimator``, ``TransformerMixin``,
``ClassNamePrefixFeaturesOutMixin``; ``check_estimator`` passes): its parameters mean what
they mean in ``sklearn.decomposition.NMF`` (``solver="cd" | "mu"``, ``beta_loss``,
``n_components="auto"``, ``alpha_W``, ``alpha_H``, ``l1_ratio``), and it works in
``Pipeline``, ``GridSearchCV``, ``clone`` and ``set_output``. The toolkit adds solvers
("anls", "kl-cd", "cvxpy", see :data:`SOLVERS`), missing entries, ``time_limit``, the CVXPY
hooks, and ``stop_reason_`` (why the loop stopped; a ConvergenceWarning as scikit-learn's
when max_iter ends a fit before tol).

Orientation. ``fit(X)`` takes X of shape (n_samples, n_features), rows are samples. The rest
of the toolkit uses the literature's orientation, columns are samples (README, "Orientation
map to scikit-learn"). The map:

==========================  ==========================  ===================================
scikit-learn / this class   toolkit (``factorize``)     meaning
==========================  ==========================  ===================================
X (n_samples × n_features)  Xᵀ (m = n_features, n = n_samples)
``fit_transform`` output    Hᵀ (n_samples × k)          encodings (sklearn's W)
``components_``             Wᵀ (k × n_features)         basis (sklearn's H)
``reconstruction_err_``     sqrt(2·loss) for KL,        scikit-learn's definition
                            sqrt(loss) for Frobenius
``loss_``                   ``Factorization.loss``      ‖X − WH‖²_F or D(X‖WH), no ½
==========================  ==========================  ===================================

``factorization_`` holds the full :class:`~nnmf_research.results.Factorization` in the
toolkit's orientation.

Missing entries. A NaN in X is a missing entry (scikit-learn's NMF refuses them): ``fit``
minimizes ‖M ∘ (X − W_sk H_sk)‖²_F (or the KL divergence over the observed entries), M the 0/1
mask of observed entries, with the masked updates of :mod:`nnmf_research.kernels.masked`
(``cvxpy``: :mod:`nnmf_research.models.masked`); ``loss_``, ``relative_error_`` and
``reconstruction_err_`` are then over the observed entries. ``transform`` encodes samples with
NaN the same way, min_{h ≥ 0} over the observed features of each sample with the basis fixed,
so ``inverse_transform`` imputes the missing features; a sample with no observed feature has no
encoding and is refused, a feature missing in every sample is left out of the fit.
Hyperparameters are stored untouched by ``__init__`` and validated by ``fit`` (scikit-learn's
convention). Objective and methods: see :mod:`nnmf_research.factorize`.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.random((30, 4)) @ rng.random((4, 12))      # 30 samples, 12 features
>>> est = NMF(n_components=4, solver="cd", max_iter=300, tol=1e-9, random_state=0)
>>> codes = est.fit_transform(X)
>>> codes.shape, est.components_.shape
((30, 4), (4, 12))
>>> bool(np.allclose(est.inverse_transform(codes), X, atol=1e-3))
True
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state as sk_random_state
from sklearn.utils.validation import check_is_fitted, check_non_negative, validate_data

from . import losses
from .checks import (NMFInputError, check_choice, check_factor, check_matrix, check_observed,
                     check_sparse_matrix, refuse_all_zeros)
from .drivers.alternating import alternate_checked
from .factorize import _has_nan, _masked_updates, factorize_checked, keeps_sparse, make_updates
from .init import INIT_METHODS, initialize_checked
from .kernels.base import EPS
from .kernels.multiplicative import MultiplicativeBeta, beta_gamma
from .losses import (beta_divergence, check_loss, regularization, relative_error,
                     sklearn_error_from_loss)
from .results import Factorization, fitted_attributes
from .sparse_support import squared_norm
from .status import Kind, Status
from .threads import blas_threads

__all__ = ["NMF", "MiniBatchNMF", "non_negative_factorization", "SOLVERS"]

SOLVERS = {"cd": "hals", "mu": "mu", "anls": "anls", "kl-cd": "cd", "cvxpy": "cvxpy"}
"""``solver`` (scikit-learn's name for the algorithm) → the toolkit's ``method``. ``"cd"`` is
scikit-learn's coordinate descent for the Frobenius loss, whose sweep over one factor is
exactly a HALS update (each component's row is the closed-form minimizer with the others
fixed); ``"kl-cd"`` is the KL coordinate descent of Hsieh & Dhillon (2011)."""

BETA_LOSS_NAMES = losses.SKLEARN_BETA_LOSSES
"""scikit-learn's names for β (``beta_loss``): :data:`nnmf_research.losses.BETA_LOSSES` under
scikit-learn's spelling."""


def _beta(beta_loss) -> float:
    """β of ``beta_loss`` (a name of :data:`BETA_LOSS_NAMES` or a real number)."""
    if isinstance(beta_loss, str):
        check_choice(beta_loss, "beta_loss", BETA_LOSS_NAMES)
        return BETA_LOSS_NAMES[beta_loss]
    if isinstance(beta_loss, bool) or not np.isreal(beta_loss) or not np.isfinite(beta_loss):
        raise NMFInputError(f"beta_loss={beta_loss!r} must be one of "
                            f"{', '.join(BETA_LOSS_NAMES)} or a finite real number")
    return float(beta_loss)


def _seed(random_state):
    """A seed the toolkit takes (None, int or numpy Generator) from scikit-learn's
    ``random_state`` (None, int, or a RandomState, which is drawn from as scikit-learn does)."""
    if random_state is None or isinstance(random_state, (np.random.Generator, np.integer, int)):
        return random_state
    return int(sk_random_state(random_state).randint(np.iinfo(np.int32).max))


def _check_init(A, shape, whom: str) -> np.ndarray:
    """A custom start under scikit-learn's rules and messages: 2-D, of ``shape`` ("auto" =
    any), non-negative, not all zeros (:func:`~nnmf_research.checks.check_initial_factor`'s
    rule, with scikit-learn's message)."""
    A = check_matrix(A, whom) if not sp.issparse(A) else check_matrix(A.toarray(), whom)
    for axis, word in ((0, "first"), (1, "second")):
        if shape[axis] != "auto" and A.shape[axis] != shape[axis]:
            raise NMFInputError(f"Array with wrong {word} dimension passed to {whom}. "
                                f"Expected {shape[axis]}, but got {A.shape[axis]}.")
    return refuse_all_zeros(A, whom)


class NMF(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Non-negative matrix factorization X ≈ W_sk · H_sk, a scikit-learn estimator.

    Minimizes (scikit-learn's objective, Févotte & Idier 2011 for the β-divergence)

        D_β(X ‖ W_sk H_sk) + alpha_W·l1_ratio·n_features·‖W_sk‖₁
        + ½·alpha_W·(1 − l1_ratio)·n_features·‖W_sk‖²_F + (the same for H_sk with alpha_H and
        n_samples)

    with D_2 = ½‖X − WH‖²_F, D_1 the KL divergence, D_0 Itakura–Saito.

    Parameters (scikit-learn's, meaning what they mean there)
    ----------
    n_components : int, None or "auto"
        k; None is n_features; "auto" takes k from the custom W/H, else n_features.
    init : None, "random", "nndsvd", "nndsvda", "nndsvdar" or "custom"
        None is "nndsvda" when k <= min(n_samples, n_features), else "random". "custom"
        takes ``W`` (n_samples × k) and ``H`` (k × n_features) passed to ``fit``.
    solver : "cd", "mu", "anls", "kl-cd" or "cvxpy"
        "cd" (Frobenius only): coordinate descent, which is HALS (Cichocki & Phan 2009); "mu":
        multiplicative updates (Lee & Seung 2001; Févotte & Idier 2011 for β); the toolkit's
        own: "anls" (block principal pivoting, Kim & Park 2011, Frobenius), "kl-cd" (KL
        coordinate descent, Hsieh & Dhillon 2011), "cvxpy" (the CVXPY models, where the
        constraints_* / penalty_* hooks apply).
    beta_loss : "frobenius", "kullback-leibler", "itakura-saito" or a real β
    tol, max_iter : stop when the relative decrease of the loss is below tol, or after
        max_iter iterations (then a ConvergenceWarning, as scikit-learn; ``stop_reason_`` says
        which rule stopped the fit).
    random_state : None, int, RandomState or numpy Generator
    alpha_W, alpha_H, l1_ratio : the regularization above ("same": alpha_H = alpha_W)
    verbose : int, 0 silent; > 0 a progress line every ``verbose`` seconds to stderr.

    The toolkit's own parameters: ``time_limit`` (seconds), ``cvxpy_solver`` and
    ``solver_options`` (the CVXPY solver of ``solver="cvxpy"``; until issue 16 ``solver=``
    named it, now it is the algorithm as in scikit-learn), and the hooks
    ``constraints_codes``, ``penalty_codes`` (on the Variable of the encodings, k ×
    n_samples) and ``constraints_components``, ``penalty_components`` (on the Variable of
    ``components_``, k × n_features), and ``threads``: BLAS threads for fit and transform
    (None: the current default, 1 unless an enclosing
    :func:`~nnmf_research.threads.blas_threads` says otherwise; README, "Threads").

    Attributes: ``components_``, ``n_components_``, ``n_features_in_``, ``feature_names_in_``,
    ``n_iter_``, ``reconstruction_err_`` (√(2·D_β), scikit-learn's), and the toolkit's
    ``loss_`` (the loss without ½), ``relative_error_``, ``stop_reason_``, ``history_``,
    ``factorization_`` (the record, in the toolkit's orientation).
    """

    def __init__(
        self,
        n_components="auto",
        *,
        init=None,
        solver="cd",
        beta_loss="frobenius",
        tol=1e-4,
        max_iter=200,
        random_state=None,
        alpha_W=0.0,
        alpha_H="same",
        l1_ratio=0.0,
        verbose=0,
        time_limit=None,
        cvxpy_solver=None,
        solver_options=None,
        constraints_codes=None,
        penalty_codes=None,
        constraints_components=None,
        penalty_components=None,
        threads=None,
    ):
        self.n_components = n_components
        self.init = init
        self.solver = solver
        self.beta_loss = beta_loss
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.l1_ratio = l1_ratio
        self.verbose = verbose
        self.time_limit = time_limit
        self.cvxpy_solver = cvxpy_solver
        self.solver_options = solver_options
        self.constraints_codes = constraints_codes
        self.penalty_codes = penalty_codes
        self.constraints_components = constraints_components
        self.penalty_components = penalty_components
        self.threads = threads

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = True          # NaN = a missing entry (module docstring)
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # -- parameters -----------------------------------------------------------------------
    def _method(self, beta: float) -> str:
        """The toolkit's method for ``solver`` (scikit-learn's errors for its own names)."""
        if self.solver not in SOLVERS:
            hint = (" (solver= names the algorithm, as in scikit-learn; the CVXPY solver of "
                    "solver='cvxpy' is cvxpy_solver=)" if isinstance(self.solver, str) else "")
            raise NMFInputError(f"unknown solver {self.solver!r}; valid choices: "
                                f"{', '.join(SOLVERS)}{hint}")
        if self.solver in ("cd", "anls") and beta != 2.0:
            raise NMFInputError(f"Invalid beta_loss parameter: solver {self.solver!r} does not "
                                f"handle beta_loss = {self.beta_loss!r} (use solver='mu', or "
                                "'kl-cd' for the KL divergence)")
        return SOLVERS[self.solver]

    def _loss(self):
        """(β, the toolkit's name of the loss)."""
        beta = _beta(self.beta_loss)
        return beta, check_loss(beta)

    def _k(self, X, W, H, update_H):
        """k from ``n_components`` and, for "auto", the custom factors."""
        k = self.n_components
        if k is None or (k == "auto" and W is None and H is None) or (
                k == "auto" and update_H and self.init != "custom"):
            return X.shape[1]
        if k == "auto":
            return (H if H is not None else W).shape[1 if H is None else 0]
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise NMFInputError(f"n_components={k!r} must be a positive integer, None or "
                                "'auto'")
        return int(k)

    def _regularization(self) -> dict:
        """scikit-learn's alpha_W, alpha_H, l1_ratio in the toolkit's orientation (its W is
        our Hᵀ, so its alpha_W is our alpha_H), "same" resolved; the scaling by n_features
        and n_samples is :func:`nnmf_research.losses.regularization`'s, on Xᵀ."""
        same = isinstance(self.alpha_H, str) and self.alpha_H == "same"
        return {"alpha_W": self.alpha_W if same else self.alpha_H, "alpha_H": self.alpha_W,
                "l1_ratio": self.l1_ratio}

    def _progress(self):
        return float(self.verbose) if self.verbose else None

    def _updates(self) -> dict:
        return {"solver": self.cvxpy_solver, "solver_options": self.solver_options,
                "constraints_H": self.constraints_codes, "penalty_H": self.penalty_codes,
                "constraints_W": self.constraints_components,
                "penalty_W": self.penalty_components, **self._regularization()}

    def _loop(self) -> dict:
        return {"max_iter": self.max_iter, "tol": self.tol, "time_limit": self.time_limit,
                "progress": self._progress()}

    # -- data -----------------------------------------------------------------------------
    def _validate(self, X, reset: bool):
        """X as scikit-learn validates it (2-D, float64/float32 kept, csr/csc, feature
        names, n_features_in_), non-negative with scikit-learn's message; NaN = missing."""
        X = validate_data(self, X, accept_sparse=("csr", "csc"),
                          dtype=[np.float64, np.float32], ensure_all_finite="allow-nan",
                          reset=reset)
        check_non_negative(X, f"{type(self).__name__} (input X)")
        return X

    @staticmethod
    def _toolkit_X(X, method, loss):
        """(Xᵀ in the toolkit's orientation, float64, sparse where the method reads the
        non-zeros; the 0/1 observed mask or None)."""
        if _has_nan(X):
            A, observed = check_observed(X)           # errors name samples as rows
            return A.T, observed.T
        # checked in scikit-learn's orientation (contiguous; errors name samples as rows)
        if sp.issparse(X) and keeps_sparse(method, loss):
            return check_sparse_matrix(X, finite_norm=True).T, None
        return check_matrix(X, finite_norm=True).T, None

    # -- the one fit ----------------------------------------------------------------------
    def _fit(self, X, W=None, H=None, update_H=True, basis_checked=False):
        """(W_sk, H_sk, Factorization) for a validated X; with ``update_H=False`` only W_sk is
        fitted, H_sk = H held fixed (transform, non_negative_factorization; ``basis_checked``:
        H is the fitted ``components_``, validated when it was made). BLAS runs on
        ``threads`` threads throughout."""
        with blas_threads(self.threads):
            return self._fit_unthreaded(X, W, H, update_H, basis_checked)

    def _fit_unthreaded(self, X, W, H, update_H, basis_checked):
        beta, loss, method, k, X, H, Xt, observed = self._prepare(X, W, H, update_H)
        if update_H:
            init, W0, H0 = self._start(Xt, k, W, H, X.dtype)
            # X, W and H are validated above, once: the inner entries take them as checked.
            fit = factorize_checked(
                Xt, k, loss=loss, method=method, init=init,
                random_state=_seed(self.random_state), W=W0, H=H0, factors_checked=True,
                mask=observed, updates=self._updates(),
                loop={**self._loop(), "check_every": "auto"})   # scikit-learn's MU: every 10
        else:
            fit = self._fit_codes(Xt, observed, k, W, H, method, loss, X.dtype, basis_checked)
        if str(fit.stop_reason).startswith("max_iter"):
            self._warn_max_iter(fit.n_iter, fit.stop_reason)
        return (fit.H.T.astype(X.dtype, copy=False), fit.W.T.astype(X.dtype, copy=False),
                fit)

    def _warn_max_iter(self, n_iter, stop_reason):
        if n_iter == self.max_iter and self.tol > 0:
            warnings.warn(f"Maximum number of iterations {self.max_iter} reached. Increase it "
                          f"to improve convergence (stop_reason: {stop_reason}).",
                          ConvergenceWarning, stacklevel=4)

    def _prepare(self, X, W, H, update_H):
        """The checks every fit makes, and X in the toolkit's orientation: (β, loss, method,
        k, X, H, Xᵀ, the observed mask or None)."""
        beta, loss = self._loss()
        method = self._method(beta)
        n_samples, n_features = X.shape
        if beta <= 0 and (X.data if sp.issparse(X) else X).size and (
                (sp.issparse(X) and X.nnz < n_samples * n_features)
                or np.nanmin(X.data if sp.issparse(X) else X) == 0):
            raise NMFInputError("When beta_loss <= 0 and X contains zeros, the solver may "
                                "diverge. Please add small values to X, or use a positive "
                                "beta_loss.")
        k = self._k(X, W, H, update_H)
        self._n_components = k
        if not update_H and _has_nan(X):
            # a feature missing in every sample constrains no encoding: left out, with its
            # row of the fixed basis
            A = X.toarray() if sp.issparse(X) else X
            seen = ~np.isnan(A).all(axis=0)
            X, H = A[:, seen], np.asarray(H)[:, seen]
        Xt, observed = self._toolkit_X(X, method, loss)
        return beta, loss, method, k, X, H, Xt, observed

    def _start(self, Xt, k, W, H, dtype):
        """(init, W0, H0): the custom start in the toolkit's orientation (checked under
        scikit-learn's names and messages), or the init method and None, None."""
        n_features, n_samples = Xt.shape
        init = self.init
        if init == "custom":
            if W is None or H is None:
                raise NMFInputError("init='custom' needs both W and H passed to fit")
            H0 = _check_init(H, (k, n_features), "NMF (input H)")
            W0 = _check_init(W, (n_samples, k), "NMF (input W)")
            if np.asarray(H).dtype != dtype or np.asarray(W).dtype != dtype:
                raise TypeError(f"H and W should have the same dtype as X. Got H.dtype = "
                                f"{np.asarray(H).dtype} and W.dtype = {np.asarray(W).dtype}.")
            return "random", H0.T, W0.T          # scikit-learn's W (n_samples×k) is our Hᵀ
        if W is not None or H is not None:
            warnings.warn("When init!='custom', provided W or H are ignored. Set "
                          "init='custom' to use them as initialization.", RuntimeWarning,
                          stacklevel=5)
        if init is None:
            init = "nndsvda" if k <= min(n_samples, n_features) else "random"
        return check_choice(init, "init", (*INIT_METHODS, "custom")), None, None

    def _fit_codes(self, Xt, observed, k, W, H, method, loss, dtype, basis_checked,
                   max_iter=None):
        """Encodings with the basis H_sk fixed: min_{W_sk ≥ 0} L(X, W_sk H_sk), from the
        constant start √(mean(X)/k) (scikit-learn's start for 'mu'), by the block-coordinate
        driver with this estimator's stopping rules (``max_iter`` overrides its own)."""
        if W is not None:
            warnings.warn("When update_H=False, the provided initial W is not used.",
                          RuntimeWarning, stacklevel=4)
        if H is None:
            raise NMFInputError("update_H=False needs the fixed H")
        basis = (np.asarray(H, dtype=float) if basis_checked
                 else _check_init(H, (k, Xt.shape[0]), "NMF (input H)"))
        if not basis_checked and np.asarray(H).dtype != dtype:
            raise TypeError(f"H should have the same dtype as X. Got H.dtype = "
                            f"{np.asarray(H).dtype}.")
        hooks = {key: value for key, value in self._updates().items()
                 if key not in ("constraints_W", "penalty_W")}
        Wt = basis.T
        if observed is None:
            update, _ = make_updates(method, loss, Xt.shape, k, **hooks)
            mean = Xt.sum() / (Xt.shape[0] * Xt.shape[1])
        else:
            update, _ = _masked_updates(method, loss, Xt.shape, k, observed, hooks)
            mean = Xt.sum() / observed.sum()
        H0 = np.full((k, Xt.shape[1]), np.sqrt(max(float(mean), 1e-12) / k))
        loop = self._loop() if max_iter is None else {**self._loop(), "max_iter": max_iter}
        return alternate_checked(Xt, Wt, H0, update, None, loss=loss, mask=observed, **loop)

    # -- scikit-learn's API ---------------------------------------------------------------
    def fit_transform(self, X, y=None, W=None, H=None) -> np.ndarray:
        """Fit to X (n_samples × n_features; NaN = missing) and return the encodings W_sk
        (n_samples × k)."""
        X = self._validate(X, reset=True)
        W_sk, H_sk, fit = self._fit(X, W, H, update_H=True)
        vars(self).update(fitted_attributes(fit, H_sk, X.shape[1]))
        self.reconstruction_err_ = sklearn_error_from_loss(fit.loss, fit.loss_name)
        return W_sk

    def fit(self, X, y=None, W=None, H=None) -> "NMF":
        """Fit to X (n_samples × n_features)."""
        self.fit_transform(X, y, W=W, H=H)
        return self

    def transform(self, X) -> np.ndarray:
        """Encodings of new samples with the basis fixed: min_{W_sk ≥ 0} L(X, W_sk H_sk),
        over the observed entries when X has NaN (missing) entries."""
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        if _has_nan(X) and np.isnan(X.data if sp.issparse(X) else X).all():
            raise NMFInputError("every entry of X is missing (NaN): no sample can be encoded")
        return self._fit(X, None, self.components_, update_H=False, basis_checked=True)[0]

    def inverse_transform(self, X) -> np.ndarray:
        """Map encodings (n_samples × k) back to data space: X @ components_."""
        check_is_fitted(self)
        codes = check_factor(X.toarray() if sp.issparse(X) else X,
                             (np.shape(X)[0], self.n_components_), "codes")
        return (codes @ self.components_).astype(self.components_.dtype, copy=False)

    @property
    def _n_features_out(self):
        """Number of transformed output features (for get_feature_names_out)."""
        return self.components_.shape[0]


def non_negative_factorization(X, W=None, H=None, n_components="auto", *, init=None,
                               update_H=True, solver="cd", beta_loss="frobenius", tol=1e-4,
                               max_iter=200, alpha_W=0.0, alpha_H="same", l1_ratio=0.0,
                               random_state=None, verbose=0, shuffle=False, **toolkit):
    """scikit-learn's ``non_negative_factorization``: (W, H, n_iter) with X ≈ WH, W
    (n_samples × k) the encodings, H (k × n_features) the basis; ``update_H=False`` fits W
    only, H given and fixed. Parameters as :class:`NMF` (``toolkit`` takes its own:
    time_limit, cvxpy_solver, ...); ``shuffle=True`` (scikit-learn's random order of the
    coordinates in cd) is refused: HALS sweeps the components in order."""
    if shuffle:
        raise NMFInputError("shuffle=True is not offered: solver='cd' (HALS) sweeps the "
                            "components in order")
    est = NMF(n_components=n_components, init=init, solver=solver, beta_loss=beta_loss,
              tol=tol, max_iter=max_iter, random_state=random_state, alpha_W=alpha_W,
              alpha_H=alpha_H, l1_ratio=l1_ratio, verbose=verbose, **toolkit)
    X = est._validate(X, reset=True)
    W_sk, H_sk, fit = est._fit(X, W, H, update_H=update_H)
    return W_sk, (H_sk if update_H else np.asarray(H)), fit.n_iter


class MiniBatchNMF(NMF):
    """Online NMF on mini-batches of samples, scikit-learn's ``MiniBatchNMF``.

    The β-divergence MU of Lefèvre, Bach & Févotte (2011, "Online algorithms for nonnegative
    matrix factorization with the Itakura-Saito divergence", WASPAA) in scikit-learn's form
    (itself after Mairal et al. 2010): each step takes a batch X_b of ``batch_size`` samples,
    updates its encodings W_b by one β-MU step with the basis H fixed (or solves for them
    from a constant start when ``fresh_restarts``), then updates H from the running sums

        A ← ρA + H^(1/γ) ∘ N_b,   B ← ρB + D_b,   H ← (A / B)^γ

    with N_b, D_b the numerator and denominator of the β-MU of H on the batch (penalties in
    D_b), γ = γ(β) the exponent that makes the MU monotone, and ρ = forget_factor^(batch_size
    / n_samples) (ρ = 0 and one batch of all samples is NMF's ``solver="mu"``). Stopping:
    ``max_iter`` passes over the data, the relative change of H below ``tol``, or
    ``max_no_improvement`` steps without improving the smoothed batch cost.

    Parameters as scikit-learn's (``batch_size``, ``forget_factor``, ``fresh_restarts``,
    ``fresh_restarts_max_iter``, ``transform_max_iter``, ``max_no_improvement`` and the
    :class:`NMF` ones). Attributes as :class:`NMF`'s, and ``n_steps_`` (mini-batch steps).
    ``partial_fit(X)`` makes one step on the batch X, for data that do not fit in memory.
    """

    # not parameters here (scikit-learn's MiniBatchNMF has none of them): MU, no hooks
    solver = "mu"
    time_limit = cvxpy_solver = solver_options = None
    constraints_codes = penalty_codes = constraints_components = penalty_components = None

    def __init__(
        self,
        n_components="auto",
        *,
        init=None,
        batch_size=1024,
        beta_loss="frobenius",
        tol=1e-4,
        max_no_improvement=10,
        max_iter=200,
        alpha_W=0.0,
        alpha_H="same",
        l1_ratio=0.0,
        forget_factor=0.7,
        fresh_restarts=False,
        fresh_restarts_max_iter=30,
        transform_max_iter=None,
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.init = init
        self.batch_size = batch_size
        self.beta_loss = beta_loss
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.max_iter = max_iter
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.l1_ratio = l1_ratio
        self.forget_factor = forget_factor
        self.fresh_restarts = fresh_restarts
        self.fresh_restarts_max_iter = fresh_restarts_max_iter
        self.transform_max_iter = transform_max_iter
        self.random_state = random_state
        self.verbose = verbose

    def _progress(self):
        return None                         # verbose prints scikit-learn's step lines

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False     # the online updates have no masked form
        return tags

    def _validate(self, X, reset: bool):
        X = validate_data(self, X, accept_sparse=("csr", "csc"),
                          dtype=[np.float64, np.float32], reset=reset)
        check_non_negative(X, f"{type(self).__name__} (input X)")
        return X

    # -- one mini-batch step, in the toolkit's orientation --------------------------------
    def _setup(self, n_samples):
        beta, loss = self._loss()
        if isinstance(self.batch_size, bool) or not isinstance(
                self.batch_size, (int, np.integer)) or self.batch_size < 1:
            raise NMFInputError(f"batch_size={self.batch_size!r} must be a positive integer")
        if not 0 <= float(self.forget_factor) <= 1:
            raise NMFInputError(f"forget_factor={self.forget_factor!r} must be in [0, 1]")
        self._beta, self._toolkit_loss = beta, loss
        self._batch_size = min(int(self.batch_size), n_samples)
        self._rho = float(self.forget_factor) ** (self._batch_size / n_samples)
        self._gamma = beta_gamma(beta)
        self._transform_max_iter = (self.max_iter if self.transform_max_iter is None
                                    else self.transform_max_iter)

    def _codes(self, Xb, Wt, max_iter):
        """Encodings of the batch (k × b) with the basis Wt fixed (scikit-learn's
        ``_solve_W``): β-MU steps from the constant start √(mean(X)/k) until their relative
        change is at most tol, or ``max_iter`` steps."""
        k = Wt.shape[1]
        update, _ = make_updates("mu", self._toolkit_loss, Xb.shape, k, **self._regularization())
        mean = Xb.sum() / (Xb.shape[0] * Xb.shape[1])
        Hb = np.full((k, Xb.shape[1]), np.sqrt(max(float(mean), 1e-12) / k))
        for _ in range(max_iter):
            H_new = update(Xb, Wt, Hb)
            change = np.linalg.norm(H_new - Hb) / np.linalg.norm(H_new)
            Hb = H_new
            if self.tol > 0 and change <= self.tol:
                break
        return Hb

    def _step(self, Xb, Hb, Wt, update_basis=True):
        """One mini-batch step on Xb (m × b): the encodings Hb (None: solved afresh), then
        the basis from the running sums. Returns (Hb, Wt, the batch cost)."""
        k = Wt.shape[1]
        reg_args = self._regularization()
        update_codes, _ = make_updates("mu", self._toolkit_loss, Xb.shape, k, **reg_args)
        if self.fresh_restarts or Hb is None:
            Hb = self._codes(Xb, Wt, self.fresh_restarts_max_iter)
        else:
            Hb = update_codes(Xb, Wt, Hb)
        reg = regularization(Xb.shape, **reg_args)
        cost = (beta_divergence(Xb.T, Hb.T, Wt.T, self._beta)     # Xb.T is contiguous
                + reg.l1_W * Wt.sum() + reg.l1_H * Hb.sum()
                + reg.l2_W * np.vdot(Wt, Wt) + reg.l2_H * np.vdot(Hb, Hb)) / Xb.shape[1]
        if update_basis:
            # the basis is the H-factor of Xbᵀ ≈ Hbᵀ Wtᵀ
            basis = Wt.T
            numer, denom = MultiplicativeBeta(beta=self._beta).terms(
                Xb.T, Hb.T, basis, closed_forms=True)
            l1, l2 = reg.for_W()
            denom = denom + l1 + l2 * basis
            numer *= basis ** (1.0 / self._gamma) if self._gamma != 1.0 else basis
            self._numerator = self._rho * self._numerator + numer
            self._denominator = self._rho * self._denominator + denom
            basis = self._numerator / np.maximum(self._denominator, np.finfo(float).tiny)
            if self._gamma != 1.0:
                basis **= self._gamma
            Wt = np.maximum(basis, EPS).T
        return Hb, Wt, float(cost)

    def _converged(self, cost, Wt, Wt_before, n_samples, batch_size, step, n_steps):
        """scikit-learn's rules: relative change of the basis below tol, or
        ``max_no_improvement`` steps without a new minimum of the smoothed batch cost."""
        if step == 0:
            if self.verbose:
                print(f"Minibatch step {step + 1}/{n_steps}: mean batch cost: {cost}")
            return False
        alpha = min(batch_size / (n_samples + 1), 1.0)
        self._ewa_cost = cost if self._ewa_cost is None else (
            self._ewa_cost * (1 - alpha) + cost * alpha)
        if self.verbose:
            print(f"Minibatch step {step + 1}/{n_steps}: mean batch cost: {cost}, ewa cost: "
                  f"{self._ewa_cost}")
        change = np.linalg.norm(Wt - Wt_before) / np.linalg.norm(Wt)
        if self.tol > 0 and change <= self.tol:
            self._stop = f"tol reached: relative change of the basis {change:.3g} <= {self.tol}"
            return True
        if self._ewa_cost_min is None or self._ewa_cost < self._ewa_cost_min:
            self._no_improvement, self._ewa_cost_min = 0, self._ewa_cost
        else:
            self._no_improvement += 1
        if (self.max_no_improvement is not None
                and self._no_improvement >= self.max_no_improvement):
            self._stop = (f"no improvement of the smoothed batch cost in "
                          f"{self.max_no_improvement} steps")
            return True
        return False

    def _begin(self, Xt, W, H, dtype):
        """The start (Wt basis m × k, Ht codes k × n) and fresh running sums."""
        m, n = Xt.shape
        k = self._n_components
        init, W0, H0 = self._start(Xt, k, W, H, dtype)
        if W0 is None:
            W0, H0 = initialize_checked(Xt, k, init, _seed(self.random_state))
        self._numerator, self._denominator = W0.T.copy(), np.ones((k, m))
        return W0.copy(), H0.copy()

    def _fit(self, X, W=None, H=None, update_H=True, basis_checked=False):
        if not update_H:
            beta, loss, _, k, X, H, Xt, _ = self._prepare(X, W, H, update_H)
            self._setup(X.shape[0])
            codes = self._codes(Xt, np.asarray(H, dtype=float).T, self._transform_max_iter)
            return codes.T.astype(X.dtype, copy=False), np.asarray(H), None
        beta, loss, _, k, X, H, Xt, observed = self._prepare(X, W, H, update_H)
        m, n = Xt.shape
        self._setup(n)
        Wt, Ht = self._begin(Xt, W, H, X.dtype)
        self._ewa_cost = self._ewa_cost_min = None
        self._no_improvement, self._stop = 0, None
        per_pass = int(np.ceil(n / self._batch_size))
        n_steps = self.max_iter * per_pass
        step = -1
        history = []
        for step in range(n_steps):
            batch = slice((step % per_pass) * self._batch_size,
                          min((step % per_pass + 1) * self._batch_size, n))
            Wt_before = Wt
            Ht[:, batch], Wt, cost = self._step(Xt[:, batch], Ht[:, batch], Wt)
            history.append(cost)
            if self._converged(cost, Wt, Wt_before, n, batch.stop - batch.start, step,
                               n_steps):
                break
        if self.fresh_restarts:
            Ht = self._codes(Xt, Wt, self._transform_max_iter)
        self.n_steps_ = step + 1
        n_iter = int(np.ceil(self.n_steps_ / per_pass))
        stop = self._stop or f"max_iter={self.max_iter} reached"
        if self._stop is None:
            self._warn_max_iter(n_iter, stop)
        Xs = Xt.T                                  # contiguous: the losses read it once
        value = losses.loss(loss, Xs, Ht.T, Wt.T)
        error = (np.sqrt(value / squared_norm(Xs)) if loss == "frobenius"
                 else relative_error(Xs, Ht.T, Wt.T))
        fit = Factorization(Wt, Ht, value, loss, n_iter, Status(Kind.STOPPED, stop),
                            tuple(history), (), float(error), 0.0)
        return Ht.T.astype(X.dtype, copy=False), Wt.T.astype(X.dtype, copy=False), fit

    def partial_fit(self, X, y=None, W=None, H=None) -> "MiniBatchNMF":
        """One mini-batch step on the samples X (all of them one batch); the first call
        initializes (``W``, ``H`` with init="custom"), later calls continue from
        ``components_``."""
        first = not hasattr(self, "components_")
        X = self._validate(X, reset=first)
        beta, loss, _, k, X, H, Xt, observed = self._prepare(X, W, H, True)
        if first:
            self._setup(X.shape[0])
            Wt, _ = self._begin(Xt, W, H, X.dtype)
            self.n_steps_ = 0
        else:
            Wt = self.components_.T.astype(float)
        self._beta, self._toolkit_loss = beta, loss
        _, Wt, _ = self._step(Xt, None, Wt)
        self.components_ = Wt.T.astype(X.dtype, copy=False)
        self.n_components_ = Wt.shape[1]
        self.n_steps_ += 1
        return self
