"""One-mode subproblem of non-negative tensor factorization (NTF), in CVXPY, Gram form.

For an n-way T ≈ [[A₁, …, Aₙ]] with the other factors fixed, the mode-r subproblem is a
non-negative least-squares problem in A_r (I_r×k):

    ‖T_(r) − A_r K_rᵀ‖²_F = ‖T‖²_F − 2⟨M_r, A_r⟩ + ⟨V_r, A_rᵀA_r⟩,

with K_r the Khatri–Rao product of the other factors, M_r = T_(r) K_r (the MTTKRP, I_r×k)
and V_r = K_rᵀK_r = ⊛_{m≠r} A_mᵀA_m (the Hadamard product of the other Grams, k×k). The
model minimises

    ‖A R_rᵀ‖²_F − 2⟨M_r, A⟩ + penalty(A)      (= ‖T_(r) − A K_rᵀ‖²_F − ‖T‖²_F + penalty)
    subject to  A ≥ 0,  constraints(A)

with Parameters ``R`` (k×k, R_rᵀR_r = V_r) and ``MTTKRP`` (I_r×k). The Gram enters through
its square root because ⟨V, AᵀA⟩ with V a Parameter is not DPP; ‖A Rᵀ‖² is. Its size is
independent of the other modes' lengths (README, "Architecture": a model's Parameters do not grow with the data; the tensor case of
:mod:`nnmf_research.models.frobenius`; TensorLy's ``hals_nnls(UtM, UtU)`` takes the same two
statistics).

Source: Shashua & Hazan, "Non-negative tensor factorization with applications to statistics
and computer vision", ICML 2005 (the model); the mode-wise exact NNLS (ALS) step of
alternating least squares for CP (Bro 1997; Kolda & Bader, SIAM Review 51(3), 2009, §3.4).

Example
-------
>>> import numpy as np
>>> model = tensor_mode_model(k=2, length=3)
>>> M = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 1.0]])
>>> A = model(M, np.eye(2), np.ones((3, 2)))        # V = I: the answer is max(M, 0)
>>> bool(np.allclose(A, M, atol=1e-6))
True
"""

from __future__ import annotations

from typing import Callable, Mapping

import cvxpy as cp
import numpy as np

from ..checks import check_positive_int
from ..gram import gram_square_root
from .subproblem import Subproblem, extra_constraints, extra_penalty

__all__ = ["TensorModeModel", "tensor_mode_model"]


class TensorModeModel(Subproblem):
    """A compiled mode-r NTF subproblem; call it as ``model(M, V, A)`` -> new A (I_r×k).

    ``M`` is the MTTKRP T_(r)K_r, ``V`` the Hadamard product of the other modes' Grams and
    ``A`` the current factor (used as the warm start). This is the tensor one-mode update
    signature shared with :mod:`nnmf_research.tensor`'s NumPy updates.
    """

    loss = "frobenius"
    eps = 0.0

    def __init__(self, k, length, *, constraints=None, penalty=None, solver=None,
                 solver_options=None):
        k = check_positive_int(k, "k")
        length = check_positive_int(length, "length")
        A = cp.Variable((length, k), nonneg=True, name="A")
        R = cp.Parameter((k, k), name="R")
        M = cp.Parameter((length, k), name="MTTKRP")
        fit = cp.sum_squares(A @ R.T) - 2 * cp.sum(cp.multiply(M, A))
        problem = cp.Problem(
            cp.Minimize(fit + extra_penalty(penalty, A)), extra_constraints(constraints, A)
        )
        super().__init__(problem, {"R": R, "MTTKRP": M}, A,
                         name=f"tensor_mode(k={k}, length={length})",
                         solver=solver, solver_options=solver_options)

    def __call__(self, M, V, A) -> np.ndarray:
        """Solve for the mode's factor given its MTTKRP ``M`` and Hadamard Gram ``V``."""
        return self.solve(warm_start=A, R=gram_square_root(V), MTTKRP=M)


def tensor_mode_model(
    k: int,
    length: int,
    *,
    constraints: Callable | None = None,
    penalty: Callable | None = None,
    solver: str | None = None,
    solver_options: Mapping | None = None,
) -> TensorModeModel:
    """Build the mode subproblem for a factor of shape (length, k) (see module docstring).

    Parameters
    ----------
    k : int
        Number of rank-one terms.
    length : int
        I_r, the length of the mode solved for.
    constraints : callable, optional
        ``constraints(A)`` returns extra CVXPY constraints on the Variable A (I_r×k).
    penalty : callable, optional
        ``penalty(A)`` returns an extra convex scalar term added to the objective.
    solver, solver_options
        CVXPY solver name (must be installed) and options; default OSQP (a QP).
    """
    return TensorModeModel(k, length, constraints=constraints, penalty=penalty,
                           solver=solver, solver_options=solver_options)
