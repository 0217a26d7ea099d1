"""The exact rational helpers: stored values are the floats' exact binary values."""

from fractions import Fraction

import numpy as np

from nnmf_research.rational import (decimal_values, exact_rank, matmul, nullspace,
                                    solve_exact, stored_values)


def test_stored_values_are_exact_and_the_decimal_reading_is_the_shortest_decimal():
    assert stored_values([[0.1]])[0][0] == Fraction(3602879701896397, 36028797018963968)
    assert decimal_values([[0.1]])[0][0] == Fraction(1, 10)
    assert stored_values([[2.0**-1074]])[0][0] == Fraction(1, 2**1074)


def test_exact_rank_names_a_nonsingular_block_and_agrees_with_a_planted_rank():
    g = np.random.default_rng(3)
    for _ in range(30):
        r = int(g.integers(1, 4))
        A = g.integers(0, 5, (5, r)) @ g.integers(0, 5, (r, 6))
        rank, rows, cols = exact_rank(stored_values(A))
        assert rank == np.linalg.matrix_rank(A)
        if rank:
            block = [[Fraction(int(A[i, j])) for j in cols] for i in rows]
            assert solve_exact(block, [[Fraction(int(i == j)) for j in range(rank)]
                                       for i in range(rank)]) is not None


def test_nullspace_vectors_are_annihilated_exactly():
    A = stored_values([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
    N = nullspace(A, 3)
    assert len(N) == 2
    assert all(v == 0 for row in matmul(A, [list(c) for c in zip(*N)]) for v in row)


def test_modular_rank_equals_the_exact_rank_on_integer_products_of_known_rank():
    from nnmf_research.rational import modular_rank

    rng = np.random.default_rng(5)
    for r in (1, 3, 5):
        A = rng.integers(-50, 50, (9, r)) @ rng.integers(-50, 50, (r, 7))
        Q = [[Fraction(int(v)) for v in row] for row in A]
        exact = exact_rank(Q)
        assert exact[0] == r
        assert modular_rank(Q, 2**61 - 1) == exact
    # a prime that divides every entry sees rank 0: modular rank is only a lower bound
    Q = [[Fraction(7 * v) for v in row] for row in ([1, 2], [3, 5])]
    assert modular_rank(Q, 7)[0] == 0 and exact_rank(Q)[0] == 2
