"""Generated data: a dense uniform random matrix, planted positive and integer products, a
planted non-negative tensor, planted Boolean products, planted near-separable matrices
(Gillis & Luce 2014's benchmark), and planted products with relative Gaussian noise (optionally
clustered, for choosing k)."""

from __future__ import annotations

import numpy as np

from ..checks import (NMFInputError, check_nonnegative_real, check_positive_int,
                      check_random_state)
from .dataset import Dataset

__all__ = ["random", "sparse_random", "planted", "planted_integer", "planted_tensor", "planted_boolean",
           "planted_separable", "separable", "planted_noisy"]


def random(m: int = 1000, n: int = 500, seed: int = 0) -> Dataset:
    """A dense m×n matrix of uniform [0, 1) entries from ``default_rng(seed)``."""
    m = check_positive_int(m, "m")
    n = check_positive_int(n, "n")
    X = np.random.default_rng(seed).random((m, n))
    return Dataset(f"random{m}x{n}", X, f"numpy default_rng({seed}).random(({m}, {n}))")


def sparse_random(m: int = 100000, n: int = 20000, density: float = 0.001,
                  seed: int = 0, counts: int = 0) -> Dataset:
    """A scipy.sparse (CSR) m×n matrix with about density·m·n stored entries, uniform on
    (0, 1], at distinct positions drawn uniformly from ``default_rng(seed)`` (duplicates of
    the draw are dropped, so nnz is a little below density·m·n). Built in O(nnz) memory:
    the dense matrix is never formed (100000 × 20000 would be 16 GB). ``counts = c > 0``
    makes the stored values integers uniform on {1, …, c} instead (a word-count matrix, for
    PLSI), from the same positions."""
    import scipy.sparse as sp

    m = check_positive_int(m, "m")
    n = check_positive_int(n, "n")
    density = check_nonnegative_real(density, "density")
    if density > 1:
        raise NMFInputError(f"density must be in [0, 1], got {density!r}")
    gen = np.random.default_rng(seed)
    flat = np.unique(gen.integers(0, m * n, size=int(round(density * m * n)), dtype=np.int64))
    counts = check_positive_int(counts, "counts", low=0)
    if counts:
        values = gen.integers(1, counts + 1, size=flat.size).astype(float)
        kind = f"integer counts uniform on 1..{counts}"
    else:
        values = 1.0 - gen.random(flat.size)                   # (0, 1]: no stored zero
        kind = "uniform (0, 1] entries"
    X = sp.csr_matrix((values, (flat // n, flat % n)), shape=(m, n))
    return Dataset(f"sparse_random{m}x{n}", X,
                   f"{X.nnz} {kind} at distinct positions drawn by numpy "
                   f"default_rng({seed}) (density {X.nnz / (m * n):.3g})")


def planted(m: int = 60, n: int = 40, k: int = 5, seed: int = 0) -> Dataset:
    """X = W₀H₀ with W₀, H₀ uniform on [0.1, 1): nonnegative rank at most k."""
    gen = np.random.default_rng(seed)
    W0 = gen.uniform(0.1, 1.0, (m, k))
    H0 = gen.uniform(0.1, 1.0, (k, n))
    return Dataset(f"planted{m}x{n}k{k}", W0 @ H0, f"planted product, seed {seed}",
                   meta={"k": k})


def planted_integer(m: int = 8, n: int = 7, r: int = 3, seed: int = 0,
                    high: int = 3, noise: float = 0.0) -> Dataset:
    """X = W₀H₀ with integer factors in [0, high], redrawn until rank(X) = r, so
    rank₊(X) = r (rank ≤ rank₊ ≤ r). W₀, H₀ are kept in ``meta``. ``noise > 0`` adds
    Gaussian noise of that standard deviation (same generator), clipped at 0."""
    gen = np.random.default_rng(seed)
    for _ in range(1000):
        W0 = gen.integers(0, high + 1, (m, r))
        H0 = gen.integers(0, high + 1, (r, n))
        X = (W0 @ H0).astype(float)
        if np.linalg.matrix_rank(X) == r:
            if noise > 0:
                X = np.maximum(X + gen.normal(0.0, noise, X.shape), 0.0)
                return Dataset(f"planted_int{m}x{n}r{r}_noise{noise:g}", X,
                               f"integer planted product + N(0, {noise:g}²), seed {seed}",
                               meta={"W0": W0, "H0": H0})
            return Dataset(f"planted_int{m}x{n}r{r}", X, f"integer planted product, seed {seed}",
                           meta={"rank": r, "rank_plus": r, "rank_plus_status": "proved",
                                 "W0": W0, "H0": H0})
    raise NMFInputError(f"could not draw integer factors of rank {r} for {m}x{n}")


def planted_tensor(shape=(100, 100, 100), k: int = 10, seed: int = 0) -> Dataset:
    """T = Σ_{j≤k} a_j⁽¹⁾ ⊗ … ⊗ a_j⁽ⁿ⁾ with factor entries uniform on [0.1, 1) (drawn mode by
    mode from ``default_rng(seed)``): a non-negative tensor of CP rank at most k, given as
    X = T.reshape(-1, I_n) (rows: the leading modes in C order; columns: the last mode), so
    ``X.reshape(*shape[:-1], -1)`` is T."""
    shape = tuple(check_positive_int(s, "a mode length") for s in shape)
    if len(shape) < 2:
        raise NMFInputError(f"a planted tensor needs at least 2 modes, got shape {shape}")
    k = check_positive_int(k, "k")
    gen = np.random.default_rng(seed)
    factors = [gen.uniform(0.1, 1.0, (length, k)) for length in shape]
    T = np.einsum(*[x for r, A in enumerate(factors) for x in (A, [r, len(shape)])],
                  list(range(len(shape))))
    name = "x".join(map(str, shape))
    return Dataset(f"planted_tensor{name}k{k}", T.reshape(-1, shape[-1]),
                   f"planted non-negative CP tensor {name}, rank {k}, seed {seed}",
                   meta={"k": k, "tensor_shape": name})


def planted_boolean(m: int = 20, n: int = 20, k: int = 3, density: float = 0.3,
                    flips: float = 0.0, seed: int = 0) -> Dataset:
    """X = W₀∘H₀ (Boolean product, OR of ANDs) of random 0/1 factors with P(1) = ``density``,
    then each entry flipped with probability ``flips``. W₀, H₀ are kept in ``meta``."""
    gen = np.random.default_rng(seed)
    W0 = (gen.random((m, k)) < density).astype(np.int64)
    H0 = (gen.random((k, n)) < density).astype(np.int64)
    X = ((W0 @ H0) > 0).astype(float)
    if flips > 0:
        X = np.where(gen.random(X.shape) < flips, 1.0 - X, X)
    return Dataset(f"planted_bool{m}x{n}k{k}", X,
                   f"Boolean planted product, density {density:g}, flips {flips:g}, seed {seed}",
                   meta={"W0": W0, "H0": H0})


def planted_separable(m: int = 20, n: int = 55, r: int = 10, noise: float = 0.0, *,
                      alpha: float = 0.5, random_state=None):
    """A near-separable matrix as in Gillis & Luce's benchmark (JMLR 2014, ``minibench``).

    W (m×r) uniform [0, 1) with columns scaled to sum 1; H = [I_r, Dirichlet(alpha) columns]
    with its n columns randomly permuted; N Gaussian scaled so that its largest column ℓ1 norm
    is ``noise``; X = max(0, WH + N). Returns (X, W, H, anchors) with ``anchors`` the sorted
    positions of the identity columns.
    """
    rng = check_random_state(random_state)
    m, n = check_positive_int(m, "m"), check_positive_int(n, "n")
    r = check_positive_int(r, "r", low=1, high=min(m, n))
    noise = check_nonnegative_real(noise, "noise")
    W = rng.random((m, r))
    W /= W.sum(axis=0)
    H = np.hstack([np.eye(r), rng.dirichlet(np.full(r, alpha), size=n - r).T])
    perm = rng.permutation(n)
    H = H[:, np.argsort(perm)]  # column perm[i] of the new H is column i of the old
    anchors = np.sort(perm[:r])
    X = W @ H
    if noise > 0:
        N = rng.standard_normal((m, n))
        N *= noise / np.abs(N).sum(axis=0).max()
        X = np.maximum(X + N, 0.0)
    return X, W, H, anchors


def separable(m: int = 20, n: int = 55, r: int = 10, noise: float = 0.0, alpha: float = 0.5,
              seed: int = 0) -> Dataset:
    """:func:`planted_separable` as a data set: X (m×n) with the planted anchors (sorted) in
    ``meta["anchors"]`` and the noise level in ``meta["noise"]``."""
    X, W, H, anchors = planted_separable(m, n, r, noise, alpha=alpha, random_state=seed)
    return Dataset(f"separable{m}x{n}r{r}", X,
                   f"planted near-separable (Gillis & Luce 2014), noise {noise:g}, seed {seed}",
                   meta={"anchors": anchors, "noise": float(noise), "r": r, "W0": W, "H0": H})


def planted_noisy(m: int = 200, n: int = 150, k: int = 5, noise: float = 0.0,
                  clustered: bool = False, seed: int = 0) -> Dataset:
    """X = max(0, W₀H₀ + N), W₀, H₀ uniform on [0.1, 1) from ``default_rng(seed)`` and N
    Gaussian scaled to ‖N‖_F = ``noise``·‖W₀H₀‖_F (a relative noise level; 0: the exact
    product, nonnegative rank at most k).

    ``clustered``: H₀ uniform on [0, 0.2) plus 1 at H₀[j mod k, j], so every sample has one
    dominant component, the cluster structure Brunet et al. (PNAS 2004) cluster by (the
    largest entry of the column of H); H₀ is then near-separable, which makes the
    factorization (hence the clusters) essentially unique, as consensus clustering presumes
    (with dense H₀ the restarts reach the same loss with different clusters). The true
    cluster of each column is ``meta["labels"]``. ``meta`` also holds k, noise, W₀, H₀.
    """
    m = check_positive_int(m, "m")
    n = check_positive_int(n, "n")
    k = check_positive_int(k, "k", high=min(m, n))
    noise = check_nonnegative_real(noise, "noise")
    gen = np.random.default_rng(seed)
    W0 = gen.uniform(0.1, 1.0, (m, k))
    H0 = gen.uniform(0.0, 0.2, (k, n)) if clustered else gen.uniform(0.1, 1.0, (k, n))
    labels = np.arange(n) % k
    if clustered:
        H0[labels, np.arange(n)] += 1.0
    X = W0 @ H0
    if noise > 0:
        N = gen.standard_normal(X.shape)
        X = np.maximum(X + N * (noise * np.linalg.norm(X) / np.linalg.norm(N)), 0.0)
    kind = "clustered " if clustered else ""
    return Dataset(f"planted_noisy{m}x{n}k{k}_noise{noise:g}", X,
                   f"{kind}planted product + relative noise {noise:g}, seed {seed}",
                   meta={"k": k, "noise": float(noise), "W0": W0, "H0": H0,
                         **({"labels": labels, "classes": k} if clustered else {})})
