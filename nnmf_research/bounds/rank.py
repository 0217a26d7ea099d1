"""The rank of X: the first lower bound on the nonnegative rank, rank(X) ≤ rank₊(X).

Every claim is about the stored float64 values (exact dyadic rationals). Two numbers are
computed, and the bound counts the smaller:

* the **exact rank over Q of the stored values** (:func:`stored_rank`): fraction-free
  (Bareiss) elimination on integers; its certificate is a non-singular r×r submatrix. For
  large full-rank matrices a rank modulo a 61-bit prime stands in: rank mod p ≤ rank over Q,
  and a submatrix non-singular mod p is non-singular over Q, so it is still a proved lower
  bound;
* the **rank above rounding level** (:func:`rounding_level_rank`): singular values of the
  power-of-two balanced copy (:mod:`nnmf_research.balance`) above
  ``ROUNDING_LEVEL = 1000·max(m, n)·u·‖X‖_F`` (u = 2⁻⁵³). Rounding each entry of an exactly
  rank-r matrix to float64 moves every singular value by at most u·‖X‖_F, so the stored
  floats of a matrix that is *meant* to have rank 3 (a polygon's slack matrix built from
  cosines) have exact rank min(m, n) but only three singular values above that level.

The bound is min(both): it is proved for the stored values (exact rank ≥ it), it is the
number a researcher means for float data with rounding noise, and it never exceeds the rank of
any matrix within rounding distance, so numerical (tolerance-checked) upper bounds stay
comparable with it. Balancing makes the rounding-level count invariant under row/column
scaling (the exact rank is invariant anyway). ``numerical_rank`` (singular values above
``tol·σ₁``) is kept for callers that want a plain numerical rank; it is never a claim.

Example
-------
>>> import numpy as np
>>> rank_bound(np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 1]])).bound
3
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..balance import balance
from ..checks import check_matrix
from ..rational import decimal_values, exact_rank, modular_rank, read_values
from ..results import RankBound

__all__ = ["RankInfo", "rank_info", "stored_rank", "rounding_level_rank", "numerical_rank",
           "matrix_rank", "rank_bound", "exact_rank", "decimal_values", "RANK_TOL",
           "ROUNDING_LEVEL_FACTOR", "BAREISS_MAX_WORK"]

RANK_TOL = 1e-9
ROUNDING_LEVEL_FACTOR = 1000.0      # × max(m, n) × u × ‖X‖_F
BAREISS_MAX_WORK = 3_000_000        # m·n·min(m, n) above which a full-rank case goes modular
_PRIME = 2**61 - 1                  # a Mersenne prime


@dataclass(frozen=True)
class RankInfo:
    """``exact``: rank over Q of the values (or a proved lower bound on it when
    ``exact_is_lower_bound``); ``rows``/``cols``: a non-singular ``exact``×``exact`` block;
    ``rounding``: singular values above rounding level of the balanced copy; ``counted``:
    min(exact, rounding), the number the rank bound proves."""

    exact: int
    rows: tuple[int, ...]
    cols: tuple[int, ...]
    rounding: int
    exact_is_lower_bound: bool = False
    reading: str = "stored"

    @property
    def counted(self) -> int:
        return min(self.exact, self.rounding)


def stored_rank(X, reading: str = "stored") -> tuple[int, list[int], list[int], bool]:
    """Rank over Q of X's values under ``reading`` ("stored": the exact float64 values;
    "decimal": each entry's shortest round-trip decimal). Returns (rank, rows, cols,
    is_lower_bound): the modular route (large full-rank matrices) proves rank ≥ the count."""
    X = np.asarray(X, dtype=float)
    Q = read_values(X, reading)
    m, n = X.shape
    if m * n * min(m, n) <= BAREISS_MAX_WORK:
        r, rows, cols = exact_rank(Q)
        return r, rows, cols, False
    r, rows, cols = modular_rank(Q, _PRIME)
    if r <= 3:  # a low rank is cheap to confirm exactly (Bareiss costs O(rank·m·n))
        r, rows, cols = exact_rank(Q)
        return r, rows, cols, False
    return r, rows, cols, r < min(m, n)


def rounding_level_rank(X) -> int:
    """Singular values of the balanced copy above ROUNDING_LEVEL_FACTOR·max(m, n)·u·‖X_b‖_F."""
    Xb = balance(np.asarray(X, dtype=float)).X
    if not Xb.any():
        return 0
    s = np.linalg.svd(Xb, compute_uv=False)
    level = ROUNDING_LEVEL_FACTOR * max(Xb.shape) * np.finfo(float).eps / 2 * np.linalg.norm(s)
    return int((s > level).sum())


def numerical_rank(X, tol: float = RANK_TOL) -> int:
    """Number of singular values above ``tol`` times the largest one (never a claim)."""
    s = np.linalg.svd(np.asarray(X, dtype=float), compute_uv=False)
    if s.size == 0 or s[0] == 0:
        return 0
    return int((s > tol * s[0]).sum())


def rank_info(X, reading: str = "stored") -> RankInfo:
    """Both ranks of X (module doc)."""
    X = np.asarray(X, dtype=float)
    r, rows, cols, lower_only = stored_rank(X, reading)
    return RankInfo(r, tuple(rows), tuple(cols), rounding_level_rank(X), lower_only, reading)


def matrix_rank(X) -> int:
    """The rank the toolkit counts: min(exact rank of the stored values, rank above rounding
    level) — see the module doc."""
    return rank_info(check_matrix(X)).counted


def rank_bound(X, reading: str = "stored") -> RankBound:
    """rank₊(X) ≥ min(rank over Q of the values, rank above rounding level); certified by a
    non-singular submatrix of the stored values (module doc). ``reading="decimal"`` ranks the
    decimal reading instead, and the status says so."""
    X = check_matrix(X)
    t0 = time.perf_counter()
    info = rank_info(X, reading)
    of = "the stored values" if reading == "stored" else "the decimal reading"
    over = "rank mod a prime (≤ rank over Q)" if info.exact_is_lower_bound else "rank over Q"
    if info.rounding >= info.exact:
        status = f"exact {over} of {of}"
    else:
        status = (f"{info.rounding} singular values above rounding level "
                  f"({ROUNDING_LEVEL_FACTOR:g}·max(m, n)·u·‖X‖_F of the balanced copy); "
                  f"{of} have {over} {info.exact}: the excess is rounding noise, not counted")
    return RankBound("rank", "lower", float(info.counted), info.counted, certified=True,
                     seconds=time.perf_counter() - t0, status=status,
                     certificate={"rows": list(info.rows), "cols": list(info.cols),
                                  "exact_rank": info.exact, "rounding_level_rank":
                                  info.rounding, "reading": reading})
