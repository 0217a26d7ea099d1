"""Choosing k through the experiment runner: the ``rank_select`` kind at one k, the
scale-invariant cluster labels, and :func:`choose_k` reading the cells of a data set."""

import numpy as np
import pytest

from nnmf_research.datasets import load_dataset
from nnmf_research.rank_selection import choose_k, cluster_labels, select_rank
from nnmf_research.reproduce.cells import run_method
from nnmf_research.reproduce.metrics import clustering_accuracy


def test_cluster_labels_do_not_depend_on_how_the_components_are_scaled():
    rng = np.random.default_rng(0)
    W, H = rng.random((20, 4)), rng.random((4, 50))
    D = np.diag([1e-3, 1.0, 50.0, 7.0])
    np.testing.assert_array_equal(cluster_labels(W @ np.linalg.inv(D), D @ H),
                                  cluster_labels(W, H))
    # the largest contribution ||w_l|| h_lj, not the largest h_lj
    W2 = np.array([[10.0, 0.0], [0.0, 1.0]])
    H2 = np.array([[1.0], [2.0]])
    assert cluster_labels(W2, H2)[0] == 0 and np.argmax(H2[:, 0]) == 1


def test_choose_k_reads_per_k_rows_as_select_rank_does():
    rows = [{"k": 2, "cv_mean": 3.0, "cophenetic": 0.99},
            {"k": 4, "cv_mean": 1.0, "cophenetic": 0.975},  # falls by 0.015 < 0.02
            {"k": 3, "cv_mean": 1.0, "cophenetic": 0.99},
            {"k": 5, "cv_mean": 2.0, "cophenetic": 0.90}]   # falls by 0.075 after k = 4
    assert choose_k(rows) == {"cv": 3, "consensus": 4}     # a CV tie goes to the smaller k
    assert choose_k([{"k": 2, "cophenetic": 0.5}, {"k": 3, "cophenetic": 0.8}]) == {
        "consensus": 3}                                     # no fall: the largest value


@pytest.fixture(scope="module")
def clustered():
    return load_dataset("planted_noisy", m=40, n=30, k=3, noise=0.01, clustered=True, seed=0)


def test_rank_select_cells_agree_with_select_rank_over_all_ks(clustered):
    X = clustered.X
    params = {"n_folds": 3, "n_restarts": 4, "max_iter": 200, "tol": 1e-6}
    rows = []
    for k in (2, 3, 4):
        out = run_method("rank_select", X, k, None, None, np.random.default_rng([0, 0, 1]),
                         params)
        rows.append({"k": k, **out.extra})
        C = out.extra["trace_consensus"]
        assert C.shape == (30, 30) and np.allclose(C, C.T) and np.all(np.diag(C) == 1)
    seed = int(np.random.default_rng([0, 0, 1]).integers(2**31 - 1))
    report = select_rank(X, (2, 3, 4), method="both", random_state=seed, **params)
    for row, direct in zip(rows, report.table):          # same folds, same restarts
        assert row["cv_mean"] == pytest.approx(direct["cv_mean"], rel=1e-12)
        assert row["cophenetic"] == pytest.approx(direct["cophenetic"], rel=1e-12)
    assert choose_k(rows) == report.best_k
    assert report.best_k["cv"] == 3


def test_well_separated_planted_clusters_give_cophenetic_one_at_the_planted_k(clustered):
    report = select_rank(clustered.X, [3], method="consensus", n_restarts=6, max_iter=300,
                         random_state=1)
    assert report.table[0]["cophenetic"] == pytest.approx(1.0)
    assert report.table[0]["dispersion"] == pytest.approx(1.0)
    # and the one clustering every restart found is the planted one
    labels = (report.consensus[3] > 0.5).argmax(axis=0)
    assert clustering_accuracy(clustered.meta["labels"], labels) == 1.0
