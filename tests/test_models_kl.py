"""The KL CVXPY model: exact KL subproblem solutions with known answers."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

from nnmf_research import losses
from nnmf_research.kernels import MultiplicativeKL
from nnmf_research.models.kl import kl_model


def test_kl_model_recovers_h_exactly_when_x_is_in_the_cone_of_w(rng):
    m, n, k = 12, 7, 3
    W = rng.uniform(0.2, 1.0, (m, k))
    H_true = rng.uniform(0.2, 1.0, (k, n))
    H = kl_model(k, m, n)(W @ H_true, W, np.ones((k, n)))
    np.testing.assert_allclose(H, H_true, rtol=1e-4, atol=1e-5)


def test_kl_model_matches_many_mu_steps_to_convergence(rng):
    """Both minimise the same convex KL subproblem; MU iterated long enough reaches it."""
    m, n, k = 15, 6, 3
    X, W = rng.random((m, n)), rng.random((m, k))
    exact = losses.kl(X, W, kl_model(k, m, n)(X, W, np.ones((k, n))))
    H = np.ones((k, n))
    for _ in range(5000):
        H = MultiplicativeKL(eps=0.0)(X, W, H)
    assert losses.kl(X, W, H) == pytest.approx(exact, rel=1e-5)
    assert exact <= losses.kl(X, W, H) * (1 + 1e-7)


def test_kl_model_objective_equals_our_kl_loss(rng):
    m, n, k = 8, 5, 2
    X, W = rng.random((m, n)), rng.random((m, k))
    X[0, 0] = 0.0  # 0 log 0 = 0 in both
    model = kl_model(k, m, n)
    H = model(X, W, np.ones((k, n)))
    assert model.problem.value == pytest.approx(losses.kl(X, W, H), rel=1e-6)


def test_plsi_style_simplex_columns_are_one_argument(rng):
    m, n, k = 10, 6, 3
    X, W = rng.random((m, n)), rng.random((m, k))
    H = kl_model(k, m, n, constraints=lambda H: [cp.sum(H, axis=0) == 1])(X, W,
                                                                           np.ones((k, n)))
    np.testing.assert_allclose(H.sum(axis=0), 1.0, atol=1e-6)
