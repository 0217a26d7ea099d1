"""The Frobenius H-subproblem with missing entries, in CVXPY (Gram form per column).

With a 0/1 mask M (1 = observed) the H-step of masked NMF is, column by column,

    minimize    Σ_j ‖R_j h_j‖² − 2⟨C, H⟩ + penalty(H)       (= ‖M ∘ (X − WH)‖²_F − const)
    subject to  H ≥ 0,  constraints(H)

with R_j the triangular factor of W restricted to the observed rows of column j
(R_jᵀR_j = W_obs(j)ᵀ W_obs(j)) and C_j = W_obs(j)ᵀ x_obs(j). The mask enters through these
per-column Parameters — never as a Parameter multiplying the Variable or W (``M ∘ (W H)``
with both M and W as Parameters is not DPP) — so the model compiles once for a mask pattern
and re-solves by writing Parameter values. It is the reference the NumPy masked updates are
tested against, and the place to add a constraint; its size grows with n·k², so it is for
small problems. The W-step is the same model built on Mᵀ and called on the transposed problem.
"""

from __future__ import annotations

from typing import Callable, Mapping

import cvxpy as cp
import numpy as np

from ..checks import check_positive_int
from .subproblem import Subproblem, extra_constraints, extra_penalty

__all__ = ["MaskedFrobeniusModel", "masked_frobenius_model"]


class MaskedFrobeniusModel(Subproblem):
    """A compiled masked Frobenius H-subproblem; call it as ``model(X, W, H)``."""

    loss = "frobenius"
    eps = 0.0

    def __init__(self, k, mask, *, constraints=None, penalty=None, solver=None,
                 solver_options=None):
        k = check_positive_int(k, "k")
        self.mask = np.asarray(mask, dtype=bool)
        n = self.mask.shape[1]
        H = cp.Variable((k, n), nonneg=True, name="H")
        R = [cp.Parameter((k, k), name=f"R{j}") for j in range(n)]
        C = cp.Parameter((k, n), name="WtX")
        fit = sum(cp.sum_squares(R[j] @ H[:, j]) for j in range(n)) - 2 * cp.sum(
            cp.multiply(C, H))
        params = {"WtX": C, **{f"R{j}": R[j] for j in range(n)}}
        problem = cp.Problem(cp.Minimize(fit + extra_penalty(penalty, H)),
                             extra_constraints(constraints, H))
        super().__init__(problem, params, H, name=f"masked_frobenius(k={k}, n={n})",
                         solver=solver, solver_options=solver_options)
        self._constraints, self._penalty = constraints, penalty
        self._solver, self._solver_options = solver, solver_options

    def transposed(self) -> "MaskedFrobeniusModel":
        """The W-step: the same model on the transposed mask."""
        return MaskedFrobeniusModel(self.variable.shape[0], self.mask.T,
                                    constraints=self._constraints, penalty=self._penalty,
                                    solver=self._solver, solver_options=self._solver_options)

    def __call__(self, X, W, H, stats=None) -> np.ndarray:
        k, n = self.variable.shape
        values = {}
        cross = np.empty((k, n))
        for j in range(n):
            observed = self.mask[:, j]
            A = W[observed]
            R = np.linalg.qr(A, mode="r")
            if R.shape[0] < k:                   # fewer observed rows than k: pad
                R = np.vstack([R, np.zeros((k - R.shape[0], k))])
            values[f"R{j}"] = R
            cross[:, j] = A.T @ X[observed, j]
        return self.solve(warm_start=H, WtX=cross, **values)


def masked_frobenius_model(k: int, mask, *, constraints: Callable | None = None,
                           penalty: Callable | None = None, solver: str | None = None,
                           solver_options: Mapping | None = None) -> MaskedFrobeniusModel:
    """Build the masked Frobenius H-subproblem for the mask (m×n, 1 = observed) of X; H is
    k×n (see the module docstring)."""
    return MaskedFrobeniusModel(k, mask, constraints=constraints, penalty=penalty,
                                solver=solver, solver_options=solver_options)
