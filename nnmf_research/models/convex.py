"""CVXPY block models of semi-NMF and convex NMF (Ding, Li & Jordan, IEEE TPAMI 32(1), 2010).

Both models are in Gram form: their Parameters have sizes n×k and k×k, never p×n, so a
re-solve does not grow with the number of features p (README, "Architecture"). Both are DPP,
compiled once, and re-solved by writing ``Parameter.value`` (README, "Architecture"); ``constraints=``
and ``penalty=`` add terms on the factor Variable, as in :func:`~nnmf_research.models.frobenius.frobenius_model`.

G-model (semi-NMF G-step, and the convex-NMF G-step with F = XW)::

    minimize_G  ‖G Rᵀ‖²_F − 2⟨C, G⟩ + penalty(G)      (= ‖X − F Gᵀ‖²_F − ‖X‖²_F + penalty)
    subject to  G ≥ 0,  constraints(G)
    Parameters  C = XᵀF (n×k),  R (k×k) with RᵀR = FᵀF

W-model (convex-NMF W-step, and kernel convex NMF; K = XᵀX or any PSD kernel, K = LLᵀ)::

    minimize_W  ‖Lᵀ W Sᵀ‖²_F − 2⟨K G, W⟩ + penalty(W)  (= ‖X − X W Gᵀ‖²_F − Tr K + penalty)
    subject to  W ≥ 0,  constraints(W)
    Parameters  KG (n×k),  S (k×k) with SᵀS = GᵀG;  the constant Lᵀ (q×n, q = rank K)

Solver note. The W-step is degenerate: W has n·k entries but only XW (p×k) enters the
objective, so its minimisers form a face, not a point. In the direct form
‖X − XWGᵀ‖² CLARABEL was found to fail or report "optimal_inaccurate" on it (measured when
this model was written); in this Gram form OSQP, CLARABEL and SCS all reach the same objective (to 1e-12
relative on iris and wine). OSQP stays the default (the toolkit's QP solver, fast warm
re-solves), with tolerances 1e-7 for this model: at the toolkit's 1e-9, OSQP's ADMM hits its
iteration limit on the degenerate face. Which point of the face a solver returns is not
specified, so the sparsity of an exact W-step depends on the solver and the form.

Example
-------
>>> import numpy as np
>>> X = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
>>> F = np.array([[1.0], [0.0]])
>>> model = g_model(n=3, k=1)
>>> G = model(X.T @ F, F.T @ F, np.ones((3, 1)))
>>> bool(np.allclose(G.ravel(), [1.0, 0.0, 0.5], atol=1e-6))
True
"""

from __future__ import annotations

from typing import Callable, Mapping

import cvxpy as cp
import numpy as np

from ..checks import check_positive_int
from ..kernels.convex import gram_factor
from ..gram import gram_square_root
from .subproblem import Subproblem, extra_constraints, extra_penalty

__all__ = ["GModel", "WModel", "g_model", "w_model", "W_OSQP_OPTIONS"]

W_OSQP_OPTIONS = {"eps_abs": 1e-7, "eps_rel": 1e-7, "max_iter": 100000}
"""OSQP settings of the W-model (module docstring, solver note)."""


class GModel(Subproblem):
    """The compiled G-step; call ``model(cross, gram, G)`` like :func:`~nnmf_research.kernels.convex.mu_G`."""

    def __init__(self, n, k, *, constraints=None, penalty=None, solver=None,
                 solver_options=None):
        n = check_positive_int(n, "n")
        k = check_positive_int(k, "k")
        G = cp.Variable((n, k), nonneg=True, name="G")
        R = cp.Parameter((k, k), name="R")
        C = cp.Parameter((n, k), name="XtF")
        fit = cp.sum_squares(G @ R.T) - 2 * cp.sum(cp.multiply(C, G))
        problem = cp.Problem(cp.Minimize(fit + extra_penalty(penalty, G)),
                             extra_constraints(constraints, G))
        super().__init__(problem, {"R": R, "XtF": C}, G, name=f"convex_G(n={n}, k={k})",
                         solver=solver, solver_options=solver_options)

    def __call__(self, cross: np.ndarray, gram: np.ndarray, G: np.ndarray) -> np.ndarray:
        """Solve for G given XᵀF (n×k) and FᵀF (k×k); ``G`` is the warm start."""
        return self.solve(warm_start=G, R=gram_square_root(gram), XtF=cross)


class WModel(Subproblem):
    """The compiled convex-NMF W-step for one kernel K; call ``model(W, G)``."""

    def __init__(self, K, k, *, constraints=None, penalty=None, solver=None,
                 solver_options=None):
        K = np.asarray(K, dtype=float)
        n = K.shape[0]
        if solver_options is None and (solver is None or str(solver).upper() == "OSQP"):
            solver_options = W_OSQP_OPTIONS
        k = check_positive_int(k, "k")
        self.K = K
        Lt = gram_factor(K)
        W = cp.Variable((n, k), nonneg=True, name="W")
        S = cp.Parameter((k, k), name="S")
        KG = cp.Parameter((n, k), name="KG")
        fit = cp.sum_squares((Lt @ W) @ S.T) - 2 * cp.sum(cp.multiply(KG, W))
        problem = cp.Problem(cp.Minimize(fit + extra_penalty(penalty, W)),
                             extra_constraints(constraints, W))
        super().__init__(problem, {"S": S, "KG": KG}, W,
                         name=f"convex_W(n={n}, k={k}, rank K={Lt.shape[0]})",
                         solver=solver, solver_options=solver_options)

    def __call__(self, W: np.ndarray, G: np.ndarray) -> np.ndarray:
        """Solve for W given G (n×k); ``W`` is the warm start."""
        return self.solve(warm_start=W, S=gram_square_root(G.T @ G), KG=self.K @ G)


def g_model(n: int, k: int, *, constraints: Callable | None = None,
            penalty: Callable | None = None, solver: str | None = None,
            solver_options: Mapping | None = None) -> GModel:
    """Build the G-step model for G of shape n×k (module docstring; Ding, Li & Jordan 2010)."""
    return GModel(n, k, constraints=constraints, penalty=penalty, solver=solver,
                  solver_options=solver_options)


def w_model(K: np.ndarray, k: int, *, constraints: Callable | None = None,
            penalty: Callable | None = None, solver: str | None = None,
            solver_options: Mapping | None = None) -> WModel:
    """Build the convex-NMF W-step model for the n×n kernel ``K`` (K = XᵀX for convex NMF;
    module docstring). OSQP by default: CLARABEL fails on this degenerate QP."""
    return WModel(K, k, constraints=constraints, penalty=penalty, solver=solver,
                  solver_options=solver_options)
