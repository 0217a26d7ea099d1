"""The Frobenius CVXPY model: closed-form answers for each kind of added constraint, the Gram
form against the direct form, and the numpy kernels against the model."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from scipy.optimize import nnls

from nnmf_research import losses
from nnmf_research.drivers.alternating import alternate
from nnmf_research.models.frobenius import frobenius_model


def project_columns_onto_simplex(X):
    """Euclidean projection of each column onto {h >= 0, sum h = 1}, by the sort-based
    algorithm of Duchi, Shalev-Shwartz, Singer & Chandra (ICML 2008): an independent check."""
    out = np.empty_like(X)
    for j, v in enumerate(X.T):
        u = np.sort(v)[::-1]
        css = np.cumsum(u)
        idx = np.arange(1, len(v) + 1)
        rho = np.nonzero(u * idx > (css - 1))[0][-1]
        theta = (css[rho] - 1) / (rho + 1)
        out[:, j] = np.maximum(v - theta, 0)
    return out


@pytest.fixture
def identity_problem(rng):
    """With W = I the H-subproblem is min ‖H − X‖²: every constraint has a closed form."""
    k, n = 6, 9
    return rng.random((k, n)) * 2, np.eye(k), np.ones((k, n))


def test_simplex_columns_give_the_euclidean_projection_onto_the_simplex(identity_problem):
    X, W, H0 = identity_problem
    model = frobenius_model(*X.shape, constraints=lambda H: [cp.sum(H, axis=0) == 1])
    H = model(X, W, H0)
    np.testing.assert_allclose(H, project_columns_onto_simplex(X), atol=1e-6)
    np.testing.assert_allclose(H.sum(axis=0), 1.0, atol=1e-7)


def test_l1_penalty_gives_soft_thresholding(identity_problem):
    X, W, H0 = identity_problem
    lam = 0.8  # min ‖H − X‖² + lam·ΣH, H >= 0  =>  H = max(X − lam/2, 0)
    model = frobenius_model(*X.shape, penalty=lambda H: lam * cp.sum(H))
    np.testing.assert_allclose(model(X, W, H0), np.maximum(X - lam / 2, 0), atol=1e-6)


def test_entry_upper_bounds_give_clipping(identity_problem):
    X, W, H0 = identity_problem
    model = frobenius_model(*X.shape, constraints=lambda H: [H <= 0.5])
    np.testing.assert_allclose(model(X, W, H0), np.minimum(X, 0.5), atol=1e-6)


def test_fixed_zero_pattern_equals_nnls_on_the_allowed_support(rng):
    m, n, k = 30, 8, 5
    X, W = rng.random((m, n)), rng.random((m, k))
    mask = rng.random((k, n)) < 0.4  # entries forced to zero
    model = frobenius_model(k, n, constraints=lambda H: [cp.multiply(mask.astype(float), H) == 0])
    H = model(X, W, np.ones((k, n)))
    for j in range(n):
        free = ~mask[:, j]
        expected = np.zeros(k)
        if free.any():
            expected[free] = nnls(W[:, free], X[:, j])[0]
        np.testing.assert_allclose(H[:, j], expected, atol=1e-6)
    assert np.all(H[mask] <= 1e-9)


def test_gram_form_gives_the_same_h_as_the_direct_form(rng):
    m, n, k = 40, 12, 4
    X, W = rng.random((m, n)), rng.random((m, k))
    H0 = np.ones((k, n))
    gram = frobenius_model(k, n)(X, W, H0)
    direct = frobenius_model(k, n, m=m, form="direct")(X, W, H0)
    np.testing.assert_allclose(gram, direct, atol=1e-6)
    assert losses.frobenius(X, W, gram) == pytest.approx(losses.frobenius(X, W, direct),
                                                         rel=1e-8)


def test_gram_form_handles_more_components_than_rows(rng):
    m, n, k = 3, 10, 5  # qr(W).R is 3×5; padded to 5×5
    X, W = rng.random((m, n)), rng.random((m, k))
    H = frobenius_model(k, n)(X, W, np.ones((k, n)))
    expected = np.column_stack([nnls(W, X[:, j])[0] for j in range(n)])
    assert losses.frobenius(X, W, H) == pytest.approx(losses.frobenius(X, W, expected),
                                                      rel=1e-6)


def test_model_is_built_once_and_resolved_by_setting_parameters(rng):
    m, n, k = 20, 10, 3
    model = frobenius_model(k, n)
    problem = model.problem
    for _ in range(3):
        X, W = rng.random((m, n)), rng.random((m, k))
        H = model(X, W, np.ones((k, n)))
        expected = np.column_stack([nnls(W, X[:, j])[0] for j in range(n)])
        np.testing.assert_allclose(H, expected, atol=1e-7)
    assert model.problem is problem
    assert problem.is_dcp(dpp=True)


def test_w_entries_at_most_one_as_a_constraint_on_the_transposed_model(planted):
    X, _, _ = planted
    m, n = X.shape
    k = 5
    gen = np.random.default_rng(0)
    W0, H0 = gen.random((m, k)), gen.random((k, n))
    fit = alternate(X, W0, H0, frobenius_model(k, n),
                    frobenius_model(k, m, constraints=lambda Wt: [Wt <= 1]),
                    max_iter=15, tol=0)
    assert fit.W.max() <= 1 + 1e-7
    steps = np.diff(fit.history)
    assert steps.max() <= 1e-9 * fit.history[0]  # exact block minimisation is monotone


def test_clarabel_and_osqp_agree_on_the_same_model(rng):
    m, n, k = 25, 7, 3
    X, W = rng.random((m, n)), rng.random((m, k))
    H0 = np.ones((k, n))
    a = frobenius_model(k, n, solver="OSQP")(X, W, H0)
    b = frobenius_model(k, n, solver="CLARABEL")(X, W, H0)
    assert losses.frobenius(X, W, a) == pytest.approx(losses.frobenius(X, W, b), rel=1e-6)
