"""The block-coordinate loop: Gauss–Seidel order, n-block Ctrl-C, a planted 3-way tensor, and
``alternate`` as its two-block face with the iterates of the loop it replaced."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from nnmf_research import losses
from nnmf_research.checks import NMFInputError
from nnmf_research.drivers.alternating import alternate
from nnmf_research.drivers.block_coordinate import block_coordinate
from nnmf_research.gram import FrobeniusStats, frobenius_from_stats
from nnmf_research.kernels import ANLS, HALS, MultiplicativeFrobenius, MultiplicativeKL
from nnmf_research.models.frobenius import frobenius_model
from nnmf_research.results import Factorization


# -- the generic loop ---------------------------------------------------------------------

def test_each_update_sees_the_blocks_already_replaced_in_its_sweep():
    """Gauss–Seidel: from (a, b) = (0, 0), a ← b + 1 then b ← 2a gives (1, 2), (3, 6), (7, 14)."""
    seen = []
    fit = block_coordinate(
        (np.zeros(1), np.zeros(1)),
        (lambda b: b[1] + 1, lambda b: 2 * b[0]),
        lambda b: float(b[0][0]),
        max_iter=3, tol=0, callback=lambda it, b, loss: seen.append(tuple(float(x[0]) for x in b)),
    )
    assert seen == [(1.0, 2.0), (3.0, 6.0), (7.0, 14.0)]
    assert fit.history == (0.0, 1.0, 3.0, 7.0)
    assert fit.stop_reason == "max_iter=3 reached"


def test_a_block_without_an_update_is_held_fixed():
    fixed = np.array([5.0])
    fit = block_coordinate((np.zeros(1), fixed), (lambda b: b[1] + b[0], None),
                           lambda b: 0.0, max_iter=4, tol=0)
    assert fit.blocks[1] is fixed
    assert float(fit.blocks[0][0]) == 20.0


def test_ctrl_c_in_the_middle_of_a_sweep_returns_the_last_complete_sweep():
    calls = {"n": 0}

    def third_block(b):
        calls["n"] += 1
        if calls["n"] == 3:  # the last update of sweep 3: sweeps 1 and 2 are complete
            raise KeyboardInterrupt
        return b[2] + 100

    fit = block_coordinate((np.zeros(1), np.zeros(1), np.zeros(1)),
                           (lambda b: b[0] + 1, lambda b: b[1] + 10, third_block),
                           lambda b: float(sum(x[0] for x in b)), max_iter=10, tol=0)
    assert fit.n_iter == 2
    assert [float(x[0]) for x in fit.blocks] == [2.0, 20.0, 200.0]
    assert fit.stop_reason.startswith("interrupted after 2 iterations")
    assert len(fit.history) == 3


def test_one_update_per_block_is_required():
    with pytest.raises(NMFInputError, match="3 blocks need 3 updates, got 2"):
        block_coordinate((np.zeros(1),) * 3, (None, None), lambda b: 0.0)


# -- a real three-block use: nonnegative CP of a planted 3-way tensor -----------------------

def _unfold(T, mode):
    """Mode-`mode` unfolding: T_(mode)[i, :] lists T with index `mode` fixed at i (C order)."""
    return np.moveaxis(T, mode, 0).reshape(T.shape[mode], -1)


def _khatri_rao(mats):
    """Column-wise Kronecker product, rows in the C order of `_unfold`'s columns."""
    out = mats[0]
    for M in mats[1:]:
        out = np.einsum("ar,br->abr", out, M).reshape(-1, out.shape[1])
    return out


def _cp_factor_update(T, mode):
    """Block `mode` of nonnegative CP, T ≈ Σ_r a_r ∘ b_r ∘ c_r: with the other factors fixed,
    T_(mode) = F (⊙ others)ᵀ, so Fᵀ is an H-subproblem with W = the Khatri–Rao product;
    one plain HALS sweep solves it row by row exactly (Cichocki & Phan 2009, §4)."""
    hals = HALS(alpha=0.0)
    Xt = _unfold(T, mode).T

    def update(blocks):
        others = [F for j, F in enumerate(blocks) if j != mode]
        return hals(Xt, _khatri_rao(others), blocks[mode].T).T

    return update


def test_three_block_cp_decreases_monotonically_to_the_planted_tensor():
    gen = np.random.default_rng(3)
    shape, r = (7, 6, 5), 3
    planted = [gen.uniform(0.1, 1.0, (d, r)) for d in shape]
    T = np.einsum("ir,jr,kr->ijk", *planted)
    norm2 = float(np.vdot(T, T))

    def loss(blocks):
        return float(np.sum((T - np.einsum("ir,jr,kr->ijk", *blocks)) ** 2))

    start = [gen.random((d, r)) for d in shape]
    fit = block_coordinate(start, [_cp_factor_update(T, i) for i in range(3)], loss,
                           max_iter=6000, tol=0, loss_scale=norm2)
    assert fit.stop_reason.startswith("exact fit after")
    assert np.diff(fit.history).max() <= 1e-13 * norm2  # monotone up to rounding
    assert np.sqrt(fit.history[-1] / norm2) <= 1e-13
    # Kruskal uniqueness: a generic rank-3 CP of a 7×6×5 tensor is unique up to permutation
    # and scaling, so each recovered column is a planted column.
    for found, true in zip(fit.blocks, planted):
        cosines = (found / np.linalg.norm(found, axis=0)).T @ (true / np.linalg.norm(true, axis=0))
        np.testing.assert_allclose(np.sort(cosines.max(axis=1)), 1.0, atol=1e-9)


# -- alternate is the two-block face, iterate for iterate ---------------------------------

def _alternate_before_block_coordinate(X, W, H, update_H, update_W="same", *, loss=None,
                                       max_iter=200, tol=1e-4, callback=None):
    """FROZEN copy of ``alternate``'s loop as it was before the block-coordinate driver (git
    a290512), minus validation, time limit and progress. Do not edit: it is the reference."""
    loss_name = loss or getattr(update_H, "loss", "frobenius")
    if update_W == "same":
        update_W = update_H
    H = np.maximum(H, getattr(update_H, "eps", 0.0))
    if update_W is not None:
        W = np.maximum(W, getattr(update_W, "eps", 0.0))
    frob = loss_name == "frobenius"
    norm_x2 = float(np.vdot(X, X))
    Xt = X.T
    current = losses.loss(loss_name, X, W, H)
    history = [current]
    WtW = W.T @ W if frob else None
    stop_reason = f"max_iter={max_iter} reached"
    it = 0
    while it < max_iter:
        stats_H = FrobeniusStats(W.T @ X, WtW) if frob else None
        H_new = update_H(X, W, H, stats_H)
        if update_W is not None:
            stats_W = FrobeniusStats(H_new @ Xt, H_new @ H_new.T) if frob else None
            W_new = update_W(Xt, H_new.T, W.T, stats_W).T
            if frob:
                WtW = W_new.T @ W_new
                new_loss = frobenius_from_stats(norm_x2, stats_W, W_new.T, WtW)
        else:
            W_new = W
            if frob:
                new_loss = frobenius_from_stats(norm_x2, stats_H, H_new)
        if not frob or new_loss < 1e-4 * norm_x2:
            new_loss = losses.loss(loss_name, X, W_new, H_new)
        W, H, previous, current = W_new, H_new, current, new_loss
        it += 1
        history.append(current)
        if callback is not None and callback(it, W, H, current):
            stop_reason = f"stopped by callback after {it} iterations"
            break
        if current <= 1e-26 * norm_x2:
            stop_reason = (f"exact fit after {it} iterations (relative error "
                           f"{np.sqrt(current / norm_x2):.1e}, at the rounding level of float64)")
            break
        decrease = (previous - current) / previous if previous > 0 else 0.0
        if tol > 0 and decrease < tol:
            detail = f"relative decrease {decrease:.3g} < tol={tol:g}"
            kind = "tol reached"
            if decrease < -1e-6:
                kind = "loss increased"
                detail += "; a monotone update should not do this: solver inaccuracy?"
            stop_reason = f"{kind} after {it} iterations ({detail})"
            break
    return Factorization(W=W, H=H, loss=losses.loss(loss_name, X, W, H), loss_name=loss_name,
                         n_iter=it, stop_reason=stop_reason, history=tuple(history),
                         relative_error=losses.relative_error(X, W, H))


def _start(X, k, seed=0):
    gen = np.random.default_rng(seed)
    return gen.random((X.shape[0], k)), gen.random((k, X.shape[1]))


def _stop_at_3(it, W, H, loss):
    return it == 3


def _kernel(make):
    return lambda m, n, k: (make(), "same")


CASES = {  # name: (fixture, k, (m, n, k) -> (update_H, update_W), options)
    "hals-accelerated": ("random_matrix", 4, _kernel(HALS), {"max_iter": 30, "tol": 0}),
    "hals-tol": ("random_matrix", 4, _kernel(HALS), {"max_iter": 10000, "tol": 1e-3}),
    "hals-plain-digits": ("digits", 16, _kernel(lambda: HALS(alpha=0.0)),
                          {"max_iter": 20, "tol": 0}),
    "mu-frobenius": ("random_matrix", 4, _kernel(MultiplicativeFrobenius), {"max_iter": 40}),
    "mu-kl": ("random_matrix", 4, _kernel(MultiplicativeKL), {"max_iter": 30, "tol": 0}),
    "anls-planted": ("planted", 5, _kernel(ANLS), {"max_iter": 400, "tol": 1e-14}),
    "anls-fixed-W": ("planted", 5, lambda m, n, k: (ANLS(), None), {"max_iter": 5, "tol": 0}),
    "callback": ("random_matrix", 4, _kernel(HALS), {"max_iter": 50, "callback": _stop_at_3}),
    "cvxpy-frobenius": ("planted", 5, lambda m, n, k: (frobenius_model(k, n),
                                                       frobenius_model(k, m)),
                        {"max_iter": 3, "tol": 0}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_alternate_gives_bitwise_the_iterates_of_the_loop_it_replaced(name, request):
    fixture, k, make, options = CASES[name]
    X = request.getfixturevalue(fixture)
    X = X[0] if isinstance(X, tuple) else X
    W, H = _start(X, k)
    new = alternate(X, W, H, *make(*X.shape, k), **options)
    old = _alternate_before_block_coordinate(X, W, H, *make(*X.shape, k), **options)
    assert new.W.tobytes() == old.W.tobytes()
    assert new.H.tobytes() == old.H.tobytes()
    assert new.history == old.history
    assert (new.stop_reason, new.n_iter, new.loss, new.relative_error) == (
        old.stop_reason, old.n_iter, old.loss, old.relative_error)


# --- check_every: the loss evaluated every c sweeps (issue 17, part 3) ----------------------

def _geometric(rate, **kw):
    """x ← (1 − rate)·x with loss x: the relative decrease is exactly ``rate`` per sweep."""
    return block_coordinate((np.ones(1),), (lambda b: b[0] * (1.0 - rate),),
                            lambda b: float(b[0][0]), **kw)


def test_check_every_tests_tol_on_the_mean_decrease_per_sweep_between_evaluations():
    rate = 0.01
    every = _geometric(rate, max_iter=100, tol=rate * 1.001)
    assert every.n_iter == 1 and every.iterations == (0, 1)
    # over 5 sweeps the loss falls by 1 − 0.99⁵ = 0.04901: a mean of 0.009801 per sweep
    fifth = _geometric(rate, max_iter=100, tol=rate * 1.001, check_every=5)
    assert fifth.n_iter == 5 and fifth.iterations == (0, 5)
    assert fifth.history[-1] == pytest.approx(0.99**5, rel=1e-15)
    mean = (1 - 0.99**5) / 5
    assert _geometric(rate, max_iter=100, tol=mean * 1.0001, check_every=5).n_iter == 5
    never = _geometric(rate, max_iter=23, tol=mean * 0.9999, check_every=5)
    assert never.n_iter == 23 and never.iterations == (0, 5, 10, 15, 20, 23)
    assert "max_iter=23" in str(never.stop_reason)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_check_every_keeps_the_iterates_and_samples_the_same_history(sparse):
    import scipy.sparse as sp

    rng = np.random.default_rng(4)
    X = rng.random((12, 5)) @ rng.random((5, 9))
    X[X < 0.6] = 0.0
    X = sp.csr_matrix(X) if sparse else X
    W0, H0 = rng.random((12, 3)) + 0.1, rng.random((3, 9)) + 0.1
    full = alternate(X, W0, H0, MultiplicativeKL(), max_iter=40, tol=0)
    sampled = alternate(X, W0, H0, MultiplicativeKL(), max_iter=40, tol=0, check_every=7)
    np.testing.assert_array_equal(sampled.W, full.W)
    np.testing.assert_array_equal(sampled.H, full.H)
    assert sampled.history_iterations == (0, 7, 14, 21, 28, 35, 40)
    assert full.history_iterations == tuple(range(41))
    np.testing.assert_allclose(sampled.history, [full.history[t] for t in
                                                 sampled.history_iterations], rtol=1e-13)
    assert sampled.loss == full.loss


def test_a_time_limit_inside_an_unevaluated_span_still_stops_with_a_loss():
    def slow(b):
        time.sleep(0.01)
        return b[0] * 0.999
    fit = block_coordinate((np.ones(1),), (slow,), lambda b: float(b[0][0]), max_iter=10**6,
                           tol=0, time_limit=0.05, check_every=1000)
    assert "time limit" in str(fit.stop_reason) and fit.n_iter < 1000
    assert fit.iterations[-1] == fit.n_iter
    assert fit.history[-1] == pytest.approx(0.999**fit.n_iter, rel=1e-12)


def test_check_every_below_one_is_refused_by_name():
    with pytest.raises(NMFInputError, match="check_every"):
        _geometric(0.1, check_every=0)
