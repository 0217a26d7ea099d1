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


# --- the sparse form: exponential cones on the non-zeros only ---

import scipy.sparse as sp  # noqa: E402

from nnmf_research.checks import NMFInputError  # noqa: E402
from nnmf_research.kernels import MultiplicativeKL  # noqa: E402


def _sparse_x(m, n, seed):
    X = sp.random(m, n, density=0.15, random_state=seed, format="csr")
    X.data = np.ceil(X.data * 5)
    return X


@pytest.mark.filterwarnings("ignore:CLARABEL returned 'optimal_inaccurate'")  # the dense one
def test_sparse_kl_model_solves_the_dense_models_problem_with_cones_only_on_non_zeros(rng):
    m, n, k = 30, 20, 3
    X, W = _sparse_x(m, n, 0), rng.random((m, k)) + 0.1
    sparse_model, dense_model = kl_model(k, m, n, support=X), kl_model(k, m, n)
    assert sparse_model.problem.is_dcp(dpp=True)
    H_sparse = sparse_model(X, W, np.ones((k, n)))
    H_dense = dense_model(X.toarray(), W, np.ones((k, n)))
    assert sparse_model.problem.value == pytest.approx(losses.kl(X, W, H_sparse), rel=1e-7)
    assert losses.kl(X, W, H_sparse) == pytest.approx(losses.kl(X, W, H_dense), rel=1e-7)
    assert X.nnz < m * n / 4 and f"nnz={X.nnz}" in sparse_model.name


def test_sparse_kl_model_matches_many_sparse_mu_steps(rng):
    m, n, k = 25, 15, 2
    X, W = _sparse_x(m, n, 1), rng.random((m, k)) + 0.1
    exact = losses.kl(X, W, kl_model(k, m, n, support=X)(X, W, np.ones((k, n))))
    H = np.ones((k, n))
    for _ in range(5000):
        H = MultiplicativeKL(eps=0.0)(X, W, H)
    assert losses.kl(X, W, H) == pytest.approx(exact, rel=1e-5)


def test_sparse_kl_model_resolves_with_new_values_and_w_and_refuses_another_pattern(rng):
    m, n, k = 20, 12, 2
    X = _sparse_x(m, n, 2)
    model = kl_model(k, m, n, support=X)
    X2 = X.copy()
    X2.data = X2.data * 2.0          # same pattern, new values: a re-solve
    W = rng.random((m, k)) + 0.1
    H = model(X2, W, np.ones((k, n)))
    assert model.problem.value == pytest.approx(losses.kl(X2, W, H), rel=1e-7)
    other = _sparse_x(m, n, 3)
    with pytest.raises(NMFInputError, match="non-zeros outside the support"):
        model(other, W, np.ones((k, n)))
    with pytest.raises(NMFInputError, match="dense KL model; for a sparse X"):
        kl_model(k, m, n)(X, W, np.ones((k, n)))


def test_sparse_kl_model_size_limit_counts_non_zeros():
    X = sp.csr_matrix((np.ones(3), ([0, 5, 9], [0, 100, 999])), shape=(10, 1000))
    kl_model(1, 10, 1000, support=X)      # 10000 entries but 3 cones: built
    with pytest.raises(NMFInputError, match="10000 exponential cones"):
        kl_model(1, 10, 1000)
