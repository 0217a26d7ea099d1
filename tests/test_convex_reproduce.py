"""The clustering and separable pieces of the experiment machinery: metrics, loaders, kinds."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nnmf_research.datasets import load_dataset
from nnmf_research.reproduce.cells import method_parameters, run_method
from nnmf_research.reproduce.metrics import (anchor_recovery, clustering_accuracy,
                                             exact_zero_fraction)
from nnmf_research.separable import planted_separable


def _brute_force_accuracy(t, p):
    """max over every injective map of clusters to classes, by enumeration."""
    clusters, classes = np.unique(p), np.arange(max(t.max(), p.max()) + 1)
    best = 0
    for image in itertools.permutations(classes, len(clusters)):
        mapping = dict(zip(clusters, image))
        best = max(best, sum(mapping[a] == b for a, b in zip(p, t)))
    return best / len(t)


def test_clustering_accuracy_is_the_best_matching_found_by_enumeration():
    rng = np.random.default_rng(0)
    for _ in range(30):
        t = rng.integers(0, 3, 40)
        p = rng.integers(0, rng.integers(2, 5), 40)
        assert clustering_accuracy(t, p) == pytest.approx(_brute_force_accuracy(t, p))
    assert clustering_accuracy([0, 0, 1, 1], [1, 1, 0, 0]) == 1.0


def test_anchor_recovery_counts_planted_columns():
    X, _, _, anchors = planted_separable(20, 55, 10, random_state=1)
    assert anchor_recovery(X[:, anchors], X, anchors) == 1.0
    others = np.setdiff1d(np.arange(55), anchors)[:4]
    chosen = np.concatenate([anchors[:6], others])
    assert anchor_recovery(3.0 * X[:, chosen], X, anchors) == 0.6  # scale-free: by angle
    assert exact_zero_fraction(np.array([[0.0, 1e-300], [2.0, 0.0]])) == 0.5


def test_labelled_loaders_standardize_and_carry_labels():
    d = load_dataset("wine")
    np.testing.assert_allclose(d.X.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(d.X.std(axis=1), 1, rtol=1e-12)
    assert d.X.shape == (13, 178) and np.bincount(d.meta["labels"]).tolist() == [59, 71, 48]
    raw = load_dataset("iris", standardize=False)
    assert (raw.X >= 0).all() and raw.meta["classes"] == 3
    m = load_dataset("mixed_clusters", p=5, n_per_class=20, k=4, seed=2)
    assert m.X.shape == (5, 80) and (m.X < 0).any() and (m.X > 0).any()
    s = load_dataset("separable", noise=0.0, seed=4)
    X, _, _, anchors = planted_separable(20, 55, 10, random_state=4)
    np.testing.assert_array_equal(s.X, X)
    np.testing.assert_array_equal(s.meta["anchors"], anchors)


def test_kmeans_kind_is_k_means_its_loss_is_scikit_learns_inertia():
    from sklearn.cluster import KMeans

    X = load_dataset("iris").X
    rng = np.random.default_rng([0, 0, 1])
    out = run_method("kmeans", X, 3, None, None, rng, {})
    seed = int(np.random.default_rng([0, 0, 1]).integers(2**31 - 1))
    km = KMeans(n_clusters=3, n_init=10, random_state=seed).fit(X.T)
    R = X - out.W @ out.H
    assert float(np.vdot(R, R)) == pytest.approx(km.inertia_, rel=1e-9)
    np.testing.assert_allclose(np.sort(out.W, axis=1), np.sort(km.cluster_centers_.T, axis=1))
    assert out.extra["zeros_W"] == pytest.approx(2 / 3)  # the indicator weights H D⁻¹


def test_clustering_kinds_share_the_k_means_start_and_plain_nmf_skips_mixed_sign():
    from nnmf_research import semi_nmf
    from nnmf_research.reproduce.cells import SkipCell

    X = load_dataset("iris").X
    out = run_method("semi_nmf", X, 3, None, None, np.random.default_rng([0, 0, 1]),
                     {"max_iter": 0})
    seed = int(np.random.default_rng([0, 0, 1]).integers(2**31 - 1))
    np.testing.assert_array_equal(out.H, semi_nmf(X, 3, random_state=seed, max_iter=0).G.T)
    with pytest.raises(SkipCell, match="non-negative"):
        run_method("nmf_kmeans", X, 3, None, None, np.random.default_rng(0), {})
    assert "meta" not in method_parameters("separable")  # the runner's, never the config's


@pytest.mark.parametrize("kind", ["convex_nmf", "nmf_kmeans"])
def test_convex_benchmark_kinds_fix_blas_threads_and_run_the_unbenchmarked_fit(kind):
    # blas_threads only fixes the threads (after a 1-sweep warm-up) and records them: the
    # fit is the one the kind runs without it, from the same seeded k-means start.
    from nnmf_research import convex_nmf

    X = load_dataset("iris", standardize=False).X
    params = {"max_iter": 15, "tol": 0}
    plain = run_method(kind, X, 3, None, None, np.random.default_rng([0, 0, 1]), params)
    bench = run_method(kind, X, 3, None, None, np.random.default_rng([0, 0, 1]),
                       {**params, "blas_threads": 1})
    np.testing.assert_allclose(bench.W, plain.W, rtol=1e-12)
    np.testing.assert_allclose(bench.H, plain.H, rtol=1e-12)
    assert bench.n_iter == 15 and len(bench.trace_time) == 16
    assert bench.extra["blas_threads"] == 1 and bench.extra["cpu_seconds"] > 0
    assert "blas_threads" not in plain.extra
    if kind == "convex_nmf":
        seed = int(np.random.default_rng([0, 0, 1]).integers(2**31 - 1))
        lib = convex_nmf(X, 3, random_state=seed, max_iter=15, tol=0)
        np.testing.assert_allclose(bench.W, lib.F, rtol=1e-12)
        np.testing.assert_allclose(bench.H, lib.G.T, rtol=1e-12)
