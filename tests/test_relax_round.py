"""The relax → round → repair driver: rounding, monotone exact repair, restarts, checkpoints,
Ctrl-C."""

import numpy as np
import pytest

from nnmf_research.drivers import relax_round as rr
from nnmf_research.drivers.relax_round import (alternating_integer, relax, relax_round,
                                               round_nearest, round_randomized)
from nnmf_research.integer import IntegerSteps
from nnmf_research.status import Kind


def planted(seed, m=6, n=6, k=2, bound=3):
    rng = np.random.default_rng(seed)
    W, H = rng.integers(0, bound + 1, (m, k)), rng.integers(0, bound + 1, (k, n))
    return (W @ H).astype(float)


def test_nearest_rounding_is_integral_and_clipped_to_the_bound():
    A = np.array([[-0.2, 0.49, 0.51], [2.5000001, 3.7, 9.0]])
    R = round_nearest(A, 3)
    assert R.dtype == np.int64 and R.tolist() == [[0, 0, 1], [3, 3, 3]]


def test_randomized_rounding_is_unbiased():
    # E[⌊a⌋ + Bernoulli(a − ⌊a⌋)] = a: the mean of 20000 draws is within 5 standard errors.
    rng = np.random.default_rng(0)
    A = np.array([0.25, 1.5, 2.9])
    draws = np.array([round_randomized(A, 3, rng) for _ in range(20000)])
    assert draws.dtype == np.int64 and set(np.unique(draws)) <= {0, 1, 2, 3}
    frac = A - np.floor(A)
    se = np.sqrt(frac * (1 - frac) / 20000)
    assert np.all(np.abs(draws.mean(axis=0) - A) < 5 * se)


@pytest.mark.parametrize("loss", ["frobenius", "l1"])
def test_exact_repair_steps_never_increase_the_loss(loss):
    X = planted(1) + np.random.default_rng(1).normal(0, 0.5, (6, 6))
    X = np.maximum(X, 0)
    steps = IntegerSteps(X, 2, 3, loss)
    rng = np.random.default_rng(2)
    res = alternating_integer(steps, rng.integers(0, 4, (6, 2)), rng.integers(0, 4, (2, 6)))
    assert all(b <= a + 1e-9 for a, b in zip(res.history, res.history[1:]))
    assert str(res.stop).startswith("local optimum") or res.loss == 0
    assert res.W.dtype == np.int64 and 0 <= res.W.min() and res.W.max() <= 3
    assert res.loss == steps.value(res.W, res.H)


def test_relaxation_stays_in_the_box():
    X = planted(2)
    W, H, value, _ = relax(IntegerSteps(X, 2, 3), np.ones((6, 2)), np.ones((2, 6)))
    assert W.min() >= 0 and W.max() <= 3 + 1e-9 and H.min() >= 0 and H.max() <= 3 + 1e-9
    assert value < np.vdot(X, X)


def test_relax_round_finds_a_planted_exact_product():
    X = planted(3)
    best, runs, _ = relax_round(IntegerSteps(X, 2, 3), restarts=10, seed=0)
    assert best.loss == 0.0
    assert np.array_equal(best.W @ best.H, X)
    assert len(runs) <= 10          # stops at the first exact fit


def test_restarts_resume_from_the_checkpoint(tmp_path, monkeypatch):
    X = planted(4) + 0.3
    key = dict(X=X, k=2, bound=3)
    first, runs1, _ = relax_round(IntegerSteps(X, 2, 3), restarts=2, seed=5,
                                  checkpoint=tmp_path, checkpoint_key=key)
    assert len(list(tmp_path.iterdir())) == 2

    def must_not_run(*args, **kwargs):
        raise AssertionError("a saved restart was recomputed")

    monkeypatch.setattr(rr, "relax_round_once", must_not_run)
    again, runs2, _ = relax_round(IntegerSteps(X, 2, 3), restarts=2, seed=5,
                                  checkpoint=tmp_path, checkpoint_key=key)
    assert again.loss == first.loss and np.array_equal(again.W, first.W)
    assert [r.loss for r in runs2] == [r.loss for r in runs1]


def test_ctrl_c_keeps_the_last_complete_integral_iterate(monkeypatch):
    X = planted(5) + np.random.default_rng(5).normal(0, 0.5, (6, 6)).clip(0)
    steps = IntegerSteps(X, 2, 3)
    calls = {"n": 0}
    real = steps.step_W

    def interrupted_second_time(W, H, deadline=None):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(W, H, deadline)

    monkeypatch.setattr(steps, "step_W", interrupted_second_time)
    rng = np.random.default_rng(0)
    res = alternating_integer(steps, rng.integers(0, 4, (6, 2)), rng.integers(0, 4, (2, 6)))
    assert res.stop.kind is Kind.INTERRUPTED and res.n_iter == 1
    assert res.W.dtype == np.int64 and res.loss == res.history[-1]
