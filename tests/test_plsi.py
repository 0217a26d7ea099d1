"""PLSI by EM and its equivalence with KL-NMF (Hofmann 2001; Ding, Li & Peng 2006/2008)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import xlogy

from nnmf_research import alternate, losses, nmf_to_plsi, plsi, plsi_to_nmf
from nnmf_research.checks import NMFInputError
from nnmf_research.kernels import MultiplicativeKL
from nnmf_research.plsi import PLSIModel, kl_plsi_identity, plsi_log_likelihood


def counts(m, n, density, seed):
    X = sp.random(m, n, density=density, random_state=seed, format="csr")
    X.data = np.ceil(X.data * 8)
    return X


def hofmann_em_step(X, p_z, p_w, p_d):
    """Hofmann's EM written out with the posterior P(z|w,d) as an m×n×k array (a reference
    independent of the sparse implementation)."""
    joint = np.einsum("z,wz,dz->wdz", p_z, p_w, p_d)
    post = joint / joint.sum(axis=2, keepdims=True)
    weighted = X[:, :, None] * post
    n_z = weighted.sum(axis=(0, 1))
    return n_z / X.sum(), weighted.sum(axis=1) / n_z, weighted.sum(axis=0) / n_z


def test_one_em_iteration_is_hofmanns_em(rng):
    X = counts(12, 9, 0.5, 0)
    k = 3
    start = PLSIModel(np.array([0.2, 0.3, 0.5]), *(A / A.sum(axis=0) for A in
                      (rng.random((12, k)), rng.random((9, k)))), total=1.0)
    fit = plsi(X, k, init=start, max_iter=1, tol=0)
    p_z, p_w, p_d = hofmann_em_step(X.toarray(), start.p_z, start.p_w_given_z,
                                    start.p_d_given_z)
    np.testing.assert_allclose(fit.p_z, p_z, rtol=1e-12)
    np.testing.assert_allclose(fit.p_w_given_z, p_w, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fit.p_d_given_z, p_d, rtol=1e-12, atol=1e-15)


def test_every_em_step_never_decreases_the_log_likelihood():
    for seed in range(4):
        fit = plsi(counts(70, 40, 0.1, seed), 4, random_state=seed, max_iter=150, tol=0)
        steps = np.diff(fit.history)
        assert np.all(steps >= -1e-12 * abs(fit.history[0])), steps.min()
        assert fit.log_likelihood == pytest.approx(
            plsi_log_likelihood(counts(70, 40, 0.1, seed), fit), rel=1e-14)


def test_fitted_distributions_are_distributions():
    fit = plsi(counts(50, 30, 0.2, 1), 3, random_state=0, max_iter=50)
    np.testing.assert_allclose(fit.p_z.sum(), 1.0, rtol=1e-14)
    np.testing.assert_allclose(fit.p_w_given_z.sum(axis=0), 1.0, rtol=1e-13)
    np.testing.assert_allclose(fit.p_d_given_z.sum(axis=0), 1.0, rtol=1e-13)
    assert fit.total == counts(50, 30, 0.2, 1).sum()


def test_a_planted_model_reaches_the_saturated_likelihood():
    """L ≤ Σ X log(X/N) for every model (Gibbs), with equality iff P = X/N; X = N·P for a
    rank-2 P is reachable, so EM must get there."""
    rng = np.random.default_rng(5)
    P = rng.random((15, 2)) @ rng.random((2, 10))
    X = 1000 * P / P.sum()
    saturated = float(np.sum(xlogy(X, X / X.sum())))
    fit = plsi(X, 2, random_state=0, max_iter=5000, tol=1e-14, real_weights=True)
    assert fit.log_likelihood <= saturated + 1e-9 * abs(saturated)
    assert fit.log_likelihood == pytest.approx(saturated, rel=1e-7)


def test_kl_nmf_fixed_point_to_plsi_and_back_reproduces_wh():
    X = counts(60, 45, 0.15, 2)
    rng = np.random.default_rng(0)
    fit = alternate(X, rng.random((60, 4)), rng.random((4, 45)), MultiplicativeKL(),
                    max_iter=3000, tol=0)
    W, H = plsi_to_nmf(nmf_to_plsi(fit.W, fit.H))
    WH = fit.W @ fit.H
    assert np.linalg.norm(W @ H - WH) <= 1e-10 * np.linalg.norm(WH)


def test_plsi_to_nmf_and_back_reproduces_the_distributions():
    fit = plsi(counts(30, 20, 0.3, 3), 3, random_state=1, max_iter=30)
    back = nmf_to_plsi(*plsi_to_nmf(fit))
    np.testing.assert_allclose(back.p_z, fit.p_z, rtol=1e-12)
    np.testing.assert_allclose(back.p_w_given_z, fit.p_w_given_z, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(back.p_d_given_z, fit.p_d_given_z, rtol=1e-12, atol=1e-300)
    assert back.total == pytest.approx(fit.total, rel=1e-13)


def test_identity_holds_at_a_kl_nmf_fixed_point_and_for_any_plsi_model():
    X = counts(80, 50, 0.1, 4)
    rng = np.random.default_rng(0)
    fit = alternate(X, rng.random((80, 3)), rng.random((3, 50)), MultiplicativeKL(),
                    max_iter=2000, tol=0)
    check = kl_plsi_identity(X, fit.W, fit.H)
    assert check.mass_ratio == pytest.approx(1.0, abs=1e-12)
    assert check.relative_gap < 1e-8
    model = plsi(X, 3, random_state=0, max_iter=20)
    assert kl_plsi_identity(X, *plsi_to_nmf(model)).relative_gap < 1e-12


def test_away_from_a_fixed_point_the_gap_is_exactly_the_mass_term(rng):
    """J − (−L + Σ X log(X/N)) = S − N − N log(S/N) for any W, H (S = Σ WH ≠ N here)."""
    X = counts(40, 30, 0.2, 5)
    W, H = rng.random((40, 3)), rng.random((3, 30))
    check = kl_plsi_identity(X, W, H)
    assert abs(check.mass_ratio - 1) > 0.1
    assert check.kl - check.plsi_side == pytest.approx(check.mass_gap, rel=1e-10)
    assert check.mass_gap > 0


def test_an_empty_document_gets_probability_zero_not_nan():
    X = counts(40, 20, 0.3, 6).tolil()
    X[:, 7] = 0
    X[3, :] = 0
    fit = plsi(X.tocsr(), 3, random_state=0, max_iter=50)
    assert np.all(np.isfinite(fit.p_d_given_z)) and np.all(np.isfinite(fit.p_w_given_z))
    np.testing.assert_array_equal(fit.p_d_given_z[7], 0.0)
    np.testing.assert_array_equal(fit.p_w_given_z[3], 0.0)
    assert np.isfinite(fit.log_likelihood)


def test_non_integer_counts_are_refused_by_name_unless_real_weights():
    X = sp.csr_matrix(np.array([[1.0, 0.0], [2.5, 1.0]]))
    with pytest.raises(NMFInputError, match=r"X entry \(1, 0\) is 2.5, not a count.*real_weights=True"):
        plsi(X, 1)
    assert np.isfinite(plsi(X, 1, real_weights=True, max_iter=5).log_likelihood)


@pytest.mark.parametrize("bad, message", [
    (sp.csr_matrix((3, 4)), "X is all zeros"),
    (sp.csr_matrix(np.array([[1.0, np.nan], [0.0, 1.0]])), r"X entry \(0, 1\) is not finite"),
    (sp.csr_matrix(np.array([[1.0, -1.0], [0.0, 1.0]])), r"X entry \(0, 1\) is negative"),
])
def test_bad_counts_get_named_errors(bad, message):
    with pytest.raises(NMFInputError, match=message):
        plsi(bad, 1)


def test_bad_initial_model_and_k_are_refused_by_name():
    X = counts(10, 8, 0.5, 0)
    with pytest.raises(NMFInputError, match="k=9 is out of range"):
        plsi(X, 9)
    wrong = PLSIModel(np.ones(2) / 2, np.ones((10, 2)) / 10, np.ones((7, 2)) / 7, 1.0)
    with pytest.raises(NMFInputError, match=r"expected \(10, 2\), \(8, 2\), \(2,\)"):
        plsi(X, 2, init=wrong)


def test_plsi_and_the_identity_never_densify_a_large_sparse_matrix(huge_sparse_counts):
    X = huge_sparse_counts
    fit = plsi(X, 5, random_state=0, max_iter=3, tol=0)
    assert fit.n_iter == 3 and np.isfinite(fit.log_likelihood)
    check = kl_plsi_identity(X, *plsi_to_nmf(fit))
    assert check.relative_gap < 1e-12


def test_kl_of_converted_plsi_equals_kl_of_dense_computation():
    X = counts(30, 25, 0.3, 7)
    W, H = plsi_to_nmf(plsi(X, 3, random_state=0, max_iter=40))
    assert losses.kl(X, W, H) == pytest.approx(losses.kl(X.toarray(), W, H), rel=1e-13)
