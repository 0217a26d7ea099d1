"""The ``masked_holdout`` cell kind of the ``missing_values`` experiment: it hides entries of
the full matrix itself, fits the rest and scores the hidden ones."""

import numpy as np
import pytest

from nnmf_research.checks import NMFInputError
from nnmf_research.datasets import load_dataset
from nnmf_research.reproduce.cells import run_method


@pytest.fixture(scope="module")
def planted():
    return load_dataset("planted_noisy", m=40, n=30, k=3, noise=0.0, seed=4).X


def _cell(X, k, seed=0, **params):
    return run_method("masked_holdout", X, k, None, None, np.random.default_rng([seed, 0, 1]),
                      params)


@pytest.mark.parametrize("method,max_iter", [("hals", 3000), ("anls", 300), ("cvxpy", 50)])
def test_masked_fits_recover_the_hidden_entries_and_mean_fill_does_not(planted, method,
                                                                         max_iter):
    # the criterion: exact planted product, 30 % hidden, relative error < 1e-4
    out = _cell(planted, 3, method=method, missing=0.3, max_iter=max_iter, tol=1e-14)
    assert out.extra["heldout_relative_error"] < 1e-4
    base = _cell(planted, 3, method="hals", fill="mean", missing=0.3, max_iter=max_iter,
                 tol=1e-14)
    assert base.extra["heldout_relative_error"] > 1e-2


def test_the_hidden_entries_are_the_seeded_draw(planted):
    out = _cell(planted, 3, method="mu", missing=0.4, max_iter=5)
    expected = np.mean(np.random.default_rng([0, 0, 1]).random(planted.shape) < 0.4)
    assert out.extra["missing_fraction"] == pytest.approx(expected)
    other = _cell(planted, 3, seed=1, method="mu", missing=0.4, max_iter=5)
    assert other.extra["missing_fraction"] != out.extra["missing_fraction"]


def test_with_nothing_hidden_masked_and_mean_fill_are_the_same_fit(planted):
    a = _cell(planted, 3, method="hals", missing=0.0, max_iter=30)
    b = _cell(planted, 3, method="hals", fill="mean", missing=0.0, max_iter=30)
    np.testing.assert_array_equal(a.W, b.W)
    assert "heldout_relative_error" not in a.extra            # undefined: nothing hidden
    assert a.extra["observed_relative_error"] == pytest.approx(
        np.linalg.norm(planted - a.W @ a.H) / np.linalg.norm(planted))


@pytest.mark.parametrize("params,message", [
    ({"missing": 1.0}, r"missing = 1.0: the hidden fraction must be in \[0, 1\)"),
    ({"missing": -0.1}, "the hidden fraction must be in"),
    ({"fill": "median"}, "fill"),
])
def test_bad_parameters_are_named(planted, params, message):
    with pytest.raises(NMFInputError, match=message):
        _cell(planted, 3, **params)
