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
