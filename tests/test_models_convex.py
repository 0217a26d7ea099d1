"""The Gram-form CVXPY block models of semi/convex NMF against the multiplicative rules."""

import cvxpy as cp
import numpy as np
import pytest
from sklearn.datasets import load_iris

from nnmf_research import ModelNotDPPError
from nnmf_research.convex import convex_init
from nnmf_research.kernels.convex import kernel_loss, mu_G, mu_W, neg, pos, semi_F, semi_loss
from nnmf_research.models.convex import g_model, w_model


@pytest.fixture(scope="module")
def iris():
    d = load_iris().data
    return ((d - d.mean(0)) / d.std(0)).T


def test_models_are_dpp_in_gram_form_with_parameters_n_by_k_and_k_by_k(iris):
    n, k = iris.shape[1], 3
    gm, wm = g_model(n, k), w_model(iris.T @ iris, k)
    for model in (gm, wm):
        assert model.problem.is_dcp(dpp=True)
        assert sorted(p.shape for p in model.parameters.values()) == [(k, k), (n, k)]
    assert wm.solver == "OSQP" and gm.solver == "OSQP"


def test_g_model_equals_mu_run_to_convergence_on_the_same_block():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 30))
    F = rng.standard_normal((6, 3))
    G = rng.random((30, 3)) + 0.2
    exact = g_model(30, 3)(X.T @ F, F.T @ F, G)
    for _ in range(20000):
        G = mu_G(X.T @ F, F.T @ F, G)
    assert semi_loss(X, F, exact) == pytest.approx(semi_loss(X, F, G), rel=1e-5)
    assert semi_loss(X, F, exact) <= semi_loss(X, F, G) * (1 + 1e-9)


def test_w_model_equals_mu_run_to_convergence_on_the_same_block(iris):
    K = iris.T @ iris
    G, W = convex_init(iris, 3, random_state=0)
    Kp, Km = pos(K), neg(K)
    for _ in range(50):
        G = mu_G(K @ W, W.T @ K @ W, G)
        W = mu_W(Kp, Km, W, G)
    exact = w_model(K, 3)(W, G)
    Wmu = W
    for _ in range(20000):
        Wmu = mu_W(Kp, Km, Wmu, G)
    assert kernel_loss(K, exact, G) == pytest.approx(kernel_loss(K, Wmu, G), rel=1e-5)
    assert exact.min() >= 0


def test_a_model_compiles_once_and_resolves_by_parameters(iris):
    X = iris
    model = g_model(X.shape[1], 2)
    problem = model.problem
    G0 = np.ones((X.shape[1], 2))
    for seed in range(3):
        F = np.random.default_rng(seed).standard_normal((4, 2))
        G = model(X.T @ F, F.T @ F, G0)
        assert model.problem is problem
        # exact: no projected-gradient step improves it
        assert semi_loss(X, F, G) <= semi_loss(X, F, np.maximum(G + 1e-3, 0)) + 1e-9


def test_constraints_hook_acts_on_the_factor(iris):
    K = iris.T @ iris
    G, W = convex_init(iris, 3, random_state=0)
    capped = w_model(K, 3, constraints=lambda Wv: [cp.sum(Wv, axis=0) == 1])(W, G)
    np.testing.assert_allclose(capped.sum(axis=0), 1.0, atol=1e-5)
    G1 = g_model(150, 3, constraints=lambda Gv: [Gv <= 0.5])(K @ W, W.T @ K @ W, G)
    assert G1.max() <= 0.5 + 1e-6


def test_a_non_dpp_penalty_is_refused_at_build_time():
    with pytest.raises(ModelNotDPPError):
        g_model(5, 2, penalty=lambda G: -cp.sum_squares(G))


def test_semi_F_is_the_least_squares_basis():
    rng = np.random.default_rng(0)
    X, G = rng.standard_normal((5, 20)), rng.random((20, 3))
    F = semi_F(X, G)
    np.testing.assert_allclose(F, X @ G @ np.linalg.inv(G.T @ G), rtol=1e-10)


@pytest.mark.parametrize("scale", [1e-3, 1e4])
def test_block_solutions_do_not_depend_on_the_scale_of_x(iris, scale):
    # Both models pass the solver data divided by traces (module docstring, "Scaling"), so
    # X and scale·X give the same blocks: OSQP's absolute tolerances see the same numbers.
    from scipy.optimize import nnls

    rng = np.random.default_rng(4)
    n, k = iris.shape[1], 3
    G0, W0 = rng.random((n, k)) + 0.2, rng.random((n, k)) / n   # F = X W0 of full rank
    for Y in (iris, scale * iris):
        F = Y @ W0
        G = g_model(n, k)(Y.T @ F, F.T @ F, G0)
        exact = np.array([nnls(F, y)[0] for y in Y.T])   # row i: min ‖y_i − F g‖, g ≥ 0
        np.testing.assert_allclose(G, exact, rtol=0, atol=1e-6 * exact.max())
    K = iris.T @ iris
    W = w_model(K, k)(W0, G)
    Wy = w_model(scale**2 * K, k)(W0, G)
    assert kernel_loss(scale**2 * K, Wy, G) == pytest.approx(scale**2 * kernel_loss(K, W, G),
                                                             rel=1e-7)
    np.testing.assert_allclose(Wy, W, rtol=1e-6, atol=1e-9 * W.max())
