"""The Gram-form CVXPY mode model of NTF: DPP with parameters whose size ignores the other
modes, the same optimum as HALS run to convergence on that mode and as row-wise NNLS on the
unfolded problem, and a constraint that is one argument."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import nnls

from nnmf_research import NMFInputError, tensor_mode_model
from nnmf_research.tensor import (TensorHALS, cp_to_tensor, hadamard_grams, khatri_rao,
                                  mttkrp, unfold)


@pytest.fixture
def mode_problem():
    """Mode 1 of a noisy 7×6×5 tensor, the other two factors random and fixed."""
    rng = np.random.default_rng(0)
    T = cp_to_tensor([rng.random((n, 3)) for n in (7, 6, 5)]) + 0.1 * rng.random((7, 6, 5))
    factors = [rng.random((n, 3)) for n in T.shape]
    mode = 1
    M = mttkrp(T, factors, mode)
    V = hadamard_grams([A.T @ A for A in factors], mode)
    return T, factors, mode, M, V


def mode_objective(T, factors, mode, A):
    """‖T_(r) − A K_rᵀ‖²_F, computed directly."""
    K = khatri_rao([F for m, F in enumerate(factors) if m != mode])
    R = unfold(T, mode) - A @ K.T
    return float(np.vdot(R, R))


def test_the_model_is_dpp_and_one_model_serves_any_lengths_of_the_other_modes():
    model = tensor_mode_model(3, 6)
    assert model.problem.is_dcp(dpp=True)
    assert {name: p.shape for name, p in model.parameters.items()} == {
        "R": (3, 3), "MTTKRP": (6, 3)}
    assert model.factor_shape == (6, 3) and model.solver == "OSQP"
    rng = np.random.default_rng(1)
    for shape in [(7, 6, 5), (40, 6, 30)]:
        T = rng.random(shape)
        factors = [rng.random((n, 3)) for n in shape]
        A = model(mttkrp(T, factors, 1), hadamard_grams([F.T @ F for F in factors], 1),
                  factors[1])
        K = khatri_rao([factors[0], factors[2]])
        best = np.array([nnls(K, row)[0] for row in unfold(T, 1)])
        assert np.max(np.abs(A - best)) <= 1e-5 * np.max(best)


def test_cvxpy_and_hals_run_to_convergence_on_one_mode_reach_the_same_objective(mode_problem):
    T, factors, mode, M, V = mode_problem
    A_model = tensor_mode_model(3, T.shape[mode])(M, V, factors[mode])
    hals = TensorHALS(alpha=0)
    rows = T.size // T.shape[mode]
    A = factors[mode]
    for _ in range(3000):
        A = hals(M, V, A, rows=rows)
    norm2 = float(np.vdot(T, T))
    f_model = mode_objective(T, factors, mode, A_model)
    f_hals = mode_objective(T, factors, mode, A)
    assert abs(f_model - f_hals) <= 1e-6 * norm2
    # and both are the NNLS optimum, row by row, of the unfolded problem (an independent check)
    K = khatri_rao([F for m, F in enumerate(factors) if m != mode])
    A_nnls = np.array([nnls(K, row)[0] for row in unfold(T, mode)])
    assert abs(f_model - mode_objective(T, factors, mode, A_nnls)) <= 1e-6 * norm2
    assert np.max(np.abs(A_model - A_nnls)) <= 1e-4 * np.max(A_nnls)


def test_a_constraint_is_one_argument(mode_problem):
    """Columns of A at most 0.2 entrywise: the solution respects the box and is no better
    than the unconstrained optimum."""
    T, factors, mode, M, V = mode_problem
    boxed = tensor_mode_model(3, T.shape[mode], constraints=lambda A: [A <= 0.2])(
        M, V, factors[mode])
    free = tensor_mode_model(3, T.shape[mode])(M, V, factors[mode])
    assert boxed.max() <= 0.2 + 1e-6 and free.max() > 0.2
    assert mode_objective(T, factors, mode, boxed) >= mode_objective(T, factors, mode, free)


def test_a_rank_deficient_hadamard_gram_is_handled(mode_problem):
    """Two equal columns in every other factor make V singular; the model still solves."""
    T, factors, mode, _, _ = mode_problem
    factors = [np.column_stack([F[:, 0], F[:, 0], F[:, 2]]) for F in factors]
    M = mttkrp(T, factors, mode)
    V = hadamard_grams([A.T @ A for A in factors], mode)
    assert np.linalg.matrix_rank(V) == 2
    A = tensor_mode_model(3, T.shape[mode])(M, V, factors[mode])
    K = khatri_rao([F for m, F in enumerate(factors) if m != mode])
    best = np.array([nnls(K, row)[0] for row in unfold(T, mode)])
    norm2 = float(np.vdot(T, T))
    assert mode_objective(T, factors, mode, A) <= (
        mode_objective(T, factors, mode, best) + 1e-6 * norm2)


def test_bad_sizes_are_refused_by_name():
    with pytest.raises(NMFInputError, match=r"k=0 is out of range"):
        tensor_mode_model(0, 4)
    with pytest.raises(NMFInputError, match=r"length=0 is out of range"):
        tensor_mode_model(2, 0)
    with pytest.raises(NMFInputError, match=r"parameter 'MTTKRP' .* has shape \(4, 2\), got"):
        tensor_mode_model(2, 4)(np.ones((3, 2)), np.eye(2), np.ones((4, 2)))
