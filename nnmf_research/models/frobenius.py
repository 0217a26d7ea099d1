"""One-factor Frobenius model (non-negative least squares for H with W fixed), in CVXPY.

Gram form (default), with Parameters R (k×k, RᵀR = WᵀW, R = qr(W).R) and C = WᵀX (k×n):

    minimize    ‖R H‖²_F − 2⟨C, H⟩ + penalty(H)        (= ‖X − WH‖²_F − ‖X‖²_F + penalty)
    subject to  H ≥ 0,  constraints(H)

Its parameters are independent of m, so a re-solve does not grow with the number of rows
(measured 14–16× faster re-solves than W as a Parameter; README, the ``dpp_compile_once``
experiment and its figure). It also
handles rank-deficient W.

Direct form (``form="direct"``, needs ``m``), with Parameters X (m×n) and W (m×k):

    minimize ‖X − W H‖²_F + penalty(H)  subject to  H ≥ 0, constraints(H)

kept as the reference the Gram form is tested against, and for the compile-once benchmark.

The W-subproblem is this model on the transposed problem: build it with ``n = m`` and pass
Xᵀ, Hᵀ, Wᵀ (the driver does this). A new constraint is one argument, e.g. columns of H on
the simplex: ``frobenius_model(k, n, constraints=lambda H: [cp.sum(H, axis=0) == 1])``.

Source: Lee & Seung (2001) for the objective; the Gram compression as in Kim & Park (2011)
and scikit-learn's coordinate descent.

Example
-------
>>> import numpy as np
>>> model = frobenius_model(k=2, n=3)
>>> X = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 1.0]])
>>> H = model(X, np.eye(2), np.ones((2, 3)))
>>> bool(np.allclose(H, X, atol=1e-6))
True
"""

from __future__ import annotations

from typing import Callable, Mapping

import cvxpy as cp
import numpy as np

from ..checks import check_choice, check_positive_int
from ..gram import FrobeniusStats
from .subproblem import Subproblem, extra_constraints, extra_penalty

__all__ = ["FrobeniusModel", "frobenius_model"]


class FrobeniusModel(Subproblem):
    """A compiled Frobenius H-subproblem; call it as ``model(X, W, H, stats=None)``."""

    loss = "frobenius"
    eps = 0.0

    def __init__(self, k, n, *, m=None, form="gram", constraints=None, penalty=None,
                 solver=None, solver_options=None):
        k = check_positive_int(k, "k")
        n = check_positive_int(n, "n")
        self.form = check_choice(form, "form", ("gram", "direct"))
        H = cp.Variable((k, n), nonneg=True, name="H")
        if self.form == "gram":
            R = cp.Parameter((k, k), name="R")
            C = cp.Parameter((k, n), name="WtX")
            fit = cp.sum_squares(R @ H) - 2 * cp.sum(cp.multiply(C, H))
            params = {"R": R, "WtX": C}
        else:
            m = check_positive_int(m, "m")
            Xp = cp.Parameter((m, n), name="X")
            Wp = cp.Parameter((m, k), name="W")
            fit = cp.sum_squares(Xp - Wp @ H)
            params = {"X": Xp, "W": Wp}
        problem = cp.Problem(
            cp.Minimize(fit + extra_penalty(penalty, H)), extra_constraints(constraints, H)
        )
        super().__init__(
            problem, params, H, name=f"frobenius_{self.form}(k={k}, n={n})",
            solver=solver, solver_options=solver_options,
        )

    def __call__(self, X, W, H, stats: FrobeniusStats | None = None) -> np.ndarray:
        """Solve for H with W fixed (the one-factor update signature)."""
        k = self.variable.shape[0]
        if self.form == "direct":
            return self.solve(warm_start=H, X=X, W=W)
        cross = W.T @ X if stats is None else stats.cross
        R = np.linalg.qr(W, mode="r")
        if R.shape[0] < k:  # m < k: pad to k×k with zero rows (RᵀR unchanged)
            R = np.vstack([R, np.zeros((k - R.shape[0], k))])
        return self.solve(warm_start=H, R=R, WtX=cross)


def frobenius_model(
    k: int,
    n: int,
    *,
    m: int | None = None,
    form: str = "gram",
    constraints: Callable | None = None,
    penalty: Callable | None = None,
    solver: str | None = None,
    solver_options: Mapping | None = None,
) -> FrobeniusModel:
    """Build the Frobenius H-subproblem for an H of shape k×n (see module docstring).

    Parameters
    ----------
    k, n : int
        Shape of the factor solved for.
    m : int, optional
        Number of rows of X; required for ``form="direct"`` only.
    form : {"gram", "direct"}
    constraints : callable, optional
        ``constraints(H)`` returns a list of extra CVXPY constraints on the Variable H.
    penalty : callable, optional
        ``penalty(H)`` returns an extra convex scalar term added to the objective.
    solver, solver_options
        CVXPY solver name (must be installed) and options.
    """
    return FrobeniusModel(k, n, m=m, form=form, constraints=constraints, penalty=penalty,
                          solver=solver, solver_options=solver_options)
