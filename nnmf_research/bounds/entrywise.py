"""Checking a factorization entry by entry: the test every numerical upper bound must pass.

An upper bound rank₊(X) ≤ r needs W ≥ 0 (m×r), H ≥ 0 (r×n) with WH = X. Short of an exact
rational proof (:mod:`nnmf_research.bounds.certificates`), a factorization counts only when

    |(WH)_ij − X_ij| ≤ tol · X_ij  for every X_ij > 0,   and   (WH)_ij = 0 exactly where X_ij = 0,

the second read off the supports of W and H (so an underflowed product cannot hide a
non-zero). The test is invariant under positive row and column scaling, unlike the relative
Frobenius error ‖X − WH‖_F/‖X‖_F, which on data spanning many orders of magnitude says
nothing about the small entries.

Example
-------
>>> import numpy as np
>>> X = np.array([[1e10, 0.0], [1.0, 1e-10]])
>>> entrywise_relative_error(X, np.array([[1e10], [1.0]]), np.array([[1.0, 0.0]]))
1.0
"""

from __future__ import annotations

import numpy as np

__all__ = ["entrywise_relative_error", "clean_zeros", "UPPER_BOUND_TOL"]

UPPER_BOUND_TOL = 1e-9


def entrywise_relative_error(X: np.ndarray, W: np.ndarray, H: np.ndarray) -> float:
    """max over X_ij > 0 of |(WH)_ij − X_ij| / X_ij; inf where WH is non-zero on a zero of X."""
    X, W, H = (np.asarray(A, dtype=float) for A in (X, W, H))
    support = (W > 0).astype(float) @ (H > 0).astype(float) > 0
    if np.any(support & (X == 0)):
        return float("inf")
    pos = X > 0
    if not pos.any():
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        err = np.abs((W @ H)[pos] - X[pos]) / X[pos]
    return float(np.max(err)) if np.isfinite(err).all() else float("inf")


def clean_zeros(X: np.ndarray, W: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Copies of W, H with (WH)_ij = 0 exactly wherever X_ij = 0: of each pair W_ik > 0,
    H_kj > 0 meeting a zero of X, the entry smaller relative to its column of W (row of H)
    is set to zero. A heuristic repair of round-off-level leaks; the entrywise test decides."""
    W, H = np.array(W, dtype=float), np.array(H, dtype=float)
    zeros = np.argwhere(np.asarray(X) == 0)
    if not len(zeros):
        return W, H
    wmax = W.max(axis=0)
    wmax = np.where(wmax > 0, wmax, 1.0)
    hmax = H.max(axis=1)
    hmax = np.where(hmax > 0, hmax, 1.0)
    for i, j in zeros:
        for k in np.flatnonzero((W[i] > 0) & (H[:, j] > 0)):
            if W[i, k] / wmax[k] <= H[k, j] / hmax[k]:
                W[i, k] = 0.0
            else:
                H[k, j] = 0.0
    return W, H
