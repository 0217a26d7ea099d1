"""KL updates on the non-zeros of a sparse X (kernels/multiplicative.py, kernels/kl_cd.py): MU
on a sparse X equals MU on its dense form, coordinate descent is monotone and reaches the
exact (CVXPY) subproblem optimum, nothing is densified."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from nnmf_research import alternate, losses
from nnmf_research.checks import NMFInputError
from nnmf_research.kernels import HALS, KLCoordinateDescent, MultiplicativeKL
from nnmf_research.models.kl import kl_model


def sparse_counts(m, n, density, seed):
    X = sp.random(m, n, density=density, random_state=seed, format="csr")
    X.data = np.ceil(X.data * 6)
    return X


@pytest.fixture
def problem(rng):
    X = sparse_counts(80, 50, 0.1, 3)
    return X, rng.random((80, 4)) + 0.05, rng.random((4, 50)) + 0.05


def test_sparse_mu_step_equals_the_dense_mu_step(problem):
    X, W, H = problem
    np.testing.assert_allclose(MultiplicativeKL()(X, W, H),
                               MultiplicativeKL()(X.toarray(), W, H), rtol=1e-13)
    # the W-step by transposition reads the CSC transpose
    np.testing.assert_allclose(MultiplicativeKL()(X.T, H.T, W.T),
                               MultiplicativeKL()(X.toarray().T, H.T, W.T), rtol=1e-13)


def test_after_an_mu_step_the_reconstruction_total_equals_the_data_total(problem):
    X, W, H = problem
    H1 = MultiplicativeKL(eps=0.0)(X, W, H)
    assert (W @ H1).sum() == pytest.approx(X.sum(), rel=1e-12)
    W1 = MultiplicativeKL(eps=0.0)(X.T, H1.T, W.T).T
    assert (W1 @ H1).sum() == pytest.approx(X.sum(), rel=1e-12)


@pytest.mark.parametrize("update", [MultiplicativeKL(), KLCoordinateDescent()],
                         ids=["mu", "cd"])
def test_one_kl_step_never_increases_the_divergence(update, rng):
    for seed in range(5):
        X = sparse_counts(60, 40, 0.08, seed)
        W, H = rng.random((60, 3)) * 3, rng.random((3, 40)) * 3   # badly scaled start
        before = losses.kl(X, W, H)
        H1 = update(X, W, H)
        assert losses.kl(X, W, H1) <= before * (1 + 1e-13)
        W1 = update(X.T, H1.T, W.T).T
        assert losses.kl(X, W1, H1) <= losses.kl(X, W, H1) * (1 + 1e-13)


def test_coordinate_descent_reaches_the_exact_subproblem_optimum_of_the_cvxpy_model(problem):
    """Two independent methods: CD iterated to convergence and the exponential-cone model."""
    X, W, H = problem
    exact = kl_model(4, 80, 50, support=X)(X, W, H)
    H_cd = KLCoordinateDescent(inner_sweeps=400, eps=0.0)(X, W, H)
    assert losses.kl(X, W, H_cd) == pytest.approx(losses.kl(X, W, exact), rel=1e-8)
    np.testing.assert_allclose(H_cd, exact, atol=1e-4)   # CLARABEL's gap 1e-10


def test_coordinate_descent_on_a_dense_x_equals_it_on_the_same_sparse_x(problem):
    X, W, H = problem
    np.testing.assert_allclose(KLCoordinateDescent()(X.toarray(), W, H),
                               KLCoordinateDescent()(X, W, H), rtol=1e-12)


def test_coordinate_descent_sets_a_coordinate_on_no_data_to_the_floor(rng):
    """An empty column has f(s) = c·s: the minimiser over [eps, ∞) is eps."""
    X = sparse_counts(30, 10, 0.3, 0).tolil()
    X[:, 4] = 0
    X = X.tocsr()
    H = KLCoordinateDescent()(X, rng.random((30, 2)), rng.random((2, 10)) + 1)
    assert np.all(H[:, 4] == KLCoordinateDescent.eps)
    assert np.all(np.isfinite(H))


@pytest.mark.parametrize("method", ["mu", "cd"])
def test_alternate_runs_kl_nmf_on_a_sparse_x_without_densifying(method, huge_sparse_counts,
                                                               rng):
    X = huge_sparse_counts
    m, n = X.shape
    update = MultiplicativeKL() if method == "mu" else KLCoordinateDescent()
    W, H = rng.random((m, 3)) * 0.1, rng.random((3, n)) * 0.1
    fit = alternate(X, W, H, update, max_iter=3, tol=0)
    assert fit.n_iter == 3 and np.isfinite(fit.loss)
    assert all(b >= a * (1 - 1e-12) for a, b in zip(fit.history[1:], fit.history))


def test_alternate_refuses_a_sparse_x_for_an_update_that_would_densify_it(problem):
    X, W, H = problem
    def densifying(X, W, H, stats=None):        # declares no sparse = True
        return np.asarray(H)

    with pytest.raises(NMFInputError, match="does not read sparse input"):
        alternate(X, W, H, densifying)
    alternate(X, W, H, HALS(), max_iter=1)      # HALS reads a sparse X through WᵀX
    with pytest.raises(NMFInputError, match="X entry \\(0, 1\\) is negative"):
        bad = sp.csr_matrix(np.array([[1.0, -2.0], [0.0, 1.0]]))
        alternate(bad, np.ones((2, 1)), np.ones((1, 2)), MultiplicativeKL())


def test_kl_nmf_by_mu_on_sparse_x_follows_dense_mu_and_cd_is_monotone(problem):
    X, W, H = problem
    dense = alternate(X.toarray(), W, H, MultiplicativeKL(), max_iter=50, tol=0)
    sparse = alternate(X, W, H, MultiplicativeKL(), max_iter=50, tol=0)
    np.testing.assert_allclose(sparse.history, dense.history, rtol=1e-11)
    cd = alternate(X, W, H, KLCoordinateDescent(), max_iter=50, tol=0)
    assert np.all(np.diff(cd.history) <= 1e-12 * cd.history[0])
    assert cd.loss == pytest.approx(losses.kl(X.toarray(), cd.W, cd.H), rel=1e-12)


def test_factorize_runs_kl_on_a_sparse_x_by_mu_cd_and_cvxpy_as_on_its_dense_form(problem):
    from nnmf_research import factorize

    X, W, H = problem
    for method in ("mu", "cd"):
        sparse = factorize(X, 4, loss="kl", method=method, W=W, H=H, max_iter=30, tol=0)
        dense = factorize(X.toarray(), 4, loss="kl", method=method, W=W, H=H, max_iter=30,
                          tol=0)
        np.testing.assert_allclose(sparse.history, dense.history, rtol=1e-10)
        assert sparse.relative_error == pytest.approx(dense.relative_error, rel=1e-10)
    small = X[:30, :20]
    fit = factorize(small, 2, loss="kl", method="cvxpy", init="random", random_state=0,
                    max_iter=3, tol=0)
    assert all(b <= a * (1 + 1e-6) for a, b in zip(fit.history, fit.history[1:]))
    assert fit.loss == pytest.approx(losses.kl(small.toarray(), fit.W, fit.H), rel=1e-12)


def test_factorize_names_the_methods_of_each_loss():
    from nnmf_research import factorize

    with pytest.raises(NMFInputError, match="method 'cd' supports loss 'kl' only; for loss "
                                            "'frobenius' use one of: mu, hals, anls, cvxpy"):
        factorize(np.ones((4, 3)), 1, loss="frobenius", method="cd")
