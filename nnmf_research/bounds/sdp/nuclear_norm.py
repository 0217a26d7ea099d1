"""(ν/‖X‖_F)² ≤ rank₊(X) from the doubly-nonnegative relaxation ν of the nonnegative
nuclear norm (Fawzi & Parrilo 2015). See :mod:`nnmf_research.bounds.sdp` for the mathematics.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ...results import RankBound
from .model import NuclearModel
from .rounding import _checked_inputs, certify_nuclear_dual, finish
from .solve import REDUCED_ACCURACY, run_cvxpy

def nuclear_norm_bound(X, solver: str | None = None,
                       time_limit: float | None = None) -> RankBound:
    """Lower bound (ν/‖X‖_F)² ≤ rank₊(X) from the doubly-nonnegative relaxation ν of the
    nonnegative nuclear norm (Fawzi & Parrilo 2015; see the module docstring).

    NOT invariant under positive diagonal scaling of rows/columns (unlike τ₊): scaling X can
    change — and possibly improve — this bound. It is invariant under X ↦ cX, so the SDP and
    its certificate work on Xp = 2^k X with max Xp ∈ [1, 2) (exact: only exponents change),
    and ⟨Λ, Xp⟩ and ‖Xp‖²_F are summed exactly: no subnormal or overflowing intermediate.
    ``value`` is (ν_cert/‖X‖_F)² with ν_cert the verified dual bound when available
    (``certified=True``).
    """
    import cvxpy as cp
    from fractions import Fraction

    method = "nuclear_norm"
    t0 = time.perf_counter()
    X, solver, time_limit = _checked_inputs(X, solver, time_limit)
    if not X.any():
        return RankBound(method, "lower", 0.0, 0, certified=True,
                         seconds=time.perf_counter() - t0, status="ok (zero matrix)")
    k = -int(np.frexp(X.max())[1] - 1)           # max(2^k X) ∈ [1, 2)
    two_k = Fraction(2) ** k
    exact = tuple(tuple(Fraction(float(v)) * two_k for v in row) for row in X)
    Xs = np.array([[float(v) for v in row] for row in exact])  # 2^k X, rounded if subnormal
    m, n = Xs.shape
    # ‖2^k X‖_F, exact sum of squares, rounded up
    fro_sq = sum((v * v for row in exact for v in row), Fraction(0))
    fro = math.sqrt(float(fro_sq)) * (1.0 + 4 * np.finfo(float).eps)
    B = cp.Variable((m + n, m + n), PSD=True)
    eq = B[:m, m:] == Xs
    nn = B >= 0
    prob = cp.Problem(cp.Minimize(0.5 * cp.trace(B)), [eq, nn])
    res = run_cvxpy(prob, solver, time_limit, None)
    if res.status == "Solved" or res.status in REDUCED_ACCURACY:
        res.S = (eq.dual_value, nn.dual_value)
    model = NuclearModel(Xs, exact)

    def certify(mod, duals):
        return certify_nuclear_dual(mod, duals)

    return finish(method, res, model, certify, t0, time_limit,
                   transform=lambda v: (max(v, 0.0) / fro) ** 2)
