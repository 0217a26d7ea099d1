"""The rank of X: the first lower bound on the nonnegative rank, rank(X) ≤ rank₊(X).

Two routes, chosen by the data:

* **exact over Q** — when every entry of X equals a rational with a small denominator
  (≤ 10⁶; integers, or decimals read from a file), the rank of that rational matrix is
  computed by fraction-free Gaussian elimination on integers. The certificate is an r×r
  submatrix (row and column indices) with a non-zero determinant, which anyone can re-check.
* **numerical** — otherwise (irrational data such as polygon slack matrices built from
  cosines), the number of singular values above ``tol·σ₁`` (default ``tol = 1e-9``). The
  stored floats of an irrational matrix are generically of full rank, so an exact rank of
  the floats would say nothing about the matrix they approximate; the tolerance is stated
  in the status and the bound is not marked certified.

Example
-------
>>> import numpy as np
>>> rank_bound(np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 1]])).bound
3
"""

from __future__ import annotations

import time
from fractions import Fraction
from math import lcm

import numpy as np

from ..checks import check_matrix
from ..results import RankBound
from .certificates import rational_matrix

__all__ = ["rational_entries", "exact_rank", "numerical_rank", "matrix_rank", "rank_bound",
           "RANK_TOL"]

RANK_TOL = 1e-9
MAX_DENOMINATOR = 10**6


def rational_entries(X, max_denominator: int = MAX_DENOMINATOR) -> list[list[Fraction]] | None:
    """X as rationals when every entry equals (as a float) a rational with denominator
    ≤ ``max_denominator``; ``None`` when some entry does not (irrational-looking data)."""
    A = np.asarray(X, dtype=float)
    Q = rational_matrix(A, max_denominator)
    if any(float(q) != x for row_q, row in zip(Q, A) for q, x in zip(row_q, row)):
        return None
    return Q


def exact_rank(Q: list[list[Fraction]]) -> tuple[int, list[int], list[int]]:
    """Rank of a rational matrix by Bareiss elimination on integers (rows scaled by their
    denominators' lcm). Returns (rank, pivot rows, pivot columns): the submatrix on those
    rows and columns is non-singular."""
    M = []
    for row in Q:
        d = lcm(*(q.denominator for q in row)) if row else 1
        M.append([int(q * d) for q in row])
    m, n = len(M), len(M[0]) if M else 0
    order = list(range(m))  # original row index of each working row
    pivot_rows, pivot_cols = [], []
    prev = 1
    r = 0
    for c in range(n):
        p = next((i for i in range(r, m) if M[i][c] != 0), None)
        if p is None:
            continue
        M[r], M[p] = M[p], M[r]
        order[r], order[p] = order[p], order[r]
        for i in range(r + 1, m):
            M[i] = [(M[r][c] * M[i][j] - M[i][c] * M[r][j]) // prev for j in range(n)]
        prev = M[r][c]
        pivot_rows.append(order[r])
        pivot_cols.append(c)
        r += 1
        if r == m:
            break
    return r, sorted(pivot_rows), pivot_cols


def numerical_rank(X, tol: float = RANK_TOL) -> int:
    """Number of singular values above ``tol`` times the largest one."""
    s = np.linalg.svd(np.asarray(X, dtype=float), compute_uv=False)
    if s.size == 0 or s[0] == 0:
        return 0
    return int((s > tol * s[0]).sum())


def matrix_rank(X, tol: float = RANK_TOL) -> int:
    """rank(X): exact over Q for rational data, else numerical with ``tol`` (module doc)."""
    X = check_matrix(X)
    Q = rational_entries(X)
    if Q is not None:
        return exact_rank(Q)[0]
    return numerical_rank(X, tol)


def rank_bound(X, tol: float = RANK_TOL) -> RankBound:
    """rank₊(X) ≥ rank(X); certified (a non-singular r×r submatrix) for rational data."""
    X = check_matrix(X)
    t0 = time.perf_counter()
    Q = rational_entries(X)
    if Q is not None:
        r, rows, cols = exact_rank(Q)
        return RankBound("rank", "lower", float(r), r, certified=True,
                         seconds=time.perf_counter() - t0,
                         status="exact over Q (rational data)",
                         certificate={"rows": rows, "cols": cols})
    r = numerical_rank(X, tol)
    return RankBound("rank", "lower", float(r), r, certified=False,
                     seconds=time.perf_counter() - t0,
                     status=f"numerical (singular values > {tol:g}·σ₁)",
                     certificate=None)
