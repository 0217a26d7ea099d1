"""Generated data: a dense uniform random matrix, planted positive and integer products."""

from __future__ import annotations

import numpy as np

from ..checks import NMFInputError, check_positive_int
from .dataset import Dataset

__all__ = ["random", "planted", "planted_integer"]


def random(m: int = 1000, n: int = 500, seed: int = 0) -> Dataset:
    """A dense m×n matrix of uniform [0, 1) entries from ``default_rng(seed)``."""
    m = check_positive_int(m, "m")
    n = check_positive_int(n, "n")
    X = np.random.default_rng(seed).random((m, n))
    return Dataset(f"random{m}x{n}", X, f"numpy default_rng({seed}).random(({m}, {n}))")


def planted(m: int = 60, n: int = 40, k: int = 5, seed: int = 0) -> Dataset:
    """X = W₀H₀ with W₀, H₀ uniform on [0.1, 1): nonnegative rank at most k."""
    gen = np.random.default_rng(seed)
    W0 = gen.uniform(0.1, 1.0, (m, k))
    H0 = gen.uniform(0.1, 1.0, (k, n))
    return Dataset(f"planted{m}x{n}k{k}", W0 @ H0, f"planted product, seed {seed}",
                   meta={"k": k})


def planted_integer(m: int = 8, n: int = 7, r: int = 3, seed: int = 0,
                    high: int = 3) -> Dataset:
    """X = W₀H₀ with integer factors in [0, high], redrawn until rank(X) = r, so
    rank₊(X) = r (rank ≤ rank₊ ≤ r). W₀, H₀ are kept in ``meta``."""
    gen = np.random.default_rng(seed)
    for _ in range(1000):
        W0 = gen.integers(0, high + 1, (m, r))
        H0 = gen.integers(0, high + 1, (r, n))
        X = (W0 @ H0).astype(float)
        if np.linalg.matrix_rank(X) == r:
            return Dataset(f"planted_int{m}x{n}r{r}", X, f"integer planted product, seed {seed}",
                           meta={"rank": r, "rank_plus": r, "rank_plus_status": "proved",
                                 "W0": W0, "H0": H0})
    raise NMFInputError(f"could not draw integer factors of rank {r} for {m}x{n}")
