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

Scaling. Both models are solved on data of order one: the W-model holds Lᵀ/√Tr K and each
call divides its data by the trace of the current Gram matrix (GᵀG, or FᵀF for the G-model),
which divides the objective by a positive constant and leaves the minimiser unchanged. OSQP's
tolerances are absolute, so without this the breast-cancer cell of ``ding_li_jordan_2010``
(standardized 30×569, k = 2, objective ≈ 8·10³) ended "optimal_inaccurate" and then at
OSQP's iteration limit; scaled, 50 sweeps take 13 s here and report optimal throughout.

Solver note. The W-step is degenerate: W has n·k entries but only XW (p×k) enters the
objective, so its minimisers form a face, not a point. In the direct form ‖X − XWGᵀ‖²
CLARABEL was found to fail or report "optimal_inaccurate" on it; in this Gram form OSQP,
CLARABEL and SCS reach the same objective on one W-step (to 1e-12 relative on iris and wine).
Over a whole block-coordinate run CLARABEL is not usable here: its sweeps increase the loss
after 4-10 sweeps on iris (scaled or not) and it reports "optimal_inaccurate" on the
breast-cancer G-step; HiGHS reports the W-model "unbounded" (all measured with CVXPY 1.9,
CLARABEL 0.11, HiGHS 1.16). OSQP is therefore the default, with tolerances 1e-7 for the
W-model: at the toolkit's 1e-9, OSQP's ADMM hits its iteration limit on the degenerate face.

Zeros. Which point of the W-step's face a solver returns is not specified, so the zero pattern
of an exact W-step is a property of the solver, not of the problem: each column's face
{w ≥ 0 : Xw = f*} has vertices with at most rank X non-zeros (≥ 1 − p/n exact zeros, found by
Lawson–Hanson NNLS on Xw = f*) and an interior with none. Measured on iris (standardized,
k = 3, one W-step from the state after 50 exact sweeps): OSQP 0.2 % exact zeros (CVXPY turns
OSQP's polishing on whenever it refactors, i.e. every call here; OSQP reports it
"unsuccessful" on this face), CLARABEL 0 %, SCS at 1e-10 0 %, all at the same objective;
SCIP 97.6 % but an objective 44 % above the minimum while reporting "optimal"; HiGHS
"unbounded"; the NNLS vertex of OSQP's W 97.3 % (4 = p non-zeros a column) at the same
objective and XW to 3e-16. The G-step has a unique minimiser when F has full column rank, so
its zero pattern is defined, and NNLS per sample (Lawson–Hanson) gives it exactly: 18.7 % on
that state. OSQP returns the zero entries as values of order its tolerance of either sign
(:meth:`Subproblem.solve` clips the negative ones to 0.0), and even with a successful polish
finds 10 % of them exactly; CLARABEL 0 %, SCS 3.6 %, SCIP and HiGHS 18.7 % at objectives 5e-8
and 1e-4 relative above. ``tests/test_convex.py`` asserts both facts (the face's two
minimisers; OSQP's exact zeros a strict subset of the true ones). Report zeros at a stated
relative tolerance instead (README, convex NMF).

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


def _scale(trace) -> float:
    """A positive scale from a trace (1 when it is zero or not finite)."""
    trace = float(trace)
    return trace if np.isfinite(trace) and trace > 0 else 1.0


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
        """Solve for G given XᵀF (n×k) and FᵀF (k×k); ``G`` is the warm start.

        The data are passed divided by c = Tr(FᵀF) (R/√c, XᵀF/c): the objective divided by c,
        the same minimiser, and data of order one whatever the scale of X."""
        c = _scale(np.trace(gram))
        return self.solve(warm_start=G, R=gram_square_root(gram / c), XtF=cross / c)


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
        self._kappa = _scale(np.trace(K))
        Lt = gram_factor(K / self._kappa)   # ‖Lᵀ‖²_F = 1: data of order one (__call__)
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
        """Solve for W given G (n×k); ``W`` is the warm start.

        With κ = Tr K and c = Tr(GᵀG) the model holds Lᵀ/√κ and is passed S/√c and
        KG/(κc): the objective divided by κc, the same minimiser."""
        GtG = G.T @ G
        c = _scale(np.trace(GtG))
        return self.solve(warm_start=W, S=gram_square_root(GtG / c),
                          KG=(self.K @ G) / (self._kappa * c))


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
    module docstring). OSQP by default, with :data:`W_OSQP_OPTIONS`: the one installed solver
    found to solve every block of a whole run (module docstring, solver note)."""
    return WModel(K, k, constraints=constraints, penalty=penalty, solver=solver,
                  solver_options=solver_options)
