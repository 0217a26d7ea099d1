"""Exact rational arithmetic on matrices: the one copy of every Fraction routine.

Every claim of the toolkit is about the *stored* float64 values of a matrix. A float64 is an
exact dyadic rational p·2^e, so :func:`stored_values` reads a matrix into ``Fraction``s
without any approximation, and the rank over Q of those values is always computable.
:func:`decimal_values` is the explicit alternative: each entry read as the shortest decimal
that round-trips to the same float (0.1 as 1/10), for data that were typed as decimals; a
claim made about that reading says so.

* :func:`exact_rank` — rank over Q by fraction-free (Bareiss) elimination on integers, with
  the pivot rows and columns: the submatrix they index is non-singular, a certificate anyone
  can re-check.
* :func:`rref`, :func:`solve_exact`, :func:`nullspace` — Gauss–Jordan over Q.
* :func:`matmul` — the exact product.

Example
-------
>>> stored_values([[0.1]])[0][0] == Fraction(1, 10)
False
>>> decimal_values([[0.1]])[0][0]
Fraction(1, 10)
>>> exact_rank(stored_values([[1.0, 1/3], [3.0, 1.0]]))[0]
2
"""

from __future__ import annotations

from fractions import Fraction
from math import lcm

import numpy as np

__all__ = ["Matrix", "stored_values", "decimal_values", "read_values", "READINGS",
           "rounded_rationals", "integer_rows", "exact_rank", "modular_rank", "rref", "solve_exact",
           "nullspace", "matmul"]

Matrix = list  # list[list[Fraction]]
READINGS = ("stored", "decimal")


def stored_values(A) -> Matrix:
    """The exact value of every float64 entry (a dyadic rational; no rounding)."""
    return [[Fraction(float(x)) for x in row] for row in np.asarray(A, dtype=float)]


def decimal_values(A) -> Matrix:
    """Every entry read as the shortest decimal that round-trips to its float64 (``repr``)."""
    return [[Fraction(repr(float(x))) for x in row] for row in np.asarray(A, dtype=float)]


def read_values(A, reading: str = "stored") -> Matrix:
    """A as rationals under ``reading``: "stored" (exact float values) or "decimal"."""
    if reading == "stored":
        return stored_values(A)
    if reading == "decimal":
        return decimal_values(A)
    raise ValueError(f"unknown reading {reading!r}; valid: {', '.join(READINGS)}")


def rounded_rationals(A, max_denominator: int = 10**6) -> Matrix:
    """Every entry rounded to the nearest rational with denominator ≤ ``max_denominator``
    (a *candidate* for an exact factor; never a reading of the data)."""
    return [[Fraction(float(x)).limit_denominator(max_denominator) for x in row]
            for row in np.asarray(A, dtype=float)]


def integer_rows(Q: Matrix, modulus: int | None = None) -> list[list[int]]:
    """Each row of a rational matrix times the lcm of its denominators (the same rank over
    Q), reduced modulo ``modulus`` when given."""
    M = []
    for row in Q:
        d = lcm(*(q.denominator for q in row)) if row else 1
        ints = [int(q * d) for q in row]
        M.append(ints if modulus is None else [v % modulus for v in ints])
    return M


def _echelon(M: list[list[int]], eliminate) -> tuple[int, list[int], list[int]]:
    """The pivoting loop both eliminations share: per column, a row with a non-zero entry is
    swapped up and ``eliminate(M, r, c)`` clears the column below it. Returns (rank, pivot
    rows in the original numbering, sorted, pivot columns)."""
    m, n = len(M), len(M[0]) if M else 0
    order = list(range(m))
    pivot_rows, pivot_cols = [], []
    r = 0
    for c in range(n):
        p = next((i for i in range(r, m) if M[i][c] != 0), None)
        if p is None:
            continue
        M[r], M[p] = M[p], M[r]
        order[r], order[p] = order[p], order[r]
        eliminate(M, r, c)
        pivot_rows.append(order[r])
        pivot_cols.append(c)
        r += 1
        if r == m:
            break
    return r, sorted(pivot_rows), pivot_cols


def exact_rank(Q: Matrix) -> tuple[int, list[int], list[int]]:
    """Rank of a rational matrix by Bareiss elimination on integers (each row scaled by its
    denominators' lcm). Returns (rank, pivot rows sorted, pivot columns): the submatrix on
    those rows and columns is non-singular."""
    prev = [1]   # Bareiss: every division by the previous pivot is exact

    def bareiss(M, r, c):
        for i in range(r + 1, len(M)):
            M[i] = [(M[r][c] * M[i][j] - M[i][c] * M[r][j]) // prev[0]
                    for j in range(len(M[i]))]
        prev[0] = M[r][c]

    return _echelon(integer_rows(Q), bareiss)


def modular_rank(Q: Matrix, p: int) -> tuple[int, list[int], list[int]]:
    """Rank modulo the prime ``p`` of :func:`integer_rows` (Q): at most the rank over Q, and
    its pivot block is non-singular over Q (its determinant is non-zero mod p)."""

    def mod_p(M, r, c):
        inv = pow(M[r][c], p - 2, p)
        top = [(v * inv) % p for v in M[r]]
        M[r] = top
        for i in range(r + 1, len(M)):
            f = M[i][c]
            if f:
                M[i] = [(a - f * b) % p for a, b in zip(M[i], top)]

    return _echelon(integer_rows(Q, p), mod_p)


def rref(M: Matrix, n: int) -> tuple[Matrix, list[int]]:
    """Reduced row echelon form over Q of M's first ``n`` columns (further columns are carried
    along): returns (the reduced rows, the pivot columns)."""
    M = [list(row) for row in M]
    pivots: list[int] = []
    for c in range(n):
        r = len(pivots)
        p = next((i for i in range(r, len(M)) if M[i][c] != 0), None)
        if p is None:
            continue
        M[r], M[p] = M[p], M[r]
        inv = 1 / M[r][c]
        M[r] = [v * inv for v in M[r]]
        for i in range(len(M)):
            if i != r and M[i][c] != 0:
                f = M[i][c]
                M[i] = [a - f * b for a, b in zip(M[i], M[r])]
        pivots.append(c)
    return M, pivots


def solve_exact(A: Matrix, B: Matrix) -> Matrix | None:
    """Y with A Y = B for square invertible A (Gauss–Jordan over Q); None if A is singular."""
    n = len(A)
    M, pivots = rref([list(A[i]) + list(B[i]) for i in range(n)], n)
    if pivots != list(range(n)):
        return None
    return [row[n:] for row in M]


def nullspace(A: Matrix, n: int) -> list[list[Fraction]]:
    """Exact basis of {c ∈ Qⁿ : A c = 0}, from the reduced row echelon form of A."""
    M, pivots = rref(A, n)
    basis = []
    for free in (c for c in range(n) if c not in pivots):
        v = [Fraction(0)] * n
        v[free] = Fraction(1)
        for row, pc in zip(M, pivots):
            v[pc] = -row[free]
        basis.append(v)
    return basis


def matmul(A: Matrix, B: Matrix) -> Matrix:
    """The exact product A B of two rational matrices."""
    cols = list(zip(*B))
    return [[sum((a * b for a, b in zip(row, col)), Fraction(0)) for col in cols]
            for row in A]
