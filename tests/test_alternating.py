"""The alternating driver: stop reasons, callback, time limit, Ctrl-C, planted recovery."""

from __future__ import annotations

import numpy as np
import pytest

from nnmf_research import losses
from nnmf_research.checks import NMFInputError
from nnmf_research.drivers.alternating import alternate
from nnmf_research.kernels import ANLS, HALS, MultiplicativeFrobenius, MultiplicativeKL
from nnmf_research.models.frobenius import frobenius_model
from nnmf_research.models.kl import kl_model


def _start(X, k, seed=0):
    gen = np.random.default_rng(seed)
    return gen.random((X.shape[0], k)), gen.random((k, X.shape[1]))


def _updates(name, m, n, k):
    return {
        "mu-frobenius": (MultiplicativeFrobenius(), "same", 20000),
        "hals": (HALS(), "same", 3000),
        "anls": (ANLS(), "same", 3000),
        "cvxpy-frobenius": (frobenius_model(k, n), frobenius_model(k, m), 3000),
        "mu-kl": (MultiplicativeKL(), "same", 20000),
        "cvxpy-kl": (kl_model(k, m, n), kl_model(k, n, m), 400),
    }[name]


@pytest.mark.parametrize("name", ["mu-frobenius", "hals", "anls", "cvxpy-frobenius", "mu-kl",
                                  "cvxpy-kl"])
@pytest.mark.filterwarnings("ignore::nnmf_research.models.subproblem.SolverInaccurateWarning")
def test_every_method_fits_a_planted_exact_product(name, planted):
    X, _, _ = planted
    m, n = X.shape
    update_H, update_W, max_iter = _updates(name, m, n, 5)
    W, H = _start(X, 5)
    fit = alternate(X, W, H, update_H, update_W, max_iter=max_iter, tol=1e-12)
    assert fit.relative_error < 1e-4, fit.stop_reason


def test_max_iter_stop_reason_and_history_length(random_matrix):
    W, H = _start(random_matrix, 4)
    fit = alternate(random_matrix, W, H, HALS(), max_iter=7, tol=0)
    assert fit.n_iter == 7
    assert fit.stop_reason == "max_iter=7 reached"
    assert len(fit.history) == len(fit.times) == 8
    assert fit.loss == pytest.approx(losses.frobenius(random_matrix, fit.W, fit.H))
    assert fit.history[-1] == pytest.approx(fit.loss, rel=1e-9)


def test_tol_stop_reason_names_the_decrease(random_matrix):
    W, H = _start(random_matrix, 4)
    fit = alternate(random_matrix, W, H, HALS(), max_iter=10000, tol=1e-3)
    assert fit.n_iter < 10000
    assert fit.stop_reason.startswith(f"tol reached after {fit.n_iter} iterations")
    last = (fit.history[-2] - fit.history[-1]) / fit.history[-2]
    assert last < 1e-3


def test_time_limit_stops_the_loop(random_matrix):
    W, H = _start(random_matrix, 4)
    fit = alternate(random_matrix, W, H, MultiplicativeFrobenius(), max_iter=10**9, tol=0,
                    time_limit=0.2)
    assert fit.stop_reason.startswith("time limit 0.2 s reached after")
    assert fit.times[-1] >= 0.2


def test_an_exact_start_stops_as_an_exact_fit_after_one_iteration(planted):
    """From the planted factors of X = W0 H0 one exact NNLS step per factor stays exact to
    rounding, which the loop names instead of running on."""
    X, W0, H0 = planted
    fit = alternate(X, W0, H0, ANLS(), max_iter=50)
    assert fit.n_iter == 1
    assert fit.relative_error <= 1e-13
    assert fit.stop_reason == (f"exact fit after 1 iterations (relative error "
                               f"{np.sqrt(fit.history[-1] / np.vdot(X, X)):.1e}, at the "
                               "rounding level of float64)")


def _scale_H(factor):
    def update(X, W, H, stats=None):
        return factor * H
    return update


def test_a_rising_loss_is_named_not_reported_as_tol(planted):
    """H → 2H from W0·(1.01 H0) = 1.01 X: the residual goes from 0.01 X to 1.02 X, so the
    loss rises 10404-fold and the relative decrease is 1 − 10404."""
    X, W0, H0 = planted
    fit = alternate(X, W0, 1.01 * H0, _scale_H(2.0), None, loss="frobenius", max_iter=10)
    assert fit.history[1] / fit.history[0] == pytest.approx(10404, rel=1e-9)
    assert fit.stop_reason == (
        "loss increased after 1 iterations (relative decrease -1.04e+04 < tol=0.0001; a "
        "monotone update should not do this: solver inaccuracy?)")


def test_a_rise_at_rounding_size_is_reported_as_tol(planted):
    """H → (1 + 1e-9) H from 1.01 X: a relative rise of about 2e-7, below the 1e-6 that
    counts as a rise, so the stop is the ordinary tol."""
    X, W0, H0 = planted
    fit = alternate(X, W0, 1.01 * H0, _scale_H(1 + 1e-9), None, loss="frobenius",
                    max_iter=10)
    assert fit.stop_reason == ("tol reached after 1 iterations "
                               "(relative decrease -2.02e-07 < tol=0.0001)")


def test_callback_sees_each_iteration_and_can_stop(random_matrix):
    seen = []

    def callback(it, W, H, loss):
        seen.append((it, loss))
        return it == 5

    W, H = _start(random_matrix, 4)
    fit = alternate(random_matrix, W, H, HALS(), max_iter=50, tol=0, callback=callback)
    assert [it for it, _ in seen] == [1, 2, 3, 4, 5]
    assert fit.stop_reason == "stopped by callback after 5 iterations"
    assert [loss for _, loss in seen] == list(fit.history[1:])


def test_ctrl_c_returns_the_last_complete_iterate(random_matrix):
    X = random_matrix
    W, H = _start(X, 4)

    def interrupt_at_4(it, W, H, loss):
        if it == 4:
            raise KeyboardInterrupt

    interrupted = alternate(X, W, H, HALS(), max_iter=50, tol=0, callback=interrupt_at_4)
    reference = alternate(X, W, H, HALS(), max_iter=4, tol=0)
    assert interrupted.stop_reason.startswith("interrupted after 4 iterations")
    np.testing.assert_array_equal(interrupted.W, reference.W)
    np.testing.assert_array_equal(interrupted.H, reference.H)


def test_ctrl_c_inside_an_update_keeps_the_previous_complete_iterate(random_matrix):
    X = random_matrix
    W, H = _start(X, 4)
    calls = {"n": 0}
    hals = HALS()

    def flaky(X_, W_, H_, stats=None):
        calls["n"] += 1
        if calls["n"] == 6:  # the H-step of iteration 3 (two updates per iteration)
            raise KeyboardInterrupt
        return hals(X_, W_, H_, stats)

    fit = alternate(X, W, H, flaky, max_iter=50, tol=0)
    reference = alternate(X, W, H, HALS(), max_iter=2, tol=0)
    assert fit.n_iter == 2
    np.testing.assert_array_equal(fit.W, reference.W)
    np.testing.assert_array_equal(fit.H, reference.H)


def test_fixed_w_solves_for_h_only(rng):
    W = rng.random((20, 3))
    H_true = rng.random((3, 9))
    fit = alternate(W @ H_true, W, np.ones((3, 9)), ANLS(), None, max_iter=3, tol=0)
    np.testing.assert_array_equal(fit.W, W)
    np.testing.assert_allclose(fit.H, H_true, atol=1e-9)


def test_progress_lines_go_to_stderr(random_matrix, capsys):
    W, H = _start(random_matrix, 4)
    alternate(random_matrix, W, H, HALS(), max_iter=5, tol=0, progress=0.0)
    err = capsys.readouterr().err
    assert err.count("[nnmf] iter") == 5


def test_the_initial_factors_are_not_modified(random_matrix):
    W, H = _start(random_matrix, 4)
    W0, H0 = W.copy(), H.copy()
    alternate(random_matrix, W, H, MultiplicativeFrobenius(), max_iter=3)
    np.testing.assert_array_equal(W, W0)
    np.testing.assert_array_equal(H, H0)


def test_a_model_of_the_wrong_size_is_refused_before_running(random_matrix):
    W, H = _start(random_matrix, 4)
    with pytest.raises(NMFInputError, match="built for a factor of shape \\(4, 60\\), but this "
                                            "problem needs \\(4, 80\\)"):
        alternate(random_matrix, W, H, frobenius_model(4, 60), "same")


def test_a_kl_update_under_the_frobenius_loss_is_refused(random_matrix):
    W, H = _start(random_matrix, 4)
    with pytest.raises(NMFInputError, match="decreases the 'kl' loss, but loss='frobenius'"):
        alternate(random_matrix, W, H, MultiplicativeKL(), loss="frobenius")


def test_factor_shapes_are_checked(random_matrix):
    W, H = _start(random_matrix, 4)
    with pytest.raises(NMFInputError, match="H has shape \\(3, 60\\), expected \\(4, 60\\)"):
        alternate(random_matrix, W, H[:3], HALS())


@pytest.mark.parametrize("method", ["mu", "hals", "anls", "cvxpy"])
def test_an_all_zero_matrix_is_factorized_exactly_by_zero_factors(method):
    from nnmf_research import factorize

    fit = factorize(np.zeros((3, 4)), 2, method=method)
    assert not fit.W.any() and not fit.H.any() and fit.loss == 0.0
    assert "all zeros" in fit.stop_reason
