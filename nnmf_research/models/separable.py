"""Separable NMF by linear programs, in CVXPY (solved by HiGHS).

A matrix M (m×n, ≥ 0) is *separable* when M = M[:, 𝒦] H for a set 𝒦 of r columns (the
anchors) and H ≥ 0; near-separable when M = M[:, 𝒦] H + N with a small noise N. Both LPs
look for a self-expression M ≈ M X whose non-zero rows mark the anchors.

Hottopixx (Bittorf, Recht, Ré & Tropp, NIPS 2012, in Gillis's column form; the columns of
M are scaled to sum 1 first)::

    minimize_X  pᵀ diag(X)
    subject to  ‖M(:,j) − M X(:,j)‖₁ ≤ 2ε  ∀j,   tr X = r,
                0 ≤ X,  X(i,i) ≤ 1,  X(i,j) ≤ X(i,i)  ∀i,j

Gillis & Luce, "Robust near-separable NMF using linear optimization", JMLR 15 (2014),
the ρ-absolute model (no normalization, no trace constraint)::

    minimize_X  pᵀ diag(X)
    subject to  ‖M(:,j) − M X(:,j)‖₁ ≤ ρ ε  ∀j,
                ‖M(:,i)‖₁ X(i,j) ≤ ‖M(:,j)‖₁ X(i,i)  ∀i,j,   X(i,i) ≤ 1,   X ≥ 0

p: Hottopixx any vector of distinct entries (here standard normal), Gillis–Luce
1 + 0.01·(u − 0.5) with u uniform; both drawn from the seeded generator. Anchors: the r
largest diagonal entries (no post-processing); Gillis–Luce's rank estimate is ⌈tr X⌉.

Both models are DPP with M, the column norms w and ε as Parameters (n fixed at build), so a
noise sweep re-solves without recompiling. Each has n² + 2mn scalar unknowns after CVXPY's
ℓ1 canonicalization: use them for n up to a few hundred.

Example
-------
>>> import numpy as np
>>> M = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5]])
>>> model = gillis_luce_model(2, 3, random_state=0)
>>> X = model(M, 0.0)
>>> sorted(np.argsort(-np.diag(X))[:2].tolist())
[0, 1]
"""

from __future__ import annotations

from typing import Callable, Mapping

import cvxpy as cp
import numpy as np

from ..checks import check_nonnegative_real, check_positive_int, check_random_state
from .subproblem import Subproblem, extra_constraints

__all__ = ["SeparableLP", "hottopixx_model", "gillis_luce_model"]


class SeparableLP(Subproblem):
    """A compiled separable-NMF LP; call ``model(M, epsilon)`` for the n×n matrix X."""

    def __init__(self, kind, m, n, *, r=None, rho=1.0, random_state=None, constraints=None,
                 solver=None, solver_options=None):
        m = check_positive_int(m, "m")
        n = check_positive_int(n, "n")
        rng = check_random_state(random_state)
        self.kind = kind
        X = cp.Variable((n, n), nonneg=True, name="X")
        M = cp.Parameter((m, n), nonneg=True, name="M")
        eps = cp.Parameter(nonneg=True, name="epsilon")
        params = {"M": M, "epsilon": eps}
        d = cp.diag(X)
        fit = cp.sum(cp.abs(M - M @ X), axis=0)
        cons = [d <= 1]
        if kind == "hottopixx":
            self.r = check_positive_int(r, "r", low=1, high=n)
            p = rng.standard_normal(n)
            cons += [fit <= 2 * eps, cp.trace(X) == self.r,
                     X <= cp.reshape(d, (n, 1), order="F") @ np.ones((1, n))]
        else:
            self.rho = check_nonnegative_real(rho, "rho")
            p = 1.0 + 0.01 * (rng.random(n) - 0.5)
            w = cp.Parameter(n, nonneg=True, name="w")
            params["w"] = w
            cons += [fit <= self.rho * eps,
                     cp.multiply(cp.reshape(w, (n, 1), order="F") @ np.ones((1, n)), X)
                     <= cp.reshape(d, (n, 1), order="F") @ cp.reshape(w, (1, n), order="F")]
        self.p = p
        problem = cp.Problem(cp.Minimize(p @ d), cons + extra_constraints(constraints, X))
        super().__init__(problem, params, X, name=f"{kind}(m={m}, n={n})",
                         solver=solver or "HIGHS", solver_options=solver_options)

    def __call__(self, M: np.ndarray, epsilon: float) -> np.ndarray:
        M = np.asarray(M, dtype=float)
        values = {"M": M, "epsilon": np.asarray(float(epsilon))}
        if self.kind == "gillis_luce":
            values["w"] = np.abs(M).sum(axis=0)
        return self.solve(**values)


def hottopixx_model(m: int, n: int, r: int, *, random_state=None,
                    constraints: Callable | None = None, solver: str | None = None,
                    solver_options: Mapping | None = None) -> SeparableLP:
    """The Hottopixx LP for an m×n matrix with r anchors (module docstring; Bittorf et al.
    2012). Pass M with columns scaled to sum 1, as the LP assumes."""
    return SeparableLP("hottopixx", m, n, r=r, random_state=random_state,
                       constraints=constraints, solver=solver, solver_options=solver_options)


def gillis_luce_model(m: int, n: int, *, rho: float = 1.0, random_state=None,
                      constraints: Callable | None = None, solver: str | None = None,
                      solver_options: Mapping | None = None) -> SeparableLP:
    """The Gillis–Luce robust LP (ρ-absolute model) for an m×n matrix (module docstring;
    Gillis & Luce, JMLR 15, 2014)."""
    return SeparableLP("gillis_luce", m, n, rho=rho, random_state=random_state,
                       constraints=constraints, solver=solver, solver_options=solver_options)
