"""A low-rank product WH evaluated only on the support of a sparse X, never formed densely.

For X (m×n) with nnz non-zeros at (r_t, c_t), t = 1..nnz, and factors W (m×k), H (k×n):

    y_t = (WH)_{r_t c_t} = Σ_a W_{r_t a} H_{a c_t}          (:func:`product_on_support`)
    Σ_ij (WH)_ij = (1ᵀW)(H1) = Σ_a colsum(W)_a rowsum(H)_a   (:func:`product_total`)

cost O(nnz·k) time and O(chunk·k + (m + n)k) memory (the product is summed over chunks of
``CHUNK`` entries): this is how the KL and χ² objectives, the KL multiplicative update and
PLSI's EM see a sparse X (scikit-learn's ``_special_sparse_dot`` does the same for its KL MU).

Example
-------
>>> import numpy as np, scipy.sparse as sp
>>> X = sp.csr_matrix(np.array([[0.0, 2.0], [3.0, 0.0]]))
>>> W, H = np.array([[1.0], [2.0]]), np.array([[3.0, 4.0]])
>>> rows, cols, vals = support(X)
>>> product_on_support(W, H, rows, cols).tolist(), product_total(W, H)
([4.0, 6.0], 21.0)
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["CHUNK", "support", "product_on_support", "product_total", "with_values",
           "values_at", "squared_norm", "total"]

CHUNK = 2048
"""Entries per chunk of :func:`product_on_support`: 2048·k floats of scratch stay in cache
(measured 8× faster than 32768 on the newsgroups counts at k = 20)."""


def support(X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, cols, values) of the stored entries of X, in storage order (CSR: row-major;
    CSC: column-major), without copying the values. A dense X gives its non-zeros."""
    if sp.issparse(X):
        if X.format == "csr":
            rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
            return rows, X.indices, X.data
        if X.format == "csc":
            cols = np.repeat(np.arange(X.shape[1]), np.diff(X.indptr))
            return X.indices, cols, X.data
        C = X.tocoo()
        return C.row, C.col, C.data
    X = np.asarray(X)
    rows, cols = np.nonzero(X)
    return rows, cols, X[rows, cols]


def product_on_support(W: np.ndarray, H: np.ndarray, rows: np.ndarray,
                       cols: np.ndarray) -> np.ndarray:
    """y_t = (WH)_{rows_t, cols_t} for every t, in chunks (module docstring)."""
    Ht = np.ascontiguousarray(H.T)
    out = np.empty(rows.shape[0])
    for s in range(0, rows.shape[0], CHUNK):
        e = s + CHUNK
        np.einsum("ij,ij->i", W[rows[s:e]], Ht[cols[s:e]], out=out[s:e])
    return out


def product_total(W: np.ndarray, H: np.ndarray) -> float:
    """Σ_ij (WH)_ij = Σ_a (Σ_i W_ia)(Σ_j H_aj), in O((m + n)k)."""
    return float(W.sum(axis=0) @ H.sum(axis=1))


def with_values(X, values: np.ndarray):
    """A sparse matrix with X's structure (CSR or CSC) and new stored values."""
    cls = sp.csr_matrix if X.format == "csr" else sp.csc_matrix
    return cls((values, X.indices, X.indptr), shape=X.shape)


def values_at(X, rows: np.ndarray, cols: np.ndarray, like=None) -> np.ndarray:
    """X_{rows_t, cols_t} for every t, 0 where a sparse X stores nothing; a sparse X is read
    through its index structure, never densified. ``like``: a sparse matrix whose
    :func:`support` is (rows, cols); when X has exactly its structure, X's stored values are
    those entries (no search)."""
    if sp.issparse(X):
        if (like is not None and X.format == like.format and X.format in ("csr", "csc")
                and X.nnz == like.nnz and np.array_equal(X.indptr, like.indptr)
                and np.array_equal(X.indices, like.indices)):
            return np.asarray(X.data, dtype=float)
        if rows.size == 0:
            return np.zeros(0)
        return np.asarray(X.tocsr()[rows, cols], dtype=float).ravel()
    return np.asarray(X, dtype=float)[rows, cols]


def squared_norm(X) -> float:
    """‖X‖²_F of a dense or sparse X (a sparse one through its stored values)."""
    if sp.issparse(X):
        if X.format in ("csr", "csc") and X.has_canonical_format:
            return float(np.dot(X.data, X.data))
        return float(X.multiply(X).sum())
    return float(np.vdot(X, X))


def total(X) -> float:
    """Σ_ij X_ij of a dense or sparse X."""
    return float(X.sum())
