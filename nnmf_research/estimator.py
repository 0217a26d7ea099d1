"""``NMF``: approximate NMF as a scikit-learn-style estimator.

Orientation. The estimator follows scikit-learn: ``fit(X)`` takes X of shape
(n_samples, n_features), rows are samples, so it drops into scikit-learn pipelines. The rest
of the toolkit uses the literature's orientation, columns are samples (README, "Orientation map to scikit-learn"). The map:

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
encoding and is refused, a feature missing in every sample is left out of the fit. Hyperparameters are stored untouched by ``__init__`` and validated
by ``fit`` (scikit-learn's convention). Objective and methods: see
:mod:`nnmf_research.factorize`.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.random((30, 4)) @ rng.random((4, 12))      # 30 samples, 12 features
>>> est = NMF(n_components=4, method="hals", max_iter=300, tol=1e-9, random_state=0)
>>> codes = est.fit_transform(X)
>>> codes.shape, est.components_.shape
((30, 4), (4, 12))
>>> bool(np.allclose(est.inverse_transform(codes), X, atol=1e-3))
True
"""

from __future__ import annotations

import inspect

import numpy as np

from .checks import NMFInputError, check_choice, check_factor, check_matrix, check_observed
from .drivers.alternating import alternate_checked
from .factorize import _has_nan, _masked_updates, factorize_checked, make_updates
from .init import INIT_METHODS
from .losses import sklearn_error_from_loss

__all__ = ["NMF", "ParamsMixin"]


class ParamsMixin:
    """scikit-learn's parameter protocol from the ``__init__`` signature: ``get_params``,
    ``set_params`` (unknown names refused), a repr listing the changed hyperparameters.
    Shared by :class:`NMF` and the estimators of :mod:`nnmf_research.convex_estimator`."""

    # -- scikit-learn parameter protocol ------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict:
        """Hyperparameters as a dict (scikit-learn protocol)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params) -> "ParamsMixin":
        """Set hyperparameters (scikit-learn protocol); unknown names are refused."""
        valid = self._param_names()
        for key, value in params.items():
            if key not in valid:
                raise NMFInputError(f"unknown parameter {key!r} for {type(self).__name__}; "
                                    f"valid: {valid}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__)
                    .parameters.values() if p.name != "self"}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if v is not defaults[k]
                   and v != defaults[k]]
        return f"{type(self).__name__}({', '.join(changed)})"

    def _set_fitted(self, fit, components, n_features: int) -> None:
        """The fitted attributes every estimator here has, from a result record."""
        self.factorization_ = fit
        self.components_ = np.array(components)
        self.n_components_ = fit.k
        self.n_features_in_ = n_features
        self.n_iter_ = fit.n_iter
        self.loss_ = fit.loss
        self.relative_error_ = fit.relative_error
        self.stop_reason_ = fit.stop_reason
        self.history_ = fit.history


class NMF(ParamsMixin):
    """Non-negative matrix factorization X ≈ W_sk · H_sk, scikit-learn style.

    Parameters
    ----------
    n_components : int or None
        Number of components k; None means min(n_samples, n_features).
    loss : {"frobenius", "kl"}
    method : {"mu", "hals", "anls", "cvxpy"}
    init : {"random", "nndsvd", "nndsvda", "nndsvdar", "custom"}
        "custom" takes ``W`` (n_samples × k) and ``H`` (k × n_features) passed to ``fit``.
    max_iter, tol, time_limit : stopping rules (see :func:`~nnmf_research.alternate`)
    random_state : None, int or numpy Generator
    solver, solver_options : CVXPY solver for ``method="cvxpy"``
    constraints_codes, penalty_codes : callables on the CVXPY Variable of the encodings,
        shape (k × n_samples) (the toolkit's H); ``method="cvxpy"`` only.
    constraints_components, penalty_components : callables on the Variable of
        ``components_`` (k × n_features) (the toolkit's Wᵀ); ``method="cvxpy"`` only.
    verbose : int
        0 silent; >0 prints a progress line every ``verbose`` seconds to stderr.
    """

    def __init__(
        self,
        n_components=None,
        *,
        loss="frobenius",
        method="hals",
        init="nndsvda",
        max_iter=200,
        tol=1e-4,
        time_limit=None,
        random_state=None,
        solver=None,
        solver_options=None,
        constraints_codes=None,
        penalty_codes=None,
        constraints_components=None,
        penalty_components=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.loss = loss
        self.method = method
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.time_limit = time_limit
        self.random_state = random_state
        self.solver = solver
        self.solver_options = solver_options
        self.constraints_codes = constraints_codes
        self.penalty_codes = penalty_codes
        self.constraints_components = constraints_components
        self.penalty_components = penalty_components
        self.verbose = verbose

    # -- fitting --------------------------------------------------------------------------
    def _progress(self):
        return float(self.verbose) if self.verbose else None

    def _hooks(self) -> dict:
        return {
            "constraints_H": self.constraints_codes,
            "penalty_H": self.penalty_codes,
            "constraints_W": self.constraints_components,
            "penalty_W": self.penalty_components,
        }

    def fit_transform(self, X, y=None, W=None, H=None) -> np.ndarray:
        """Fit to X (n_samples × n_features; NaN = missing) and return the encodings
        (n_samples × k)."""
        X, observed = check_observed(X)
        k = min(X.shape) if self.n_components is None else self.n_components
        check_choice(self.init, "init", (*INIT_METHODS, "custom"))
        if self.init == "custom":
            if W is None or H is None:
                raise NMFInputError("init='custom' needs both W and H passed to fit")
            # scikit-learn's W (n_samples×k) is our Hᵀ; its H (k×n_features) is our Wᵀ.
            W0 = check_factor(H, (k, X.shape[1]), "H").T
            H0 = check_factor(W, (X.shape[0], k), "W").T
        elif W is not None or H is not None:
            raise NMFInputError("W and H are used only with init='custom'")
        else:
            W0 = H0 = None
        # X, W and H are validated above, once: the inner entries take them as checked.
        fit = factorize_checked(
            X.T, k, loss=self.loss, method=self.method,
            init="nndsvda" if self.init == "custom" else self.init,
            random_state=self.random_state, W=W0, H=H0, factors_checked=True,
            mask=None if observed is None else observed.T,
            updates={"solver": self.solver, "solver_options": self.solver_options,
                     **self._hooks()},
            loop={"max_iter": self.max_iter, "tol": self.tol, "time_limit": self.time_limit,
                  "progress": self._progress()},
        )
        self._set_fitted(fit, fit.W.T, X.shape[1])
        self.reconstruction_err_ = sklearn_error_from_loss(fit.loss, fit.loss_name)
        return fit.H.T.copy()

    def fit(self, X, y=None, W=None, H=None) -> "NMF":
        """Fit to X (n_samples × n_features)."""
        self.fit_transform(X, y, W=W, H=H)
        return self

    def _check_fitted(self):
        if not hasattr(self, "components_"):
            raise NMFInputError("this NMF instance is not fitted yet; call fit first")

    def transform(self, X) -> np.ndarray:
        """Encodings of new samples with the basis fixed: min_{H ≥ 0} L(Xᵀ, W H), over the
        observed entries when X has NaN (missing) entries."""
        self._check_fitted()
        X, W, mask = self._observed_features(X)
        Xt = X.T
        k = W.shape[1]
        hooks = {"solver": self.solver, "solver_options": self.solver_options,
                 "constraints_H": self.constraints_codes, "penalty_H": self.penalty_codes}
        if mask is None:
            update_H, _ = make_updates(self.method, self.loss, Xt.shape, k, **hooks)
            mean = Xt.mean()
        else:
            update_H, _ = _masked_updates(self.method, self.loss, Xt.shape, k, mask, hooks)
            mean = Xt.sum() / mask.sum()
        H0 = np.full((k, Xt.shape[1]), np.sqrt(max(mean, 1e-12) / k))
        fit = alternate_checked(Xt, W, H0, update_H, None, loss=self.loss,
                                max_iter=self.max_iter, tol=self.tol,
                                time_limit=self.time_limit, progress=self._progress(),
                                mask=mask)
        return fit.H.T.copy()

    def _observed_features(self, X):
        """(X, W, mask) for :meth:`transform`: X with its NaN entries 0 and the toolkit-
        orientation mask (None when nothing is missing); the features missing in every sample
        are dropped from X and from the basis W (they constrain no encoding)."""
        missing = _has_nan(X)
        A = (np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=float) if missing
             else check_matrix(X, finite_norm=True))
        if A.ndim == 2 and A.shape[1] != self.n_features_in_:
            raise NMFInputError(
                f"X has {A.shape[1]} features, but this NMF was fitted with "
                f"{self.n_features_in_}"
            )
        W = self.components_.T
        if not missing:
            return A, W, None
        if A.ndim != 2:
            check_matrix(A)                                   # names the shape problem
        seen = ~np.isnan(A).all(axis=0)
        if not seen.any():
            raise NMFInputError("every entry of X is missing (NaN): no sample can be encoded")
        A, observed = check_observed(A[:, seen])
        mask = None if observed is None else observed.T
        return A, W[seen], mask

    def inverse_transform(self, codes) -> np.ndarray:
        """Map encodings (n_samples × k) back to data space: codes @ components_."""
        self._check_fitted()
        codes = check_factor(codes, (np.shape(codes)[0], self.n_components_), "codes")
        return codes @ self.components_
