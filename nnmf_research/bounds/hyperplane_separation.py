"""Hyperplane separation lower bound on the nonnegative rank, with Z chosen by an LP.

For any weight matrix Z (Fiorini, Massar, Pokutta, Tiwary & de Wolf, STOC 2012; Rothvoß,
STOC 2014; Gillis, "Nonnegative Matrix Factorization", SIAM 2020, §3.4):

    rank₊(X) ≥ ⟨Z, X⟩ / (α(Z) · max_ij X_ij),   α(Z) = max { ⟨Z, R⟩ : R = 1_S 1_Cᵀ ⊆ supp(X) }.

Each rank-one term R_k = w hᵀ of an NMF is ≥ 0, ≤ X (so supported on a rectangle inside
supp(X)) and ≤ max X entrywise; ⟨Z, w hᵀ⟩ is bilinear in (w, h) over boxes, so it is at most
max X · α(Z); summing over the terms gives ⟨Z, X⟩ ≤ rank₊ · max X · α(Z). Restricting α to
rectangles inside the support is what the book does by putting −1000 outside it.

Choosing Z. The book's fixed rule (Z = X − ½ on the support, −1000 elsewhere) was made for
0/1 matrices; on matrices with entries below ½ it gives negative, meaningless values (−390 on
the 9-gon). Here Z solves the LP

    maximize ⟨Z, X⟩ / max X   s.t.  ⟨Z, R⟩ ≤ 1 for every rectangle R ⊆ supp(X),  −L ≤ Z ≤ 1,

by constraint generation: the separation oracle is the exact maximum-weight rectangle, found by
enumerating the row subsets of the smaller side (2^min(m, n); refused above 2^16).

Soundness. The bound holds for *any* Z, so the LP's solution only needs to be a Z; it is
rounded to rationals, scaled to integers, α(Z) recomputed exactly in integer arithmetic, and
the quotient evaluated in ``Fraction`` (X's floats are exact rationals). The reported integer
is ⌈⟨Z, X⟩ / (α max X)⌉ computed exactly: certified.

Not scale-invariant in general (max X and α interact with a diagonal scaling).

Example
-------
>>> import numpy as np
>>> thomas = np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 1]])
>>> hyperplane_separation_bound(thomas).bound
4
"""

from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from ..checks import NMFInputError, check_matrix
from ..results import RankBound
from ..status import Kind
from .rectangle_cover import cover_matrix

__all__ = ["max_weight_rectangle", "hyperplane_separation_value",
           "hyperplane_separation_bound", "MAX_SUBSET_SIDE"]

MAX_SUBSET_SIDE = 16
DENOMINATOR = 10**6


def _row_subsets(m: int) -> np.ndarray:
    """All non-empty subsets of range(m) as a boolean (2^m − 1) × m array."""
    codes = np.arange(1, 2**m, dtype=np.int64)
    return ((codes[:, None] >> np.arange(m)) & 1).astype(bool)


def max_weight_rectangle(Z, support) -> tuple[float, tuple[list[int], list[int]]]:
    """max over rectangles S × C inside ``support`` of Σ_{S×C} Z, and an optimal rectangle.

    For a row subset S the best C is every column allowed by S (all of S in the support) with
    a positive column sum over S. Exact for integer Z (int64 arithmetic). Enumerates the
    subsets of the smaller side; refuses sides above ``MAX_SUBSET_SIDE``.
    """
    Z = np.asarray(Z)
    P = np.asarray(support, dtype=bool)
    transposed = P.shape[0] > P.shape[1]
    if transposed:
        Z, P = Z.T, P.T
    m = P.shape[0]
    if m > MAX_SUBSET_SIDE:
        raise NMFInputError(f"the max-weight rectangle enumerates 2^{m} row subsets; "
                            f"only sides up to {MAX_SUBSET_SIDE} are supported")
    S = _row_subsets(m)
    Zs = np.where(P, Z, 0)
    blocked = S.astype(np.int64) @ (~P).astype(np.int64) > 0        # column j not allowed
    col_sums = S.astype(Zs.dtype) @ Zs
    gains = np.where(blocked, 0, np.maximum(col_sums, 0))
    totals = gains.sum(axis=1)
    best = int(np.argmax(totals))
    rows = list(np.flatnonzero(S[best]))
    cols = list(np.flatnonzero(~blocked[best] & (col_sums[best] > 0)))
    if not cols:  # all weights ≤ 0: the best rectangle is the best single entry
        flat = np.where(P, Z, -np.inf)
        i, j = np.unravel_index(np.argmax(flat), flat.shape)
        rows, cols = [int(i)], [int(j)]
        value = Z[i, j]
    else:
        value = totals[best]
    rect = (rows, cols) if not transposed else (cols, rows)
    return value, (list(map(int, rect[0])), list(map(int, rect[1])))


def hyperplane_separation_value(X, Z) -> Fraction:
    """⟨Z, X⟩ / (α(Z) · max X) in exact arithmetic, Z rounded to denominators ≤ 10⁶."""
    X = check_matrix(X)
    P = X > 0
    Z_int = np.where(P, np.round(np.asarray(Z, dtype=float) * DENOMINATOR), 0).astype(np.int64)
    alpha, _ = max_weight_rectangle(Z_int, P)
    if alpha <= 0:
        return Fraction(0)
    inner = sum((int(z) * Fraction(float(x)) for z, x in zip(Z_int.ravel(), X.ravel()) if z),
                Fraction(0))
    return inner / (int(alpha) * Fraction(float(X.max())))


def _optimal_weights(X, lower: float, time_limit: float | None, max_rounds: int):
    """Constraint generation for the LP in the module docstring; returns (Z, rounds, note).
    Each round adds the most violated rectangle as one more row of the constraint matrix."""
    P = X > 0
    c = -X[P] / X.max()
    # start from the single-row and single-column rectangles of the support
    pool = [([i], list(np.flatnonzero(P[i]))) for i in range(X.shape[0]) if P[i].any()]
    pool += [(list(np.flatnonzero(P[:, j])), [j]) for j in range(X.shape[1]) if P[:, j].any()]
    A = cover_matrix(X, pool)[0].T.tocsr()          # rectangles × positive entries
    start = time.perf_counter()
    Z = np.zeros(X.shape)
    for rounds in range(1, max_rounds + 1):
        res = linprog(c, A_ub=A, b_ub=np.ones(A.shape[0]), bounds=(lower, 1.0), method="highs")
        if res.status != 0:
            return None, rounds, f"HiGHS LP status {res.status} ({res.message})"
        Z = np.zeros(X.shape)
        Z[P] = res.x
        alpha, rect = max_weight_rectangle(Z, P)
        if alpha <= 1 + 1e-9:
            return Z, rounds, "LP optimal"
        A = sp.vstack([A, cover_matrix(X, [rect])[0].T], format="csr")
        if time_limit is not None and time.perf_counter() - start > time_limit:
            return Z, rounds, f"time limit {time_limit:g} s in constraint generation"
    return Z, max_rounds, f"stopped after {max_rounds} rounds of constraint generation"


def hyperplane_separation_bound(X, *, lower: float = -10.0, time_limit: float | None = None,
                                max_rounds: int = 2000) -> RankBound:
    """rank₊(X) ≥ ⟨Z, X⟩ / (α(Z) max X) with Z from the LP (module docstring)."""
    X = check_matrix(X)
    t0 = time.perf_counter()
    name = "hyperplane_separation"
    if min(X.shape) > MAX_SUBSET_SIDE:
        return RankBound.no_bound(name, "lower", Kind.SKIPPED,
                                  f"skipped: the exact max-weight rectangle needs min(m, n) <= "
                                  f"{MAX_SUBSET_SIDE}, got {min(X.shape)}")
    Z, rounds, note = _optimal_weights(X, lower, time_limit, max_rounds)
    if Z is None:
        return RankBound.no_bound(name, "lower", Kind.FAILED, f"failed: {note}",
                                  time.perf_counter() - t0)
    value = hyperplane_separation_value(X, Z)
    bound = math.ceil(value) if value > 0 else None
    return RankBound(name, "lower", float(value), bound, certified=bound is not None,
                     seconds=time.perf_counter() - t0,
                     status=f"{note} after {rounds} rounds; value recomputed exactly for the "
                            f"rounded Z",
                     certificate={"Z": np.round(Z * DENOMINATOR).astype(int).tolist(),
                                  "denominator": DENOMINATOR})
