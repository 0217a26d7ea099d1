"""The SDP models behind the two bounds, as data.

``TauSosModel`` / :func:`tau_sos_model`: the structured τ₊^sos model of Fawzi & Parrilo (2016)
(zero entries dropped, equalities eliminated; see :mod:`nnmf_research.bounds.sdp`), its conic
data for Clarabel (``_clarabel_data``, PSD cone in the scaled svec order), :func:`smat` (svec
back to a symmetric matrix) and :func:`tau_sos_naive_model`, the straightforward per-entry CVXPY
model (reference only). ``NuclearModel``: the scaled copy the nuclear-norm SDP sees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

_SQRT2 = math.sqrt(2.0)

@dataclass(frozen=True)
class TauSosModel:
    """The structured τ₊^sos model for a matrix with positive entries at ``positions``.

    ``x`` holds the positive entries (column-major order of the positions), ``pairs_a/b`` the
    upper-triangle index pairs a ≤ b of Y over P whose class is free, ``pair_class`` their
    class id (0..n_classes−1), ``diag_class[a]`` the class of Y_aa. The decision vector is
    z = (t, y_0, …, y_{n_classes−1})."""

    shape: tuple[int, int]
    positions: np.ndarray        # (p, 2) row, column of each kept index
    x: np.ndarray                # (p,) the entries X_ij > 0
    pairs_a: np.ndarray
    pairs_b: np.ndarray
    pair_class: np.ndarray
    diag_class: np.ndarray
    n_classes: int

    @property
    def p(self) -> int:
        return int(self.x.size)

    @property
    def order(self) -> int:
        """Order of the PSD matrix M (p + 1)."""
        return self.p + 1


def tau_sos_model(X: np.ndarray, exploit_zeros: bool = True) -> TauSosModel:
    """Build the class parameterization of Y (vectorized, no Python loop over entries).

    Pairs a ≤ b of kept indices with a = (i, j), b = (k, l) fall in the class keyed by
    (min(i,k), max(i,k), min(j,l), max(j,l)); the class is free iff X_il > 0 and X_kj > 0
    (a and b are kept, so all four corners are then in P), otherwise its value is forced to 0.
    With ``exploit_zeros=False`` every index is kept (zero entries give classes whose
    diagonal is ≤ 0, which the SDP itself forces to 0)."""
    m, n = X.shape
    cols, rows = np.meshgrid(np.arange(n), np.arange(m))      # column-major order below
    rows, cols = rows.T.ravel(), cols.T.ravel()
    keep = X[rows, cols] > 0 if exploit_zeros else np.ones(rows.size, dtype=bool)
    rows, cols = rows[keep], cols[keep]
    x = X[rows, cols]
    p = x.size
    a, b = np.triu_indices(p)
    i, j, k, l = rows[a], cols[a], rows[b], cols[b]
    if exploit_zeros:
        free = (X[i, l] > 0) & (X[k, j] > 0)
    else:
        free = np.ones(a.size, dtype=bool)
    a, b, i, j, k, l = a[free], b[free], i[free], j[free], k[free], l[free]
    r1, r2 = np.minimum(i, k), np.maximum(i, k)
    c1, c2 = np.minimum(j, l), np.maximum(j, l)
    key = ((r1 * m + r2) * n + c1) * n + c2
    _, pair_class = np.unique(key, return_inverse=True)
    pair_class = pair_class.ravel()
    n_classes = int(pair_class.max()) + 1 if pair_class.size else 0
    diag_class = np.empty(p, dtype=np.int64)
    on_diag = a == b
    diag_class[a[on_diag]] = pair_class[on_diag]
    return TauSosModel((m, n), np.c_[rows, cols], x, a, b, pair_class, diag_class, n_classes)


def _svec_index(r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Position of entry (r, c), r ≤ c, in the column-major upper triangle (Clarabel's
    PSDTriangleConeT ordering): c(c+1)/2 + r."""
    return c * (c + 1) // 2 + r


def _clarabel_data(model: TauSosModel):
    """Clarabel standard form min qᵀz s.t. Az + s = b, s ∈ K for z = (t, y).

    K = R₊^p × S₊^{p+1} (scaled upper triangle, off-diagonals ×√2):
    rows 0..p−1:  s = x_a² − y_{diag_class(a)} ≥ 0;
    rows p..:     s = svec(M(t, y)) with M = [[t, xᵀ], [x, Y(y)]]."""
    p, nv = model.p, 1 + model.n_classes
    # nonnegative block
    rows_nn = np.arange(p)
    cols_nn = 1 + model.diag_class
    vals_nn = np.ones(p)
    # PSD block: t at (0,0), Y entries at (1+a, 1+b)
    ia, ib = model.pairs_a, model.pairs_b
    sidx = _svec_index(1 + ia, 1 + ib)
    coef = np.where(ia == ib, 1.0, _SQRT2)
    rows_psd = p + np.r_[0, sidx]
    cols_psd = np.r_[0, 1 + model.pair_class]
    vals_psd = -np.r_[1.0, coef]
    A = sp.csc_matrix((np.r_[vals_nn, vals_psd], (np.r_[rows_nn, rows_psd],
                                                    np.r_[cols_nn, cols_psd])),
                      shape=(p + (p + 1) * (p + 2) // 2, nv))
    b = np.zeros(A.shape[0])
    b[:p] = model.x ** 2
    b[p + _svec_index(np.zeros(p, dtype=np.int64), 1 + np.arange(p))] = _SQRT2 * model.x
    q = np.zeros(nv)
    q[0] = 1.0
    return q, A, b


def smat(v: np.ndarray, order: int) -> np.ndarray:
    """Inverse of the scaled upper-triangle vectorization (off-diagonals divided by √2)."""
    r, c = np.triu_indices(order)                       # row-major over the upper triangle
    idx = _svec_index(r, c)
    S = np.zeros((order, order))
    vals = v[idx] / np.where(r == c, 1.0, _SQRT2)
    S[r, c] = vals
    S[c, r] = vals
    return S


def tau_sos_naive_model(X: np.ndarray):
    """The straightforward CVXPY model (reference only): full mn×mn symmetric Y, one scalar
    equality constraint per (i<k, j<l). Returns (problem, PSD constraint)."""
    import cvxpy as cp

    m, n = X.shape
    x = X.ravel(order="F")
    N = m * n
    t = cp.Variable()
    Y = cp.Variable((N, N), symmetric=True)
    M = cp.bmat([[cp.reshape(t, (1, 1), order="F"), x[None, :]], [x[:, None], Y]])
    psd = M >> 0
    cons = [psd, cp.diag(Y) <= x ** 2]
    for i in range(m):
        for k in range(i + 1, m):
            for j in range(n):
                for l in range(j + 1, n):
                    cons.append(Y[i + j * m, k + l * m] == Y[i + l * m, k + j * m])
    return cp.Problem(cp.Minimize(t), cons), psd


@dataclass(frozen=True)
class NuclearModel:
    """The scaled copy Xp = 2^k X the SDP sees (floats) and its exact values (Fractions)."""

    X: np.ndarray
    exact: tuple = ()
