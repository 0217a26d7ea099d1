"""Method kinds an experiment cell can run: each checked against a known answer or a peer."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from nnmf_research import MultiplicativeFrobenius, alternate, losses
from nnmf_research.checks import NMFInputError
from nnmf_research.reproduce.cells import SkipCell, method_parameters, run_method


@pytest.fixture
def cell(rng):
    X = rng.random((30, 20))
    W0, H0 = rng.random((30, 4)), rng.random((4, 20))
    return X, 4, W0, H0, np.random.default_rng(0)


def test_pca_is_the_best_rank_k_approximation(cell):
    X, k, W0, H0, rng = cell
    out = run_method("pca", X, k, W0, H0, rng, {})
    s = np.linalg.svd(X, compute_uv=False)
    assert losses.frobenius(X, out.W, out.H) == pytest.approx(np.sum(s[k:] ** 2), rel=1e-10)
    np.testing.assert_allclose(out.W.T @ out.W, np.eye(k), atol=1e-12)


def test_vq_encodings_are_one_hot_and_centroids_are_cluster_means(cell):
    X, k, W0, H0, rng = cell
    out = run_method("vq", X, k, W0, H0, rng, {})
    assert set(np.unique(out.H)) <= {0.0, 1.0}
    np.testing.assert_array_equal(out.H.sum(axis=0), 1.0)
    for j in range(k):
        members = out.H[j] == 1
        if members.any():
            np.testing.assert_allclose(out.W[:, j], X[:, members].mean(axis=1), atol=1e-10)


def test_nmf_kind_is_factorize_from_the_shared_start(cell):
    X, k, W0, H0, rng = cell
    out = run_method("nmf", X, k, W0, H0, rng, {"method": "hals", "max_iter": 5, "tol": 0})
    assert out.n_iter == 5 and len(out.trace_loss) == 6
    assert out.trace_loss[0] == pytest.approx(losses.frobenius(X, W0, H0))


def test_sklearn_kind_traces_every_iteration_of_its_own_run(cell):
    """The trace is scikit-learn's loss after every iteration (not a grid), its last entry
    the loss of the returned fit, and each entry the loss of a fresh run stopped there."""
    pytest.importorskip("sklearn")
    from nnmf_research.reproduce.cells import _sklearn_once

    X, k, W0, H0, rng = cell
    for solver in ("cd", "mu"):
        out = run_method("sklearn", X, k, W0, H0, rng,
                         {"solver": solver, "max_iter": 20, "trace": [5], "blas_threads": 1})
        assert len(out.trace_loss) == len(out.trace_time) == 21
        assert out.trace_loss[-1] == pytest.approx(losses.frobenius(X, out.W, out.H), rel=1e-12)
        W7, H7, _, _ = _sklearn_once(X, k, W0, H0, solver, "frobenius", 7)
        assert out.trace_loss[7] == pytest.approx(losses.frobenius(X, W7, H7), rel=1e-12)
        assert np.all(np.diff(out.trace_loss) <= 1e-9 * out.trace_loss[0])
        assert np.all(np.diff(out.trace_time) >= 0) and out.trace_time[-1] <= out.seconds
        assert out.extra["blas_threads"] == 1 and "times:" in out.extra["status"]


def test_nmf_kind_times_run_from_the_call_start(cell):
    X, k, W0, H0, rng = cell
    out = run_method("nmf", X, k, W0, H0, rng,
                     {"method": "hals", "max_iter": 5, "tol": 0, "blas_threads": 1})
    assert len(out.trace_time) == 6 and out.trace_time[0] == 0.0
    assert np.all(np.diff(out.trace_time) > 0) and out.trace_time[-1] <= out.seconds
    assert out.extra["blas_threads"] == 1 and out.extra["cpu_seconds"] > 0


def test_nimfa_is_lee_seung_mu_or_skips_for_the_reason_that_holds_here(cell):
    """Each branch asserts the one outcome this environment allows: no nimfa, the skip says
    so; nimfa on NumPy 2 (it uses np.mat), the skip names NumPy; otherwise nimfa's
    'euclidean' update is Lee & Seung's MU, so from the shared start its factors are ours."""
    X, k, W0, H0, rng = cell
    if importlib.util.find_spec("nimfa") is None:
        with pytest.raises(SkipCell, match="nimfa is not installed"):
            run_method("nimfa", X, k, W0, H0, rng, {"max_iter": 5})
    elif np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        with pytest.raises(SkipCell, match=f"nimfa does not run on NumPy {np.__version__}"):
            run_method("nimfa", X, k, W0, H0, rng, {"max_iter": 5})
    else:
        out = run_method("nimfa", X, k, W0, H0, rng, {"max_iter": 5})
        ours = alternate(X, W0, H0, MultiplicativeFrobenius(eps=0.0), max_iter=5, tol=0)
        np.testing.assert_allclose(out.W, ours.W, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(out.H, ours.H, rtol=1e-9, atol=1e-12)


def test_cvxpy_timing_reports_its_three_times(cell):
    X, k, W0, H0, rng = cell
    out = run_method("cvxpy_timing", X, k, W0, H0, rng, {"form": "direct", "resolves": 2})
    assert {"build_s", "first_solve_s", "resolve_s"} <= set(out.extra)
    assert all(v > 0 for v in out.extra.values())


def test_parameters_are_introspected_and_unknown_kinds_named(cell):
    assert {"method", "loss", "max_iter", "l1_H"} <= set(method_parameters("nmf"))
    with pytest.raises(NMFInputError, match="unknown method kind 'lda'"):
        run_method("lda", *cell, {})
