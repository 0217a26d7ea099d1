"""ANLS by block principal pivoting on the Gram matrix (kernels/anls.py): the batched
passive-set solves, the Schur-complement solves and every shortcut (early Lawson–Hanson, the
residual fallback) give scipy's Lawson–Hanson solution, and the kernel's step equals the QR
form of the same step. (The older cases, QR path and rank deficiency, are in test_kernels.py.)"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import nnls

import nnmf_research.kernels.anls as anls
from nnmf_research import alternate
from nnmf_research.gram import FrobeniusStats
from nnmf_research.kernels import ANLS


def _lawson_hanson(W, X):
    return np.column_stack([nnls(W, X[:, j])[0] for j in range(X.shape[1])])


def _problem(seed, m=90, n=150, k=14, shift=0.35):
    """Columns whose NNLS solutions have every size of support: x − shift has mixed signs."""
    gen = np.random.default_rng(seed)
    W = gen.random((m, k))
    X = W @ (gen.random((k, n)) - shift) + 0.05 * gen.random((m, n))
    return W, X


def _rel(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gram_pivoting_equals_lawson_hanson_cold_and_warm(seed):
    W, X = _problem(seed)
    G, C = W.T @ W, W.T @ X
    assert np.linalg.cond(G) <= anls.SCHUR_MAX_COND**2            # the Schur path is used
    reference = _lawson_hanson(W, X)
    support = (reference > 0).sum(axis=0)
    assert support.min() < 0.3 * W.shape[1] and support.max() > 0.7 * W.shape[1]
    assert _rel(anls.nnls_gram(G, C), reference) <= 1e-10
    warm = np.random.default_rng(seed).random(C.shape) < 0.5
    assert _rel(anls.nnls_gram(G, C, passive=warm), reference) <= 1e-10


def test_every_shortcut_gives_the_same_solution(monkeypatch):
    """No early Lawson–Hanson, no Schur path, and a residual check that rejects every Schur
    solution (all re-solved directly): each alone still gives Lawson–Hanson's solution."""
    W, X = _problem(3)
    G, C = W.T @ W, W.T @ X
    reference = _lawson_hanson(W, X)
    for name, value in [("LAWSON_HANSON_COLUMNS", -1), ("SCHUR_MAX_COND", 0.0),
                        ("SCHUR_RESIDUAL", 0.0)]:
        with monkeypatch.context() as patch:
            patch.setattr(anls, name, value)
            assert _rel(anls.nnls_gram(G, C, passive=reference > 0), reference) <= 1e-10, name
            assert _rel(anls.nnls_gram(G, C), reference) <= 1e-10, name


def test_principal_solves_do_not_depend_on_the_batching(monkeypatch):
    """One batch padded to the largest size and one batch per size solve the same systems as
    np.linalg.solve on each principal submatrix."""
    gen = np.random.default_rng(5)
    k, c = 9, 40
    B = gen.random((3 * k, k))
    A = np.stack([B.T @ B, np.linalg.inv(B.T @ B)])
    rhs = gen.random((k, c))
    mask = gen.random((k, c)) < 0.5
    which = gen.integers(0, 2, c)
    expected = np.zeros((k, c))
    for j in range(c):
        S = np.flatnonzero(mask[:, j])
        if S.size:
            expected[S, j] = np.linalg.solve(A[which[j]][np.ix_(S, S)], rhs[S, j])
    for call_cost in (0.0, 1e9):                # one batch per size, everything padded
        monkeypatch.setattr(anls, "_CALL_COST", call_cost)
        x = anls._principal_solves(A, rhs, mask, mask.sum(axis=0), which)
        assert np.abs(x - expected).max() <= 1e-12 * np.abs(expected).max()
    assert len(anls._size_classes(np.bincount(mask.sum(axis=0)))) == 1


@pytest.mark.parametrize("l1, l2", [(0.0, 0.0), (0.3, 0.0), (0.0, 2.0), (0.3, 2.0)])
def test_gram_step_equals_the_qr_step_with_and_without_penalties(monkeypatch, l1, l2):
    """The kernel's step from the driver's statistics (WᵀX − l1, WᵀW + l2 I) equals the step
    on the triangular factor of [W; √l2 I] (forced by a zero Gram-path bound)."""
    W, X = _problem(4, n=60)
    H0 = np.random.default_rng(4).random((W.shape[1], X.shape[1]))
    kernel = ANLS(l1=l1, l2=l2)
    gram_step = kernel(X, W, H0, FrobeniusStats(W.T @ X, W.T @ W))
    monkeypatch.setattr(anls, "NORMAL_EQUATIONS_MAX_COND", 0.0)
    qr_step = kernel(X, W, H0)
    assert _rel(gram_step, qr_step) <= 1e-10
    assert (gram_step == 0).any()


def test_anls_iterates_equal_lawson_hanson_iterates_at_a_larger_rank():
    """12 ANLS iterations at k = 12 (many supports of every size, both solve paths) equal the
    same iterations with one Lawson–Hanson solve per column."""
    X = np.random.default_rng(8).random((70, 110))
    gen = np.random.default_rng(9)
    W, H = gen.random((70, 12)), gen.random((12, 110))

    def lawson_hanson(X, W, H, stats=None):
        return _lawson_hanson(W, X)

    ours = alternate(X, W, H, ANLS(), max_iter=12, tol=0)
    reference = alternate(X, W, H, lawson_hanson, update_W=lawson_hanson, max_iter=12, tol=0,
                          loss="frobenius")
    assert _rel(ours.W, reference.W) <= 1e-10
    assert _rel(ours.H, reference.H) <= 1e-10


def test_schur_solutions_pass_their_residual_check_on_well_conditioned_problems():
    """The certificate is not a formality that always falls back: on these problems (cond(G)
    ~ 1e2) every Schur-complement solution is accepted, and the solution is Lawson–Hanson's."""
    W, X = _problem(6)
    G, C = W.T @ W, W.T @ X
    systems = anls._GramSystems(G, C, *np.linalg.eigh(G))
    H, unfinished = anls._block_pivoting(systems, C, None, None)
    reference = _lawson_hanson(W, X)
    done = np.setdiff1d(np.arange(X.shape[1]), unfinished)
    assert systems.schur_solved > X.shape[1] // 2 and systems.schur_rejected == 0
    assert _rel(np.maximum(H[:, done], 0), reference[:, done]) <= 1e-10
