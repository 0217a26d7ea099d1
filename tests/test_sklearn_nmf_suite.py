"""scikit-learn's own NMF test module, run unedited against this toolkit (issue 16).

The file is the one shipped inside the installed scikit-learn
(``sklearn/decomposition/tests/test_nmf.py``), executed as it is. While it is imported, the
names it takes from ``sklearn.decomposition`` are redirected to ours: ``NMF``,
``MiniBatchNMF`` and ``non_negative_factorization`` to :mod:`nnmf_research.estimator`, and
the internals it reads through ``_nmf`` to the toolkit's equivalents (:data:`INTERNALS`).
Every assertion is scikit-learn's; the only additions are the xfail marks of
:data:`CONVENTIONS`, each a difference of convention listed with its reason in the README
("NMF, scikit-learn style"); they are strict, so one that starts passing fails the suite.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.decomposition as sk_decomposition

from nnmf_research import estimator, init, losses, sparse_support

SKLEARN_TESTS = Path(sk_decomposition.__file__).parent / "tests" / "test_nmf.py"


def _initialize_nmf(X, n_components, init=None, eps=1e-6, random_state=None):
    """scikit-learn's ``_initialize_nmf`` (sklearn orientation) → :func:`init.initialize`."""
    W, H = init_module.initialize(X.T if not sp.issparse(X) else X.T.tocsr(), n_components,
                                  init, estimator._seed(random_state))
    return H.T, W.T


def _special_sparse_dot(W, H, X):
    """WH on the non-zeros of a sparse X (a dense X: WH) → :mod:`sparse_support`."""
    if not sp.issparse(X):
        return W @ H
    rows, cols, _ = sparse_support.support(X)
    return sparse_support.with_values(X, sparse_support.product_on_support(W, H, rows, cols))


def _beta_divergence(X, W, H, beta, square_root=False):
    """scikit-learn's ``_beta_divergence`` → :func:`losses.beta_divergence`."""
    return losses.beta_divergence(X, W, H, beta, square_root=square_root)


init_module = init
INTERNALS = {"_initialize_nmf": _initialize_nmf, "_special_sparse_dot": _special_sparse_dot,
             "_beta_divergence": _beta_divergence}

CONVENTIONS: dict[str, str] = {}
"""Test name → the difference of convention that makes it fail (README lists each)."""


def _load():
    internals = types.ModuleType("sklearn.decomposition._nmf")
    internals.__dict__.update(INTERNALS)
    redirected = types.ModuleType("sklearn.decomposition")
    redirected.__dict__.update(vars(sk_decomposition))
    redirected.__dict__.update(
        NMF=estimator.NMF, non_negative_factorization=estimator.non_negative_factorization,
        MiniBatchNMF=getattr(estimator, "MiniBatchNMF", None), _nmf=internals)
    spec = importlib.util.spec_from_file_location("sklearn_test_nmf", SKLEARN_TESTS)
    module = importlib.util.module_from_spec(spec)
    saved = sys.modules["sklearn.decomposition"]
    sys.modules["sklearn.decomposition"] = redirected
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules["sklearn.decomposition"] = saved
    return module


_module = _load()
for _name, _test in vars(_module).items():
    if _name.startswith("test_") and callable(_test):
        if _name in CONVENTIONS:
            _test = pytest.mark.xfail(reason=CONVENTIONS[_name], strict=True)(_test)
        globals()[_name] = _test


def test_the_adapter_runs_the_installed_module_unedited():
    """The module run here is scikit-learn's file byte for byte, and every one of its tests
    is collected from it."""
    source = SKLEARN_TESTS.read_text()
    assert "from sklearn.decomposition import NMF, MiniBatchNMF" in source
    names = [n for n in vars(_module) if n.startswith("test_")]
    assert len(names) >= 40 and all(n in globals() for n in names)
    assert _module.NMF is estimator.NMF and _module.nmf._initialize_nmf is _initialize_nmf
    assert np is not None
