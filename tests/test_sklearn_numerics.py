"""scikit-learn parity, the numerical half (issue 16, parts 3-5): β-divergences equal to
scikit-learn's ``_beta_divergence``; from the same start our β-MU gives scikit-learn's ``mu``
iterates and our HALS with its regularization gives its ``cd`` iterates; sparse X gives the
dense X's iterates (never densified).

Orientation: scikit-learn fits S (n_samples × n_features) ≈ W_sk H_sk; ours X = Sᵀ ≈ W H with
W = H_skᵀ, H = W_skᵀ, so scikit-learn's alpha_W is our alpha_H and the other way round."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from nnmf_research import factorize, losses
from nnmf_research.checks import NMFInputError

sk_nmf = pytest.importorskip("sklearn.decomposition._nmf")
from sklearn.decomposition import non_negative_factorization  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

BETAS = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0]


def _data(sparse: bool, beta: float, seed: int = 0):
    """S (30 × 20) and a start (W0, H0) in scikit-learn's orientation. Sparse S has 30 %
    stored entries, or every entry stored (no zero) for β ≤ 0, where a zero is infinite."""
    rng = np.random.default_rng(seed)
    S = rng.random((30, 20)) + 0.1
    if sparse:
        S = sp.csr_matrix(S) if beta <= 0 else sp.random(30, 20, density=0.3, format="csr",
                                                        random_state=seed) * 3.0
    return S, rng.random((30, 4)) + 0.1, rng.random((4, 20)) + 0.1


def _sklearn(S, W0, H0, n_iter, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        W, H, _ = non_negative_factorization(S, W=W0.copy(), H=H0.copy(), n_components=4,
                                             init="custom", tol=0, max_iter=n_iter,
                                             **options)
    return W, H


def _ours(S, W0, H0, n_iter, alpha_W_sk=0.0, alpha_H_sk="same", **options):
    fit = factorize(S.T, 4, W=H0.T, H=W0.T, max_iter=n_iter, tol=0,
                    alpha_W=alpha_W_sk if alpha_H_sk == "same" else alpha_H_sk,
                    alpha_H="same" if alpha_H_sk == "same" else alpha_W_sk, **options)
    return fit.H.T, fit.W.T


def _gap(ours, theirs) -> float:
    return max(float(np.max(np.abs(a - b))) / float(np.max(np.abs(b)))
               for a, b in zip(ours, theirs))


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("beta", BETAS + [-0.5, 2.5])
def test_beta_divergence_is_sklearns(beta, sparse):
    S, W0, H0 = _data(sparse, beta)
    ours = losses.beta_divergence(S, W0, H0, beta)
    theirs = sk_nmf._beta_divergence(S, W0, H0, beta)
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert losses.beta_divergence(S, W0, H0, beta, square_root=True) == pytest.approx(
        sk_nmf._beta_divergence(S, W0, H0, beta, square_root=True), rel=1e-12)


def test_named_losses_are_the_beta_divergences():
    S, W0, H0 = _data(False, 1.0)
    assert losses.loss(2, S, W0, H0) == pytest.approx(2 * losses.beta_divergence(S, W0, H0, 2))
    assert losses.loss(1.0, S, W0, H0) == pytest.approx(losses.kl(S, W0, H0), rel=1e-14)
    assert losses.check_loss("kullback-leibler") == "kl"
    assert losses.check_loss(0) == "itakura-saito"
    assert losses.check_loss(losses.check_loss(1.25)) == "beta=1.25"
    with pytest.raises(NMFInputError, match="unknown loss"):
        losses.check_loss("hellinger")


def test_kl_of_sparse_x_does_not_raise_and_equals_dense():
    S, W0, H0 = _data(True, 1.0)
    assert losses.kl(S, W0, H0) == pytest.approx(losses.kl(S.toarray(), W0, H0), rel=1e-13)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("beta", BETAS)
def test_beta_mu_gives_sklearn_mu_iterates(beta, sparse):
    S, W0, H0 = _data(sparse, beta)
    theirs = _sklearn(S, W0, H0, 40, solver="mu", beta_loss=beta)
    ours = _ours(S, W0, H0, 40, method="mu", loss=beta,
                 kernel_options={"eps": 0.0, "zero_below": "sklearn"})
    assert _gap(ours, theirs) < 1e-10


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_regularized_mu_gives_sklearn_mu_iterates(beta):
    S, W0, H0 = _data(False, beta)
    theirs = _sklearn(S, W0, H0, 30, solver="mu", beta_loss=beta, alpha_W=0.01,
                      alpha_H=0.02, l1_ratio=0.3)
    ours = _ours(S, W0, H0, 30, alpha_W_sk=0.01, alpha_H_sk=0.02, l1_ratio=0.3,
                 method="mu", loss=beta, kernel_options={"eps": 0.0, "zero_below": "sklearn"})
    assert _gap(ours, theirs) < 1e-10


@pytest.mark.parametrize("sparse,alpha_W,alpha_H,l1_ratio", [
    (False, 0.1, 0.1, 0.5), (True, 0.1, 0.1, 0.5), (False, 0.02, 0.05, 0.2)])
def test_regularized_hals_gives_sklearn_cd_iterates(sparse, alpha_W, alpha_H, l1_ratio):
    S, W0, H0 = _data(sparse, 2.0)
    penalty = dict(alpha_W=alpha_W, alpha_H=alpha_H, l1_ratio=l1_ratio)
    theirs = _sklearn(S, W0, H0, 50, solver="cd", **penalty)
    ours = _ours(S, W0, H0, 50, alpha_W_sk=alpha_W, alpha_H_sk=alpha_H, l1_ratio=l1_ratio,
                 method="hals", kernel_options={"alpha": 0.0, "eps": 0.0})
    assert _gap(ours, theirs) < 1e-6


def test_regularized_anls_step_is_the_cvxpy_qp():
    """The kernel's exact regularized step (ridge by stacking, l1 by shifting d) and the
    CVXPY QP of the same objective: two independent solutions of one problem."""
    S, W0, H0 = _data(False, 2.0)
    X = S.T
    common = dict(W=H0.T, H=W0.T, max_iter=1, tol=0, alpha_W=0.05, l1_ratio=0.4)
    a = factorize(X, 4, method="anls", **common)
    b = factorize(X, 4, method="cvxpy", solver_options={"eps_abs": 1e-10, "eps_rel": 1e-10},
                  **common)
    assert np.max(np.abs(a.H - b.H)) < 1e-5 * np.max(b.H)
    assert np.max(np.abs(a.W - b.W)) < 1e-5 * np.max(b.W)


def test_anls_l1_on_a_rank_deficient_w_takes_the_qp():
    rng = np.random.default_rng(3)
    X = rng.random((20, 15))
    W = rng.random((20, 2))
    W = np.hstack([W, W[:, :1]])                    # rank 2 of 3 columns
    H = rng.random((3, 15))
    a = factorize(X, 3, W=W, H=H, method="anls", max_iter=1, tol=0, alpha_H=0.05,
                  alpha_W=0.0, l1_ratio=1.0)
    b = factorize(X, 3, W=W, H=H, method="cvxpy", max_iter=1, tol=0, alpha_H=0.05,
                  alpha_W=0.0, l1_ratio=1.0)
    assert a.loss == pytest.approx(b.loss, rel=1e-4)


@pytest.mark.parametrize("beta", [-0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0])
def test_beta_mu_with_penalty_never_increases_its_objective(beta):
    """Févotte & Idier (2011), Theorem 2: with γ(β) every step decreases the objective."""
    S, W0, H0 = _data(False, beta, seed=5)
    fit = factorize(S.T, 4, W=H0.T, H=W0.T, method="mu", loss=beta, max_iter=60, tol=0,
                    alpha_W=0.01, l1_ratio=0.5)
    history = np.asarray(fit.history)
    assert np.all(np.diff(history) <= 1e-12 * history[:-1])
    assert fit.loss_name == losses.check_loss(beta)


@pytest.mark.parametrize("method,loss", [("hals", "frobenius"), ("anls", "frobenius"),
                                         ("mu", "frobenius"), ("mu", "kl"), ("mu", 1.5)])
def test_sparse_x_gives_the_dense_iterates(method, loss):
    S, W0, H0 = _data(True, 1.0)
    run = dict(W=H0.T, H=W0.T, method=method, loss=loss, max_iter=15, tol=0, alpha_W=0.001,
               l1_ratio=0.5)
    a, b = factorize(S.T.tocsr(), 4, **run), factorize(S.T.toarray(), 4, **run)
    assert _gap((a.W, a.H), (b.W, b.H)) < 1e-10
    assert a.loss == pytest.approx(b.loss, rel=1e-10)


def test_refusals_name_the_problem():
    S, W0, H0 = _data(True, 1.0)
    with pytest.raises(NMFInputError, match="beta_loss <= 0 and X contains zeros"):
        factorize(S.T, 4, method="mu", loss="itakura-saito")
    with pytest.raises(NMFInputError, match="'cd' has no regularization"):
        factorize(S.T, 4, method="cd", loss="kl", alpha_W=0.1)
    with pytest.raises(NMFInputError, match="use method 'mu'"):
        factorize(S.T.toarray(), 4, method="cvxpy", loss=1.5)
    with pytest.raises(NMFInputError, match="supports loss"):
        factorize(S.T, 4, method="hals", loss="kl")
    with pytest.raises(NMFInputError, match="l1_ratio must be in"):
        factorize(S.T, 4, method="hals", alpha_W=0.1, l1_ratio=1.5)
    with pytest.raises(NMFInputError, match="alpha_W must be a non-negative"):
        factorize(S.T, 4, method="hals", alpha_W=-1.0)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("method,loss", [("hals", "frobenius"), ("mu", "kl"), ("mu", 0.5),
                                         ("anls", "frobenius")])
def test_float32_in_float32_out_with_the_float64_fit(method, loss, sparse):
    S, W0, H0 = _data(sparse, 1.0)
    X = S.T.astype(np.float32)
    run = dict(W=H0.T, H=W0.T, method=method, loss=loss, max_iter=10, tol=0)
    single, double = factorize(X, 4, **run), factorize(X.astype(np.float64), 4, **run)
    assert single.W.dtype == np.float32 and single.H.dtype == np.float32
    assert double.W.dtype == np.float64
    assert np.array_equal(single.W, double.W.astype(np.float32))
    assert np.array_equal(single.H, double.H.astype(np.float32))


def test_anls_qp_fallback_reads_a_sparse_x_without_densifying(monkeypatch):
    rng = np.random.default_rng(4)
    X = sp.random(20, 15, density=0.4, format="csr", random_state=4)
    W = rng.random((20, 2))
    W = np.hstack([W, W[:, :1]])                    # rank deficient: the QP path
    H = rng.random((3, 15))
    run = dict(W=W, H=H, method="anls", max_iter=1, tol=0, alpha_H=0.05, alpha_W=0.0,
               l1_ratio=1.0)
    dense = factorize(X.toarray(), 3, **run)

    def refuse(*args, **kwargs):
        raise AssertionError("the sparse X was densified")
    monkeypatch.setattr(sp.csr_matrix, "toarray", refuse)
    monkeypatch.setattr(sp.csc_matrix, "toarray", refuse)
    fit = factorize(X, 3, **run)
    assert fit.loss == pytest.approx(dense.loss, rel=1e-6)


def test_beta_kernel_names_its_loss_and_refuses_loss_argument():
    from nnmf_research.kernels import MultiplicativeBeta

    assert MultiplicativeBeta(beta=1.5).loss == "beta=1.5"
    assert MultiplicativeBeta(beta=0.0).loss == "itakura-saito"
    with pytest.raises(NMFInputError, match="β-divergence of its beta="):
        MultiplicativeBeta(loss="kl")


@pytest.mark.parametrize("loss", ["frobenius", "kl", "itakura-saito", 0.5, 1.5, 3.0])
def test_loss_of_a_given_product_is_the_loss(loss):
    S, W0, H0 = _data(False, 0.0)
    assert losses.loss_of_product(loss, S, W0 @ H0) == pytest.approx(
        losses.loss(loss, S, W0, H0), rel=1e-14)
    assert losses.loss_of_product(loss, S, W0 @ H0) == pytest.approx(
        sk_nmf._beta_divergence(S, W0, H0, losses.beta_of(loss))
        * (2.0 if loss == "frobenius" else 1.0), rel=1e-12)
    beta = losses.beta_of(loss)                      # the split form the driver uses
    assert losses.loss_of_product(loss, S, W0 @ H0, float(np.sum(S**beta))) == pytest.approx(
        losses.loss(loss, S, W0, H0), rel=1e-12)
