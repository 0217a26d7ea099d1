"""One-factor generalized-KL model (H with W fixed), in CVXPY.

With Parameters X (m×n, ≥ 0) and W (m×k, ≥ 0):

    minimize    Σ_ij kl_div(X_ij, (WH)_ij) + penalty(H)
    subject to  H ≥ 0,  constraints(H)

where kl_div(x, y) = x log(x/y) − x + y (0 log 0 = 0): the generalized KL divergence
D(X‖WH) of Lee & Seung (2001, NIPS 13), solved exactly (exponential cone; CLARABEL or SCS).
Data enter as atom arguments, ``kl_div(X, W@H)``, which keeps the model DPP (a Parameter
multiplying ``log(W@H)`` would not be: Agrawal, Amos, Barratt, Boyd, Diamond & Kolter,
"Differentiable convex optimization layers", NeurIPS 2019, which defines the DPP rules).

Size: the model has one exponential cone per entry of X, so it is refused (with the reason)
above ``KL_MAX_ENTRIES`` entries: measured here, CLARABEL solves a 100×64 slice of the
digits in seconds and fails on 200×64; the multiplicative updates (method "mu") handle KL at
any size.

PLSI (Hofmann 1999) is this model plus simplex constraints on the factor, the equivalence
of Ding, Li & Peng (2008): ``kl_model(k, m, n, constraints=lambda H: [cp.sum(H, axis=0) == 1])``.

Example
-------
>>> import numpy as np
>>> model = kl_model(k=2, m=2, n=2)
>>> X = np.array([[1.0, 2.0], [3.0, 4.0]])
>>> bool(np.allclose(model(X, np.eye(2), np.ones((2, 2))), X, atol=1e-5))
True
"""

from __future__ import annotations

from typing import Callable, Mapping

import cvxpy as cp
import numpy as np

from ..checks import NMFInputError, check_positive_int
from .subproblem import Subproblem, extra_constraints, extra_penalty

__all__ = ["KLModel", "kl_model", "check_kl_size", "KL_MAX_ENTRIES"]

KL_MAX_ENTRIES = 8000
"""The largest m·n the dense KL model is built for (one exponential cone per entry)."""


def check_kl_size(m: int, n: int) -> None:
    """Refuse an m×n KL model too large for the conic solvers, saying why and what fits."""
    if m * n > KL_MAX_ENTRIES:
        raise NMFInputError(
            f"the CVXPY KL model of a {m}×{n} matrix has {m * n} exponential cones (one per "
            f"entry); the conic solvers handle up to {KL_MAX_ENTRIES} entries here (CLARABEL "
            "fails on 200×64), so use method 'mu' for the KL loss at this size")


class KLModel(Subproblem):
    """A compiled KL H-subproblem; call it as ``model(X, W, H, stats=None)``."""

    loss = "kl"
    eps = 0.0

    def __init__(self, k, m, n, *, constraints=None, penalty=None, solver=None,
                 solver_options=None):
        k = check_positive_int(k, "k")
        m = check_positive_int(m, "m")
        n = check_positive_int(n, "n")
        check_kl_size(m, n)
        H = cp.Variable((k, n), nonneg=True, name="H")
        Xp = cp.Parameter((m, n), nonneg=True, name="X")
        Wp = cp.Parameter((m, k), nonneg=True, name="W")
        objective = cp.sum(cp.kl_div(Xp, Wp @ H)) + extra_penalty(penalty, H)
        problem = cp.Problem(cp.Minimize(objective), extra_constraints(constraints, H))
        super().__init__(problem, {"X": Xp, "W": Wp}, H, name=f"kl(k={k}, m={m}, n={n})",
                         solver=solver, solver_options=solver_options)

    def __call__(self, X, W, H, stats=None) -> np.ndarray:
        """Solve for H with W fixed (the one-factor update signature)."""
        return self.solve(warm_start=H, X=X, W=W)


def kl_model(
    k: int,
    m: int,
    n: int,
    *,
    constraints: Callable | None = None,
    penalty: Callable | None = None,
    solver: str | None = None,
    solver_options: Mapping | None = None,
) -> KLModel:
    """Build the KL H-subproblem for X of shape m×n and H of shape k×n (module docstring)."""
    return KLModel(k, m, n, constraints=constraints, penalty=penalty, solver=solver,
                   solver_options=solver_options)
