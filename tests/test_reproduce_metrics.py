"""Sparsity and parts-recovery numbers: closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from nnmf_research.reproduce.metrics import hoyer_sparseness, near_zero_fraction, parts_recovered


def test_hoyer_is_one_for_one_nonzero_and_zero_for_a_constant_vector():
    e = np.zeros((9, 1))
    e[4] = 3.0
    assert hoyer_sparseness(e) == pytest.approx(1.0)
    assert hoyer_sparseness(np.ones((9, 1))) == pytest.approx(0.0)


def test_hoyer_of_two_equal_nonzeros_in_four():
    v = np.array([[1.0], [1.0], [0.0], [0.0]])  # (2 - 2/√2)/(2 - 1)
    assert hoyer_sparseness(v) == pytest.approx(2 - np.sqrt(2))


def test_hoyer_rows_versus_columns():
    A = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert hoyer_sparseness(A, axis=1) == pytest.approx(1.0)  # each row one non-zero
    assert hoyer_sparseness(A[:, :1], axis=0) == pytest.approx(0.0)


def test_near_zero_fraction_is_scale_free():
    A = np.array([[1.0, 1e-5], [0.5, 0.0]])
    assert near_zero_fraction(A) == 0.5
    assert near_zero_fraction(1e6 * A) == 0.5


def test_parts_recovery_counts_a_part_once_matched_by_correlation():
    parts = np.eye(6)[:, :3]
    W = np.column_stack([parts[:, 0] * 5, parts[:, 1] + parts[:, 2]])  # one clean, one mixed
    assert parts_recovered(W, parts).tolist() == [True, False, False]


def test_clustering_accuracy_matches_clusters_to_labels_one_to_one():
    from nnmf_research.reproduce.metrics import clustering_accuracy

    labels = np.array([0, 0, 1, 1, 2, 2])
    H = np.zeros((3, 6))
    H[[2, 2, 0, 0, 1, 1], np.arange(6)] = 1.0          # clusters are the labels renamed
    assert clustering_accuracy(labels, np.argmax(H, axis=0)) == 1.0
    H2 = np.zeros((3, 6))
    H2[[0, 0, 0, 0, 1, 2], np.arange(6)] = 1.0   # cluster 0 holds labels 0 and 1, 1 and 2 split 2
    assert clustering_accuracy(labels, np.argmax(H2, axis=0)) == pytest.approx(3 / 6)   # 2 + 1 + 0 matched


def test_matched_factor_distance_is_zero_for_permuted_rescaled_columns():
    from nnmf_research.reproduce.cells import _matched_factor_distance

    rng = np.random.default_rng(0)
    A = rng.random((10, 3))
    assert _matched_factor_distance(A, A[:, [2, 0, 1]] * [3.0, 0.5, 7.0]) < 1e-15
    assert _matched_factor_distance(A, rng.random((10, 3))) > 0.05


def test_time_to_the_peers_final_loss_reads_the_first_point_at_or_below_it():
    from nnmf_research.reproduce.cells import MethodOutput
    from nnmf_research.reproduce.metrics import METRICS, peer_final_loss_times

    ours_loss, ours_time = [10.0, 5.0, 2.5, 2.0, 1.0], [0.0, 1.0, 2.0, 3.0, 4.0]
    # the peer ends at 2.0, first reached at its 4th point (t = 6): it then stalls there
    peer_loss, peer_time = [10.0, 6.0, 3.0, 2.0, 2.0], [0.0, 2.0, 4.0, 6.0, 8.0]
    # ours reaches 2.0 at t = 3 (2.5 at t = 2 is above it: no interpolation); 3 / 6
    assert peer_final_loss_times(ours_loss, ours_time, peer_loss, peer_time) == (3.0, 6.0, 0.5)
    out = MethodOutput(trace_loss=np.array(ours_loss), trace_time=np.array(ours_time),
                       extra={"trace_peer_loss": np.array(peer_loss),
                              "trace_peer_time": np.array(peer_time)})
    ctx = {"X": None, "W": None, "H": None, "out": out}
    assert [METRICS[m](ctx) for m in ("time_to_peer_final_loss", "peer_time_to_final_loss",
                                      "ratio_to_peer_final_loss")] == [3.0, 6.0, 0.5]
    # the final losses: ours 1.0, the peer's 2.0 (its last point, not its first at 2.0)
    assert METRICS["final_loss_ratio_to_peer"](ctx) == 0.5


def test_time_to_the_peers_final_loss_is_none_when_never_reached_or_no_peer_ran():
    from nnmf_research.reproduce.cells import MethodOutput
    from nnmf_research.reproduce.metrics import METRICS, peer_final_loss_times

    assert peer_final_loss_times([4.0, 3.0], [0.0, 1.0], [4.0, 1.0], [0.0, 5.0]) == (
        None, 5.0, None)
    out = MethodOutput(trace_loss=np.array([4.0, 3.0]), trace_time=np.array([0.0, 1.0]))
    for name in ("ratio_to_peer_final_loss", "final_loss_ratio_to_peer"):
        assert METRICS[name]({"X": None, "W": None, "H": None, "out": out}) is None


def test_seconds_per_iteration_divides_by_the_iterations_between_trace_points():
    """A cell run with check_every = 5 has trace points 5 iterations apart: the metric read
    them as one iteration each (10x too slow in bench_beta_mu) until it read the count."""
    from nnmf_research.reproduce.cells import MethodOutput
    from nnmf_research.reproduce.metrics import METRICS

    times = np.array([0.0, 0.5, 1.0, 1.2])
    every = MethodOutput(trace_loss=np.ones(4), trace_time=times)
    assert METRICS["seconds_per_iteration"]({"out": every}) == pytest.approx(0.35)
    sampled = MethodOutput(trace_loss=np.ones(4), trace_time=times,
                           extra={"trace_iterations": np.array([0.0, 5.0, 10.0, 12.0])})
    assert METRICS["seconds_per_iteration"]({"out": sampled}) == pytest.approx(0.1)
