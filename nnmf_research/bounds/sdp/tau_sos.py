"""τ₊^sos(X) ≤ rank₊(X) (Fawzi & Parrilo 2016): the bound, its routes and its fallback.

Solved on the power-of-two balanced copy (τ₊^sos and rank₊ are invariant under positive
diagonal scaling), rescaled to max 1; the dual certificate is checked against the balanced
copy itself. See :mod:`nnmf_research.bounds.sdp` for the mathematics.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ...results import RankBound
from ...status import Kind
from .model import tau_sos_model, tau_sos_naive_model
from .rounding import (UNCERT_REL_MARGIN, _checked_inputs, _failed, certify_tau_sos_dual,
                       finish)
from .solve import (SolveResult, run_cvxpy, solve_clarabel_direct, solve_cvxpy_structured,
                    solve_scs_direct)
from .symmetry import find_cyclic_symmetry, position_orbits, solve_clarabel_symmetric

MAX_PSD_ORDER = 300             # τ₊^sos above this PSD order is refused (dense 10×10: 101)
AUTO_CLARABEL_MAX_ORDER = 60   # solver=None: interior point up to this PSD order, else SCS
FALLBACK_REL_GAP = 1e-4        # a fast solve whose certificate trails its primal more: redo

def tau_sos_bound(X, solver: str | None = None, time_limit: float | None = None,
                  exploit_structure: bool = True, symmetry="auto") -> RankBound:
    """Lower bound τ₊^sos(X) ≤ rank₊(X) (Fawzi & Parrilo 2016; see the module docstring).

    Parameters
    ----------
    X : nonnegative matrix (m×n).
    solver : None or "CLARABEL" solves the structured model with Clarabel's API directly;
        another CVXPY solver name (e.g. "SCS", fast but less accurate) solves the same
        structured model via CVXPY.
    time_limit : seconds; hitting it gives ``bound=None`` and status "time limit … s reached".
    exploit_structure : False solves the naive CVXPY reference model instead (slow).
    symmetry : "auto" (detect a circulant shift symmetry, e.g. regular polygons), None (off),
        or (row_perm, col_perm) with X[row_perm][:, col_perm] == X. Used by the direct
        Clarabel route when the induced permutation acts freely on the positive entries:
        the SDP is then restricted to invariant Y and block-diagonalized by a real Fourier
        basis. The certificate is always checked on the unreduced problem.

    ``value`` is the certified dual bound when the dual certificate checks out
    (``certified=True``), else the primal SDP value. ``certificate`` holds the dual matrix
    ``S`` and solver statistics.
    """
    method = "tau_sos"
    t0 = time.perf_counter()
    X, solver, time_limit = _checked_inputs(X, solver, time_limit)
    # τ₊^sos(D₁XD₂) = τ₊^sos(X) and rank₊(D₁XD₂) = rank₊(X) for positive diagonal D₁, D₂, so
    # the SDP is solved (and its dual certified) on a balanced copy: badly scaled rows and
    # columns otherwise cost the interior-point solver its accuracy (NumericalError on a
    # heptagon scaled by 2^±3)
    from ...balance import balance

    balanced = balance(X)
    if not balanced.exact:
        return _failed(method, "not computed: the power-of-two balanced copy leaves the "
                       "float64 range (entries span too many orders of magnitude)",
                       time.perf_counter() - t0)
    X = balanced.X
    if not X.any():
        return RankBound(method, "lower", 0.0, 0, certified=True,
                         seconds=time.perf_counter() - t0, status="ok (zero matrix)")
    scale = float(X.max())
    Xs = X / scale
    certify = _certifier_for(X, scale, exploit_zeros=exploit_structure)
    if not exploit_structure:
        prob, psd = tau_sos_naive_model(Xs)
        res = run_cvxpy(prob, solver, time_limit, psd)
        return finish(method, res, None, certify, t0, time_limit)
    model = tau_sos_model(Xs)
    if model.order > MAX_PSD_ORDER:
        return _failed(method, f"skipped: the PSD block has order {model.order} (1 + the "
                       f"positive entries), above {MAX_PSD_ORDER}: no SDP solver here finishes "
                       "it in a useful time", time.perf_counter() - t0, kind=Kind.SKIPPED)
    if solver not in (None, "CLARABEL", "SCS"):
        res = solve_cvxpy_structured(model, solver, time_limit)
        return finish(method, res, model, certify, t0, time_limit)
    if solver == "SCS":
        res = solve_scs_direct(model, time_limit)
        return finish(method, res, model, certify, t0, time_limit)
    sym = find_cyclic_symmetry(Xs, symmetry)
    orbit_data = None if sym is None else position_orbits(model, *sym)
    if orbit_data is not None:
        Xbar = np.zeros_like(Xs)                       # group average: exactly invariant
        rows, cols = np.arange(Xs.shape[0]), np.arange(Xs.shape[1])
        for _ in range(orbit_data[1]):
            Xbar += Xs[np.ix_(rows, cols)]
            rows, cols = sym[0][rows], sym[1][cols]
        res = solve_clarabel_symmetric(tau_sos_model(Xbar / orbit_data[1]), sym, orbit_data,
                                        time_limit)
    elif solver is None and model.order > AUTO_CLARABEL_MAX_ORDER:
        res = solve_scs_direct(model, time_limit)
    else:
        res = solve_clarabel_direct(model, time_limit)
        return finish(method, res, model, certify, t0, time_limit)
    out = finish(method, res, model, certify, t0, time_limit)
    if _first_result_suffices(out, res):
        return out
    remaining = None if time_limit is None else time_limit - (time.perf_counter() - t0)
    if remaining is not None and remaining <= 0:
        return out
    if orbit_data is not None and model.order > AUTO_CLARABEL_MAX_ORDER and solver is None:
        first, second = "symmetry-reduced Clarabel", "SCS"
        res = solve_scs_direct(model, remaining)
    else:
        first = "symmetry-reduced Clarabel" if orbit_data is not None else "SCS"
        second = "Clarabel"
        res = solve_clarabel_direct(model, remaining)
    res.fallback = f"{first} solve was not accurate enough; re-solved with full {second}"
    return finish(method, res, model, certify, t0, time_limit)


def _certifier_for(X: np.ndarray, scale: float, exploit_zeros: bool = True):
    """Certificates are checked against the X given here (τ₊^sos_bound passes its balanced
    copy D₁XD₂, which has the same τ₊^sos and rank₊), not the rescaled X/c that was solved: a dual S for X/c is turned into D S D with D = diag(1, 1/c, …, 1/c), the
    equivalent dual for X (any symmetric matrix is admissible in the check)."""
    model_X = tau_sos_model(X, exploit_zeros=exploit_zeros)
    d = np.r_[1.0, np.full(model_X.p, 1.0 / scale)]

    def certify(_solved_model, S):
        return certify_tau_sos_dual(model_X, S * d[:, None] * d[None, :])

    return certify


def _first_result_suffices(out: RankBound, res: SolveResult) -> bool:
    """Keep a fast (symmetry-reduced or SCS) answer unless it gave no bound (other than by
    the time limit), or a more accurate solve could still raise the integer bound:
    ⌈certified value⌉ < ⌈primal value − 1e-6·max(1, |primal|)⌉ (the primal value being an
    approximate upper estimate of the optimum), or the certified value trails the primal value
    by more than 1e-4 relative."""
    if out.bound is None:
        return res.status == "MaxTime"
    primal = res.primal
    if not np.isfinite(primal):
        return True
    if primal - out.value > FALLBACK_REL_GAP * max(1.0, abs(primal)):
        return False
    return out.bound >= math.ceil(primal - UNCERT_REL_MARGIN * max(1.0, abs(primal)))
