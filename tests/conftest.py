"""Known-answer fixtures shared by the tests.

Each fixture says what is known about it and where that knowledge comes from.
"""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(20261128)


@pytest.fixture(scope="session")
def planted():
    """X = W0 @ H0 with positive random factors, k = 5: an exact product, so the optimal
    Frobenius and KL losses at k = 5 are 0 (every method should get close)."""
    gen = np.random.default_rng(5)
    W0 = gen.uniform(0.1, 1.0, size=(30, 5))
    H0 = gen.uniform(0.1, 1.0, size=(5, 20))
    return W0 @ H0, W0, H0


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's bundled digits, toolkit orientation: 64 pixels × 1797 images, 0..16."""
    datasets = pytest.importorskip("sklearn.datasets")
    return datasets.load_digits().data.T.astype(float)


@pytest.fixture(scope="session")
def random_matrix():
    """A dense 80×60 uniform random matrix (not low rank)."""
    return np.random.default_rng(7).random((80, 60))


@pytest.fixture
def item4_matrix():
    """Item 4 of the soundness issue: a 4×5 matrix spanning 1e-11..1e11 whose fooling set
    {(0, 4), (2, 3), (3, 2)} proves rank₊ ≥ 3, while a rank-2 fit has Frobenius relative
    error 2e-16 and misses its worst entry by 100 %; its stored values have rank 4."""
    return np.array([
        [78720374542.31801, 0.0, 0.0, 0.0020061915020648273, 4.113956141381498e-09],
        [1.570026420915569e-08, 8.86524177993303e-08, 1.1768277059884908e-11,
         3.570629384670995e-10, 0.0],
        [1845.5170251224524, 0.0, 0.0, 2.542189878144466e-10, 0.0],
        [5.693107989158165e-05, 266.74808227652505, 0.17071561975113614, 0.06929584552071741,
         0.002969923247390117]])


@pytest.fixture
def huge_sparse_counts(monkeypatch):
    """A 200000 × 50000 count matrix (80 GB as dense float64) with 30000 non-zeros, with
    ``toarray``/``todense`` of every scipy.sparse format made to fail: any code path that
    densifies it fails the test."""
    import scipy.sparse as sp

    gen = np.random.default_rng(0)
    m, n, nnz = 200_000, 50_000, 30_000
    X = sp.csr_matrix((gen.integers(1, 5, nnz).astype(float),
                       (gen.integers(0, m, nnz), gen.integers(0, n, nnz))), shape=(m, n))

    def refuse(*args, **kwargs):
        raise AssertionError("a sparse X was densified")

    for cls in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array, sp.csc_array,
                sp.coo_array):
        monkeypatch.setattr(cls, "toarray", refuse)
        monkeypatch.setattr(cls, "todense", refuse)
    return X
