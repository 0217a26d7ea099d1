"""SPA and separable NMF: planted separable data recovered exactly."""

import numpy as np
import pytest

from nnmf_research import NMFInputError, separable_nmf, spa
from nnmf_research.separable import planted_separable, spa_with_norms


def naive_spa(X, r):
    R, out = X.copy(), []
    for _ in range(r):
        j = int(np.argmax((R * R).sum(0)))
        u = R[:, j] / np.linalg.norm(R[:, j])
        R = R - np.outer(u, u @ R)
        out.append(j)
    return out, (R * R).sum(0)


@pytest.mark.parametrize("seed", range(5))
def test_spa_recovers_the_planted_permuted_anchors_exactly(seed):
    X, W, H, anchors = planted_separable(20, 55, 10, random_state=seed)
    assert not np.array_equal(anchors, np.arange(10))  # the anchors are permuted
    assert sorted(spa(X, 10).tolist()) == anchors.tolist()
    fit = separable_nmf(X, 10, method="spa")
    assert fit.relative_error < 1e-8
    np.testing.assert_allclose(fit.W, X[:, list(fit.anchors)])


def test_updated_residual_norms_equal_recomputed_ones():
    X = np.random.default_rng(2).random((15, 60))
    got, res, _ = spa_with_norms(X, 6)
    want, res_naive = naive_spa(X, 6)
    assert got.tolist() == want
    np.testing.assert_allclose(res, res_naive, atol=1e-10 * (X * X).sum(0).max())


def test_spa_is_robust_to_small_noise():
    X, _, _, anchors = planted_separable(20, 55, 10, noise=0.05, random_state=0)
    assert sorted(spa(X, 10).tolist()) == anchors.tolist()


def test_spa_stops_early_on_fewer_directions_and_says_so():
    X = np.outer(np.arange(1.0, 5.0), np.arange(1.0, 8.0))
    idx, _, reason = spa_with_norms(X, 3)
    assert len(idx) == 1 and "fewer than r=3" in reason


def test_bad_input_is_refused_by_name():
    X, *_ = planted_separable(6, 10, 3, random_state=0)
    with pytest.raises(NMFInputError, match="r=11 is larger than the number of columns n=10"):
        spa(X, 11)
    Y = X.copy(); Y[2, 4] = -0.5
    with pytest.raises(NMFInputError, match=r"entry \(2, 4\) is negative"):
        separable_nmf(Y, 3)
    with pytest.raises(NMFInputError, match="unknown method"):
        separable_nmf(X, 3, method="xray")
    with pytest.raises(NMFInputError, match="all zeros"):
        spa(np.zeros((3, 4)), 2)
