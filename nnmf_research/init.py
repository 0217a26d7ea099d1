"""Initial factors W (m×k) and H (k×n), seeded and reproducible.

Methods
-------
random
    W, H = a·|N(0, 1)| entries with a = sqrt(mean(X)/k), so E[WH] is of the order of mean(X)
    (scikit-learn's scale). H is drawn first, then W, from one Generator.
nndsvd
    Non-negative double SVD, Boutsidis & Gallopoulos (2008), "SVD based initialization: A
    head start for nonnegative matrix factorization", Pattern Recognition 41(4):1350–1362.
    With the leading singular triplets (σ_j, u_j, v_j) of X:
    W_:0 = √σ_0·|u_0|, H_0: = √σ_0·|v_0|; for j ≥ 1 split u_j = u⁺ − u⁻, v_j = v⁺ − v⁻, keep
    the pair with the larger ‖u^±‖·‖v^±‖ =: μ, and set W_:j = √(σ_j μ)·u^±/‖u^±‖,
    H_j: = √(σ_j μ)·v^±/‖v^±‖. Entries below 1e-6 are set to 0. The SVD is a full
    deterministic LAPACK SVD, so this does not depend on the seed (scikit-learn's uses a
    randomized SVD, making its "deterministic" init depend on ``random_state``).
nndsvda
    nndsvd with its zeros replaced by mean(X) (better for multiplicative updates).
nndsvdar
    nndsvd with its zeros replaced by mean(X)/100·|N(0, 1)| draws.

Example
-------
>>> import numpy as np
>>> W, H = initialize(np.outer([1.0, 2.0], [3.0, 1.0, 2.0]), 1, method="nndsvd")
>>> bool(np.allclose(W @ H, np.outer([1.0, 2.0], [3.0, 1.0, 2.0])))
True
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from .checks import check_choice, check_matrix, check_random_state, check_rank

__all__ = ["INIT_METHODS", "initialize"]

INIT_METHODS = ("random", "nndsvd", "nndsvda", "nndsvdar")

_ZERO_BELOW = 1e-6


def _nndsvd(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    U, s, Vt = scipy.linalg.svd(X, full_matrices=False)
    m, n = X.shape
    W = np.zeros((m, k))
    H = np.zeros((k, n))
    W[:, 0] = np.sqrt(s[0]) * np.abs(U[:, 0])
    H[0, :] = np.sqrt(s[0]) * np.abs(Vt[0, :])
    for j in range(1, k):
        u, v = U[:, j], Vt[j, :]
        u_pos, u_neg = np.maximum(u, 0), np.maximum(-u, 0)
        v_pos, v_neg = np.maximum(v, 0), np.maximum(-v, 0)
        nu_pos, nv_pos = np.linalg.norm(u_pos), np.linalg.norm(v_pos)
        nu_neg, nv_neg = np.linalg.norm(u_neg), np.linalg.norm(v_neg)
        if nu_pos * nv_pos >= nu_neg * nv_neg:
            uu, vv, mu = u_pos / nu_pos, v_pos / nv_pos, nu_pos * nv_pos
        else:
            uu, vv, mu = u_neg / nu_neg, v_neg / nv_neg, nu_neg * nv_neg
        if mu == 0.0:  # u_j or v_j has one sign only; leave the component zero
            continue
        scale = np.sqrt(s[j] * mu)
        W[:, j] = scale * uu
        H[j, :] = scale * vv
    W[W < _ZERO_BELOW] = 0.0
    H[H < _ZERO_BELOW] = 0.0
    return W, H


def initialize(X, k: int, method: str = "nndsvda",
               random_state=None) -> tuple[np.ndarray, np.ndarray]:
    """Initial (W, H) for X ≈ WH by ``method`` (see the module docstring).

    Parameters
    ----------
    X : (m, n) array_like, non-negative
    k : int, 1 <= k <= min(m, n)
    method : "random" | "nndsvd" | "nndsvda" | "nndsvdar"
    random_state : None, int or numpy Generator (unused by nndsvd and nndsvda)

    Returns
    -------
    W : (m, k) ndarray, H : (k, n) ndarray, both non-negative and finite.
    """
    X = check_matrix(X)
    k = check_rank(k, X.shape)
    check_choice(method, "init", INIT_METHODS)
    mean = float(X.mean())
    if method == "random":
        gen = check_random_state(random_state)
        scale = np.sqrt(mean / k)
        H = scale * np.abs(gen.standard_normal((k, X.shape[1])))
        W = scale * np.abs(gen.standard_normal((X.shape[0], k)))
        return W, H
    W, H = _nndsvd(X, k)
    if method == "nndsvda":
        W[W == 0] = mean
        H[H == 0] = mean
    elif method == "nndsvdar":
        gen = check_random_state(random_state)
        zw, zh = W == 0, H == 0
        W[zw] = mean / 100 * np.abs(gen.standard_normal(int(zw.sum())))
        H[zh] = mean / 100 * np.abs(gen.standard_normal(int(zh.sum())))
    return W, H
