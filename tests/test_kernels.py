"""The NumPy one-factor updates: monotone, exact where they claim to be, floored."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.optimize import nnls

from nnmf_research import factorize, losses
from nnmf_research.checks import NMFInputError
from nnmf_research.drivers.alternating import alternate
from nnmf_research.kernels import (ANLS, EPS, HALS, KERNELS, MultiplicativeFrobenius,
                                   MultiplicativeKL)
from nnmf_research.models.frobenius import frobenius_model
from nnmf_research.models.kl import kl_model

MONOTONE = [
    (MultiplicativeFrobenius(), "frobenius"),
    (MultiplicativeKL(), "kl"),
    (HALS(), "frobenius"),
    (HALS(alpha=0.0), "frobenius"),
]


def _start(X, k, seed):
    gen = np.random.default_rng(seed)
    return gen.random((X.shape[0], k)), gen.random((k, X.shape[1]))


def _assert_nonincreasing(history, scale):
    steps = np.diff(np.asarray(history))
    # Rounding of the loss evaluation itself is ~1e-13 of ‖X‖²; nothing may rise above it.
    assert steps.max() <= 1e-12 * scale, f"loss rose by {steps.max():.3g}"


@pytest.mark.parametrize("update,loss", MONOTONE, ids=lambda p: getattr(p, "__name__", str(p)))
def test_mu_and_hals_never_increase_the_loss_on_random_data(update, loss, random_matrix):
    X = random_matrix
    W, H = _start(X, 8, 0)
    fit = alternate(X, W, H, update, loss=loss, max_iter=150, tol=0)
    _assert_nonincreasing(fit.history, np.vdot(X, X) if loss == "frobenius" else fit.history[0])
    assert fit.history[-1] < 0.7 * fit.history[0]


@pytest.mark.parametrize("update,loss", MONOTONE, ids=lambda p: getattr(p, "__name__", str(p)))
def test_mu_and_hals_never_increase_the_loss_on_the_digits(update, loss, digits):
    X = digits
    W, H = _start(X, 16, 1)
    fit = alternate(X, W, H, update, loss=loss, max_iter=60, tol=0)
    _assert_nonincreasing(fit.history, np.vdot(X, X) if loss == "frobenius" else fit.history[0])


def test_one_exact_h_step_agrees_across_nnls_the_cvxpy_model_anls_and_converged_hals(rng):
    m, n, k = 50, 40, 6
    X = rng.random((m, n))
    W = rng.random((m, k))
    H0 = rng.random((k, n))
    H_nnls = np.column_stack([nnls(W, X[:, j])[0] for j in range(n)])
    best = losses.frobenius(X, W, H_nnls)
    H_model = frobenius_model(k, n)(X, W, H0)
    H_anls = ANLS()(X, W, H0)
    H_hals = H0
    for _ in range(400):
        H_hals = HALS(alpha=0.0, eps=0.0)(X, W, H_hals)
    for H in (H_model, H_anls, H_hals):
        assert losses.frobenius(X, W, H) == pytest.approx(best, rel=1e-6)
    np.testing.assert_allclose(H_anls, H_nnls, atol=1e-10)


def test_anls_step_is_exact_for_rank_deficient_w(rng):
    m, n = 30, 12
    base = rng.random((m, 2))
    W = np.column_stack([base, base[:, 0] + base[:, 1]])  # rank 2, k = 3
    X = rng.random((m, n))
    H_anls = ANLS()(X, W, np.ones((3, n)))
    H_nnls = np.column_stack([nnls(W, X[:, j])[0] for j in range(n)])
    assert losses.frobenius(X, W, H_anls) == pytest.approx(losses.frobenius(X, W, H_nnls),
                                                           rel=1e-9)


def test_kl_model_step_lowers_kl_at_least_as_much_as_one_mu_step(rng):
    m, n, k = 25, 18, 4
    X = rng.random((m, k)) @ rng.random((k, n)) + 0.05 * rng.random((m, n))
    W, H = rng.random((m, k)), rng.random((k, n))
    mu = losses.kl(X, W, MultiplicativeKL()(X, W, H))
    exact = losses.kl(X, W, kl_model(k, m, n)(X, W, H))
    assert exact <= mu * (1 + 1e-7)
    assert mu < losses.kl(X, W, H)


def test_updates_do_not_modify_their_inputs(rng):
    X = rng.random((20, 15))
    W, H = rng.random((20, 3)), rng.random((3, 15))
    copies = (X.copy(), W.copy(), H.copy())
    for update in (MultiplicativeFrobenius(), MultiplicativeKL(), HALS(), ANLS()):
        update(X, W, H)
        for a, b in zip((X, W, H), copies):
            np.testing.assert_array_equal(a, b)


def test_mu_iterates_never_become_subnormal(digits):
    """The floor keeps every entry >= eps (no subnormal floats; README, "Why the floor in MU")."""
    X = digits
    W, H = _start(X, 16, 2)
    fit = alternate(X, W, H, MultiplicativeFrobenius(), max_iter=400, tol=0)
    smallest = min(fit.W.min(), fit.H.min())
    assert smallest >= EPS
    assert smallest >= np.finfo(float).tiny


def test_kl_update_is_finite_with_an_all_zero_row_and_column(rng):
    X = rng.random((12, 10))
    X[3, :] = 0.0
    X[:, 5] = 0.0
    W, H = rng.random((12, 3)), rng.random((3, 10))
    fit = alternate(X, W, H, MultiplicativeKL(), max_iter=50, tol=0)
    assert np.isfinite(fit.W).all() and np.isfinite(fit.H).all()
    assert np.isfinite(fit.loss)
    assert (fit.W @ fit.H)[3].max() < 1e-6  # the zero row is fitted by (near) zeros


def test_hals_acceleration_takes_more_inner_sweeps_for_tall_problems():
    hals = HALS(alpha=0.5)
    assert hals.max_inner_sweeps(1000, 500, 20) > hals.max_inner_sweeps(50, 500, 20) >= 1
    assert HALS(alpha=0.0).max_inner_sweeps(1000, 500, 20) == 1


def test_anls_never_increases_the_loss_when_the_factors_become_rank_deficient():
    """On Swimmer, exact NNLS zeroes rows of H (cond(H) ~ 1e17); through the Gram matrix
    that raised the loss 1e13-fold. Through QR it stays monotone and fits exactly."""
    from nnmf_research.datasets import swimmer
    from nnmf_research.init import initialize

    X = swimmer().X
    seed = np.random.SeedSequence([0, 8]).generate_state(1)[0]
    W, H = initialize(X, 17, "random", random_state=int(seed))
    fit = alternate(X, W, H, ANLS(), max_iter=80, tol=1e-12)
    _assert_nonincreasing(fit.history, np.vdot(X, X))
    assert fit.relative_error < 1e-12


@pytest.mark.parametrize("method_loss,kernel", list(KERNELS.items()), ids=str)
def test_a_kernels_loss_is_a_fact_of_its_class(method_loss, kernel):
    _, loss = method_loss
    assert kernel.loss == kernel().loss == loss
    assert "loss" not in {f.name for f in dataclasses.fields(kernel)}


def test_a_frobenius_kernel_asked_for_the_kl_loss_is_refused_by_name():
    """Regression: ``HALS(loss="kl")`` used to be accepted, and the driver then recorded a KL
    history for a Frobenius update."""
    message = ("HALS decreases the 'frobenius' loss; a kernel's loss is a fact of its class, "
               "not an option \\(got loss='kl'\\); for loss 'kl' use MultiplicativeKL")
    with pytest.raises(NMFInputError, match=message):
        HALS(loss="kl")
    X = np.random.default_rng(0).random((8, 6))
    with pytest.raises(NMFInputError, match=message):
        factorize(X, 2, method="hals", kernel_options={"loss": "kl"})


def _nnls_columns(R, D):
    from scipy.optimize import nnls

    return np.column_stack([nnls(R, D[:, j])[0] for j in range(D.shape[1])])


@pytest.mark.parametrize("cond_scale", [1.0, 1e5], ids=["gram-path", "qr-path"])
def test_block_pivoting_equals_lawson_hanson_column_by_column(cond_scale):
    """Kim & Park's block principal pivoting and scipy's Lawson–Hanson solve the same strictly
    convex problems (R of full column rank): the same minimiser, cold or warm started."""
    from nnmf_research.kernels.anls import NORMAL_EQUATIONS_MAX_COND, nnls_block_pivoting

    rng = np.random.default_rng(4)
    W = rng.random((80, 12)) * np.logspace(0, np.log10(cond_scale), 12)
    Q, R = np.linalg.qr(W)
    assert (np.linalg.cond(R) > NORMAL_EQUATIONS_MAX_COND) == (cond_scale > 1)
    D = Q.T @ (rng.random((80, 60)) - 0.3)                   # many active constraints
    reference = _nnls_columns(R, D)
    assert 0 < (reference == 0).mean() < 1
    scale = np.abs(reference).max()
    cold = nnls_block_pivoting(R, D)
    assert np.abs(cold - reference).max() <= 1e-10 * scale
    assert cold.min() >= 0
    warm = nnls_block_pivoting(R, D, passive=rng.random(D.shape[::-1]).T < 0.5)
    assert np.abs(warm - reference).max() <= 1e-10 * scale


def test_block_pivoting_falls_back_to_lawson_hanson_and_handles_rank_deficiency():
    from nnmf_research.kernels.anls import nnls_block_pivoting

    rng = np.random.default_rng(6)
    base = rng.random((40, 3))
    W = np.hstack([base, base[:, :2] @ rng.random((2, 3))])  # rank 3 of 6 columns
    Q, R = np.linalg.qr(W)
    D = Q.T @ rng.random((40, 25))
    reference = _nnls_columns(R, D)
    H = nnls_block_pivoting(R, D)
    assert H.min() >= 0
    # the minimiser is not unique; the minimum is
    assert np.linalg.norm(R @ H - D) == pytest.approx(np.linalg.norm(R @ reference - D),
                                                      rel=1e-10)
    # columns still infeasible when the rounds run out are finished by Lawson–Hanson
    Q, R = np.linalg.qr(rng.random((40, 6)))
    D = Q.T @ (rng.random((40, 25)) - 0.4)
    reference = _nnls_columns(R, D)
    for rounds in (0, 1):
        assert np.abs(nnls_block_pivoting(R, D, max_rounds=rounds) - reference).max() <= 1e-12


def test_anls_by_block_pivoting_keeps_the_lawson_hanson_iterates(random_matrix):
    """20 ANLS iterations with block pivoting (warm-started from the previous support) equal
    the same iterations with one Lawson–Hanson solve per column, to 1e-10."""
    X = random_matrix
    W, H = _start(X, 4, 0)

    def lawson_hanson(X, W, H, stats=None):
        Q, R = np.linalg.qr(W)
        return _nnls_columns(R, Q.T @ X)

    ours = alternate(X, W, H, ANLS(), max_iter=20, tol=0)
    reference = alternate(X, W, H, lawson_hanson, update_W=lawson_hanson, max_iter=20, tol=0,
                          loss="frobenius")
    assert np.abs(ours.W - reference.W).max() <= 1e-10 * np.abs(reference.W).max()
    assert np.abs(ours.H - reference.H).max() <= 1e-10 * np.abs(reference.H).max()


def test_hals_max_sweeps_caps_the_inner_sweeps():
    rng = np.random.default_rng(2)
    X, W, H = rng.random((300, 20)), rng.random((300, 4)), rng.random((4, 20))
    assert HALS().max_inner_sweeps(300, 20, 4) > 2        # a wide W-step-like shape
    assert HALS(max_sweeps=2).max_inner_sweeps(300, 20, 4) == 2
    np.testing.assert_array_equal(HALS(max_sweeps=1)(X, W, H), HALS(alpha=0.0)(X, W, H))
    assert not np.array_equal(HALS(max_sweeps=2)(X, W, H), HALS(alpha=0.0)(X, W, H))
    with pytest.raises(NMFInputError, match="max_sweeps"):
        HALS(max_sweeps=-1)


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0, 1.5, 2.0, 3.0])
@pytest.mark.parametrize("sparse", [False, True])
def test_beta_mu_terms_are_the_update_and_their_two_forms_agree(beta, sparse):
    """MultiplicativeBeta.terms is what the update uses (H·(N/D)^γ, Févotte & Idier 2011),
    its two forms (shared power; closed forms for MiniBatchNMF) agree to rounding, and they
    equal the definitions Wᵀ(X∘(WH)^(β−2)), Wᵀ(WH)^(β−1) computed directly."""
    import scipy.sparse as sp

    from nnmf_research.kernels import MultiplicativeBeta
    from nnmf_research.kernels.base import multiplicative_step
    from nnmf_research.kernels.multiplicative import beta_gamma

    rng = np.random.default_rng(1)
    X = rng.random((30, 25))
    if sparse:
        X[X < 0.5] = 0
    W, H = rng.random((30, 4)) + 0.1, rng.random((4, 25)) + 0.1
    Xi = sp.csr_matrix(X) if sparse and beta > 0 else X
    kernel = MultiplicativeBeta(beta=beta, eps=0.0)
    Y = W @ H
    want = (W.T @ (X * Y ** (beta - 2.0)), W.T @ Y ** (beta - 1.0))
    for closed in (False, True):
        numer, denom = kernel.terms(Xi, W, H, closed_forms=closed)
        np.testing.assert_allclose(numer, want[0], rtol=1e-12)
        np.testing.assert_allclose(denom, want[1], rtol=1e-12)
    numer, denom = kernel.terms(Xi, W, H)
    np.testing.assert_array_equal(kernel(Xi, W, H), multiplicative_step(
        H, numer, denom, 0.0, gamma=beta_gamma(beta)))
