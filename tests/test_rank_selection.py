"""Choosing k: held-out cross-validation and consensus clustering (nnmf_research.rank_selection)."""

import numpy as np
import pytest

from nnmf_research.checks import NMFInputError
from nnmf_research.rank_selection import (consensus_matrix, cophenetic_correlation, dispersion,
                                          held_out_folds, select_rank)


def _planted(k0, seed, m=50, n=40, noise=0.02):
    rng = np.random.default_rng(seed)
    X = rng.random((m, k0)) @ rng.random((k0, n))
    return np.maximum(X + noise * X.mean() * rng.standard_normal(X.shape), 0.0)


def test_held_out_cross_validation_picks_the_planted_k():
    report = select_rank(_planted(4, 400), range(3, 7), method="cv", random_state=0)
    assert report.best_k == {"cv": 4}
    assert [r["k"] for r in report.table] == [3, 4, 5, 6]
    assert all(r["cv_sd"] >= 0 and len(r["cv_folds"]) == 5 for r in report.table)


@pytest.mark.slow
@pytest.mark.parametrize("k0", [6, 8])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_held_out_cross_validation_picks_larger_planted_ks(k0, seed):
    report = select_rank(_planted(k0, 100 * k0 + seed), range(k0 - 3, k0 + 4), method="cv")
    assert report.best_k["cv"] == k0


def _clusters(seed=0, k=3, per=12, m=30):
    """Columns drawn around k well-separated non-negative prototypes (disjoint supports)."""
    rng = np.random.default_rng(seed)
    protos = np.zeros((m, k))
    for j in range(k):
        protos[j * (m // k):(j + 1) * (m // k), j] = 1.0 + rng.random(m // k)
    X = np.hstack([protos[:, [j]] * (1 + 0.1 * rng.random((1, per))) for j in range(k)])
    return X + 0.01 * rng.random(X.shape), np.repeat(np.arange(k), per)


def test_consensus_of_identical_clusterings_has_cophenetic_correlation_one():
    X, truth = _clusters()
    report = select_rank(X, [2, 3], method="consensus", n_restarts=5, random_state=0)
    C = report.consensus[3]
    assert np.array_equal(C, C.T) and np.all(np.diag(C) == 1)
    assert np.array_equal(C, truth[:, None] == truth[None, :])   # every restart: the truth
    three = report.table[1]
    assert three["cophenetic"] == pytest.approx(1.0) and three["dispersion"] == 1.0


def test_consensus_statistics_on_mixed_clusterings():
    labels = np.array([[0, 0, 1, 1, 2], [0, 1, 1, 1, 2], [1, 0, 0, 2, 2]])
    C = consensus_matrix(labels)
    assert np.array_equal(C, C.T) and np.all(np.diag(C) == 1)
    assert C[0, 1] == pytest.approx(1 / 3) and C[2, 3] == pytest.approx(2 / 3)
    assert -1 <= cophenetic_correlation(C) <= 1
    assert 0 <= dispersion(C) < 1
    assert dispersion(np.full((4, 4), 0.5)) == 0.0
    assert cophenetic_correlation(np.ones((4, 4))) == 1.0      # one cluster (k = 1)


def test_a_fold_that_empties_a_row_is_refused_with_the_fix():
    mask = np.ones((4, 1))               # one entry per row: its fold empties the row
    with pytest.raises(NMFInputError, match="use fewer folds"):
        held_out_folds(mask, 2, random_state=0)


def test_missing_entries_are_never_held_out_and_a_rerun_resumes(tmp_path, monkeypatch):
    X = _planted(3, 7, m=20, n=15)
    X[0, 1] = np.nan
    folds = held_out_folds((~np.isnan(X)).astype(float), 3, random_state=0)
    assert folds[0, 1] == -1 and set(np.unique(folds)) == {-1, 0, 1, 2}
    first = select_rank(X, [2, 3], method="cv", n_folds=3, max_iter=100,
                        checkpoint_dir=tmp_path)
    import nnmf_research.rank_selection as rs

    monkeypatch.setattr(rs, "_fit", lambda *a, **k: pytest.fail("refitted a saved fold"))
    again = select_rank(X, [2, 3], method="cv", n_folds=3, max_iter=100,
                        checkpoint_dir=tmp_path)
    assert again.table == first.table


def test_the_figure_is_written(tmp_path):
    X, _ = _clusters()
    report = select_rank(X, [2, 3], method="both", n_folds=3, n_restarts=3, max_iter=200)
    path = report.plot(tmp_path / "sel.png")
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_bad_input_is_named():
    with pytest.raises(NMFInputError, match="unknown method"):
        select_rank(np.ones((4, 4)), [2], method="aic")
    with pytest.raises(NMFInputError, match="k"):
        select_rank(np.ones((4, 4)), [9])


def _sparse_planted(k0, seed, m=100, n=80, noise=0.01):
    """X = W₀H₀ + noise with half the entries of each factor zero (an essentially unique
    NMF, so the D-factors' cone holds the held-out rows and columns)."""
    rng = np.random.default_rng(seed)
    W = rng.random((m, k0)) * (rng.random((m, k0)) < 0.5)
    H = rng.random((k0, n)) * (rng.random((k0, n)) < 0.5)
    X = W @ H
    return np.maximum(X + noise * X.mean() * rng.standard_normal(X.shape), 0.0)


@pytest.mark.parametrize("k0,seed", [(4, 1), pytest.param(6, 2, marks=pytest.mark.slow),
                                     pytest.param(8, 3, marks=pytest.mark.slow)])
def test_bi_cross_validation_picks_the_planted_k(k0, seed):
    report = select_rank(_sparse_planted(k0, seed), range(k0 - 2, k0 + 3), method="bcv")
    assert report.best_k == {"bcv": k0}
    assert all(len(r["bcv_folds"]) == 4 for r in report.table)     # 2 × 2 blocks
    errors = [r["bcv_mean"] for r in report.table]
    assert errors[2] < 1e-2 * errors[0]            # an order below k0 − 2, not a flat curve


def test_a_bcv_block_is_predicted_exactly_from_an_exact_product():
    # X = W₀H₀ exactly with a separable-like W₀: the D-fit and both fold-ins are exact, so
    # A = W_I H_J to rounding (Owen & Perry's self-consistency, in the NMF case)
    from nnmf_research.rank_selection import bcv_block_error

    rng = np.random.default_rng(0)
    W0 = np.vstack([np.eye(3), rng.random((17, 3))])
    H0 = np.hstack([np.eye(3), rng.random((3, 13))])
    X = W0 @ H0
    rows = np.zeros(20, bool)
    rows[[5, 9, 12, 17]] = True
    cols = np.zeros(16, bool)
    cols[[4, 8, 15]] = True
    keep_r, keep_c = ~rows, ~cols

    def fit_D(D, mask_D):                          # the exact factors of D
        return W0[keep_r], H0[:, keep_c]

    assert bcv_block_error(X, None, rows, cols, 3, fit_D) < 1e-24
    # a rank-2 D-fit cannot predict A
    assert bcv_block_error(X, None, rows, cols, 2,
                           lambda D, M: (W0[keep_r][:, :2], H0[:2, keep_c])) > 1e-3


def test_bcv_with_missing_entries_and_its_errors():
    X = _sparse_planted(3, 4, m=40, n=30)
    Xn = X.copy()
    Xn[np.random.default_rng(4).random(X.shape) < 0.1] = np.nan
    report = select_rank(Xn, [2, 3, 4], method="bcv", random_state=0, max_iter=300)
    assert report.best_k == {"bcv": 3}
    with pytest.raises(NMFInputError, match="loss 'frobenius'"):
        select_rank(X, [2], method="bcv", loss="kl")
    with pytest.raises(NMFInputError, match="out of range"):
        select_rank(X, [16], method="bcv")          # D is 20 × 15 with 2 folds
