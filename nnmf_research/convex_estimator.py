"""``SemiNMF`` and ``ConvexNMF``: Ding, Li & Jordan's factorizations as scikit-learn estimators.

Ding, Li & Jordan, "Convex and Semi-Nonnegative Matrix Factorizations", IEEE TPAMI 32(1),
2010. Both factor a data matrix of any sign and are read as soft clusterings, so the
estimators behave like scikit-learn's ``NMF`` (``fit_transform``, ``components_``,
``inverse_transform``) and like ``KMeans`` (``labels_``, ``fit_predict``, ``predict``).

Orientation. ``fit(X)`` takes X of shape (n_samples, n_features), rows are samples, as in
scikit-learn. The library (:mod:`nnmf_research.convex`) factorizes the transpose,
Xᵀ ≈ F Gᵀ with F (n_features × k) and G (n_samples × k) ≥ 0, so

==========================  ==================================  ==========================
this class                  library (``semi_nmf``/``convex_nmf``)  meaning
==========================  ==================================  ==========================
``fit_transform(X)``        G (n_samples × k), ≥ 0               soft cluster memberships
``components_``             Fᵀ (k × n_features), any sign        cluster prototypes
``weights_`` (ConvexNMF)    W (n_samples × k), ≥ 0               components_ = weights_ᵀ X
``labels_``                 argmax over the rows of G            the paper's clustering
``loss_``                   ‖Xᵀ − F Gᵀ‖²_F (no ½)
==========================  ==================================  ==========================

so X ≈ ``fit_transform(X) @ components_``. ``transform(X_new)`` solves the G-step with the
basis fixed exactly, min_{G ≥ 0} ‖X_newᵀ − F Gᵀ‖²_F (a non-negative least-squares problem per
sample, :class:`~nnmf_research.kernels.ANLS`); ``predict`` is its argmax. ``factorization_``
holds the library's :class:`~nnmf_research.results.ConvexFactorization`.

Example
-------
>>> import numpy as np
>>> X = np.array([[1.0, 2.0], [1.1, 2.1], [-1.0, 0.5], [-0.9, 0.4]])   # 4 samples
>>> est = SemiNMF(n_components=2, random_state=0).fit(X)
>>> bool(est.labels_[0] == est.labels_[1] != est.labels_[2] == est.labels_[3])
True
>>> bool(np.array_equal(est.predict(X), est.labels_))
True
"""

from __future__ import annotations

import inspect

import numpy as np

from .checks import NMFInputError
from .convex import check_real_matrix, convex_nmf, semi_nmf
from .kernels import ANLS
from .results import fitted_attributes

__all__ = ["SemiNMF", "ConvexNMF"]


class ParamsMixin:
    """scikit-learn's parameter protocol from the ``__init__`` signature: ``get_params``,
    ``set_params`` (unknown names refused), a repr listing the changed hyperparameters.
    Used by :class:`SemiNMF` and :class:`ConvexNMF`; :class:`~nnmf_research.NMF` has
    scikit-learn's own (it derives from ``BaseEstimator``)."""

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
        vars(self).update(fitted_attributes(fit, components, n_features))


class _DingLiJordan(ParamsMixin):
    """What SemiNMF and ConvexNMF share: hyperparameters, fitted attributes, transform."""

    _library = staticmethod(semi_nmf)

    def __init__(self, n_components=2, *, method="mu", init="kmeans", max_iter=500,
                 tol=1e-6, time_limit=None, random_state=None, solver=None, verbose=0):
        self.n_components = n_components
        self.method = method
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.time_limit = time_limit
        self.random_state = random_state
        self.solver = solver
        self.verbose = verbose

    def fit_transform(self, X, y=None) -> np.ndarray:
        """Fit to X (n_samples × n_features, any sign); return G (n_samples × k) ≥ 0."""
        X = check_real_matrix(X)
        fit = self._library(X.T, self.n_components, method=self.method, init=self.init,
                            max_iter=self.max_iter, tol=self.tol,
                            time_limit=self.time_limit, random_state=self.random_state,
                            solver=self.solver,
                            progress=float(self.verbose) if self.verbose else None)
        self._set_fitted(fit, fit.F.T, X.shape[1])
        self.labels_ = fit.labels
        return fit.G.copy()

    def fit(self, X, y=None):
        """Fit to X (n_samples × n_features, any sign)."""
        self.fit_transform(X)
        return self

    def fit_predict(self, X, y=None) -> np.ndarray:
        """Fit and return the cluster of each sample (``labels_``)."""
        return self.fit(X).labels_

    def _check_fitted(self):
        if not hasattr(self, "components_"):
            raise NMFInputError(f"this {type(self).__name__} instance is not fitted yet; call "
                                "fit first")

    def transform(self, X) -> np.ndarray:
        """Memberships of new samples, basis fixed: min_{G ≥ 0} ‖Xᵀ − F Gᵀ‖²_F exactly."""
        self._check_fitted()
        X = check_real_matrix(X)
        if X.shape[1] != self.n_features_in_:
            raise NMFInputError(f"X has {X.shape[1]} features, but this "
                                f"{type(self).__name__} was fitted with {self.n_features_in_}")
        F = self.components_.T
        return ANLS()(X.T, F, np.zeros((F.shape[1], X.shape[0]))).T

    def predict(self, X) -> np.ndarray:
        """The cluster of each new sample: argmax of its memberships."""
        return np.argmax(self.transform(X), axis=1)

    def inverse_transform(self, G) -> np.ndarray:
        """Back to data space: G @ components_."""
        self._check_fitted()
        return np.asarray(G, dtype=float) @ self.components_


class SemiNMF(_DingLiJordan):
    """Semi-NMF X ≈ G Fᵀ with G ≥ 0 and F free (Ding, Li & Jordan 2010, §3), rows = samples.

    Parameters
    ----------
    n_components : int, the number of factors (clusters) k
    method : "mu" (the paper's multiplicative G-rule) or "cvxpy" (exact NNLS G-step)
    init : "kmeans" (k-means indicator + 0.2, the paper's) or "random"
    max_iter, tol, time_limit : stopping rules of the block-coordinate loop
    random_state : None, int or numpy Generator (seeds the k-means start)
    solver : CVXPY solver for ``method="cvxpy"``
    verbose : 0 silent; > 0 a progress line every ``verbose`` seconds on stderr
    """

    _library = staticmethod(semi_nmf)


class ConvexNMF(_DingLiJordan):
    """Convex NMF X ≈ G Wᵀ X with W, G ≥ 0 (Ding, Li & Jordan 2010, §4), rows = samples:
    every prototype (row of ``components_``) is a non-negative combination of training
    samples, ``components_ = weights_.T @ X``. Parameters as :class:`SemiNMF`; ``method="cvxpy"``
    minimizes both blocks exactly (OSQP, see :mod:`nnmf_research.models.convex`).
    """

    _library = staticmethod(convex_nmf)

    def fit_transform(self, X, y=None) -> np.ndarray:
        G = super().fit_transform(X, y)
        self.weights_ = self.factorization_.W.copy()
        return G
