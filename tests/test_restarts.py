"""Restarts: seeds (seed, i), early exit, joblib, and a checkpoint keyed by everything that can
change a restart's result (the issue-10 regressions: time_limit, update and polish)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from nnmf_research.bounds.exact_nmf import exact_nmf
from nnmf_research.drivers.restarts import (Checkpoint, CheckpointWarning, NotFingerprintable,
                                            checkpoint_for, fingerprint, restart_seed,
                                            run_restarts)
from nnmf_research.kernels import HALS


def linear_edm(n):
    i = np.arange(n)
    return (i[:, None] - i[None, :]) ** 2.0


def square_slack():
    return np.array([[0, 0, 1, 1], [1, 0, 0, 1], [1, 1, 0, 0], [0, 1, 1, 0]], dtype=float)


def test_restart_i_is_seeded_by_seed_and_i():
    assert (restart_seed(7, 3).generate_state(2) ==
            np.random.SeedSequence([7, 3]).generate_state(2)).all()
    assert (restart_seed((7, 5), 3).generate_state(2) ==
            np.random.SeedSequence([7, 5, 3]).generate_state(2)).all()
    assert (restart_seed(7, 3).generate_state(2) != restart_seed(7, 4).generate_state(2)).any()


def test_sequential_restarts_stop_at_the_first_accepted_or_when_told():
    seen = []

    def run(i):
        seen.append(i)
        return i
    assert run_restarts(run, 10, accept=lambda i: i == 2) == [0, 1, 2]
    assert run_restarts(run, 10, stop=lambda i: i == 4) == [0, 1, 2, 3, 4]
    assert run_restarts(run, 3) == [0, 1, 2]


def test_the_key_changes_with_every_option_and_not_otherwise():
    X = linear_edm(5)
    base = dict(X=X, r=4, heuristic="hybrid", tol=1e-6, time_limit=0.5, seed=0, attempts=10,
                update=HALS(), polish=True)
    key = fingerprint(**base)
    assert fingerprint(**{**base, "X": X.copy()}) == key
    for name, other in [("time_limit", 30.0), ("polish", False), ("update", HALS(delta=0.5)),
                        ("tol", 1e-9), ("r", 3), ("seed", 1), ("attempts", 3),
                        ("X", X + np.eye(5) * 2.0 ** -40), ("heuristic", "annealing")]:
        assert fingerprint(**{**base, name: other}) != key, name


def test_an_update_without_a_faithful_fingerprint_disables_the_cache_with_a_reason(tmp_path):
    from nnmf_research.models.frobenius import frobenius_model

    with pytest.raises(NotFingerprintable, match="FrobeniusModel"):
        fingerprint(update=frobenius_model(3, 5))
    with pytest.warns(CheckpointWarning, match="checkpoint disabled: .*no faithful"):
        checkpoint, reason = checkpoint_for(tmp_path, ("W",), update=lambda *a: None)
    assert checkpoint is None and reason.startswith("checkpoint disabled")


def test_a_longer_time_limit_is_not_answered_from_the_short_runs_cache(tmp_path):
    """Regression: a rerun with 60x the time limit returned the old 0.5 s failure in 1 ms."""
    X = linear_edm(6)
    short = exact_nmf(X, 5, time_limit=0.01, checkpoint_dir=tmp_path)
    assert not short.found
    long = exact_nmf(X, 5, time_limit=30, checkpoint_dir=tmp_path)
    assert long.found and long.relative_error < 1e-6
    assert len(list(tmp_path.glob("restart-*.npz"))) == 2
    again = exact_nmf(X, 5, time_limit=30, checkpoint_dir=tmp_path)   # its own cache entry
    assert again.errors == long.errors


def test_a_constrained_search_is_not_answered_from_the_unconstrained_cache(tmp_path):
    """Regression: a search constrained by W <= 0.5 (a CVXPY update pair) returned the cached
    unconstrained factorization. A CVXPY model has no faithful fingerprint: no cache."""
    from nnmf_research.models.frobenius import frobenius_model

    gen = np.random.default_rng(3)
    X = gen.uniform(0.1, 1.0, (6, 3)) @ gen.uniform(0.1, 1.0, (3, 5))
    free = exact_nmf(X, 3, heuristic="multistart", attempts=3, time_limit=20,
                     checkpoint_dir=tmp_path)
    assert free.W.max() > 0.5
    models = (frobenius_model(3, 5), frobenius_model(3, 6, constraints=lambda Wt: [Wt <= 0.5]))
    with pytest.warns(CheckpointWarning, match="checkpoint disabled"):
        bound = exact_nmf(X, 3, heuristic="multistart", attempts=3, time_limit=2,
                          update=models, checkpoint_dir=tmp_path)
    assert bound.W.max() <= 0.5 + 1e-7
    assert "checkpoint disabled" in bound.notes
    assert len(list(tmp_path.glob("restart-*.npz"))) == 1


def test_the_time_limit_binds_inside_a_chunk_of_slow_cvxpy_sweeps():
    """Regression: the deadline was checked only between chunks of 1000 sweeps, so a CVXPY
    update pair (~20 ms a sweep) given 1 s ran for 30-44 s."""
    from nnmf_research.models.frobenius import frobenius_model

    gen = np.random.default_rng(3)
    X = gen.uniform(0.1, 1.0, (6, 3)) @ gen.uniform(0.1, 1.0, (3, 5))
    models = (frobenius_model(3, 5), frobenius_model(3, 6, constraints=lambda Wt: [Wt <= 0.5]))
    start = time.perf_counter()
    exact_nmf(X, 3, heuristic="multistart", attempts=3, time_limit=1.0, update=models)
    assert time.perf_counter() - start < 10.0


def test_polish_is_part_of_the_key(tmp_path):
    X = linear_edm(6)   # rank₊ 5: found, then polished from < 1e-6 towards 1e-15
    rough = exact_nmf(X, 5, polish=False, checkpoint_dir=tmp_path)
    fine = exact_nmf(X, 5, polish=True, checkpoint_dir=tmp_path)
    assert len(list(tmp_path.glob("restart-*.npz"))) == 2
    assert rough.found and fine.relative_error < 1e-12 < rough.relative_error


def test_parallel_restarts_equal_the_sequential_ones_and_share_their_checkpoint(tmp_path):
    """The square's slack matrix has rank₊ 4: at r = 3 every restart fails (error 0.271), so
    the sequential run does not exit early and both runs do restarts 0 and 1."""
    X = square_slack()
    options = dict(heuristic="multistart", attempts=2, time_limit=30, restarts=2)
    sequential = exact_nmf(X, 3, **options)
    parallel = exact_nmf(X, 3, n_jobs=2, checkpoint_dir=tmp_path, **options)
    assert parallel.errors == sequential.errors and len(parallel.errors) == 2
    np.testing.assert_array_equal(parallel.W, sequential.W)
    assert len(list(tmp_path.glob("restart-*.npz"))) == 2
    resumed = exact_nmf(X, 3, checkpoint_dir=tmp_path, **options)
    assert resumed.errors == sequential.errors and resumed.seconds < 0.5


@pytest.mark.parametrize("damage", [lambda b: b[: len(b) // 2], lambda b: b"garbage"],
                         ids=["truncated", "garbage"])
def test_a_damaged_restart_file_is_discarded_with_a_warning_and_recomputed(tmp_path, damage):
    X = linear_edm(5)
    first = exact_nmf(X, 4, heuristic="multistart", checkpoint_dir=tmp_path)
    (path,) = tmp_path.glob("restart-*.npz")
    path.write_bytes(damage(path.read_bytes()))
    with pytest.warns(CheckpointWarning, match="discarding unreadable restart file"):
        again = exact_nmf(X, 4, heuristic="multistart", checkpoint_dir=tmp_path)
    assert again.errors == first.errors
    np.testing.assert_array_equal(again.W, first.W)
    with np.load(path) as z:   # rewritten whole
        np.testing.assert_array_equal(z["W"], first.W)


def test_a_file_saved_under_another_key_is_not_used(tmp_path):
    a = Checkpoint(tmp_path, "a" * 64, ("x",))
    a.save(0, {"x": np.arange(3)})
    b = Checkpoint(tmp_path, "b" * 64, ("x",))
    b.path(0).write_bytes(a.path(0).read_bytes())
    with pytest.warns(CheckpointWarning, match="another key"):
        assert b.load(0) is None
    np.testing.assert_array_equal(a.load(0)["x"], np.arange(3))
