"""Solving the τ₊^sos and nuclear-norm SDPs: four back-ends, one typed result.

Clarabel's API on the structured model (:func:`solve_clarabel_direct`), SCS's API
(:func:`solve_scs_direct`, first order: fast, less accurate; the dual certificate makes its
answer rigorous anyway), the same structured model through CVXPY
(:func:`solve_cvxpy_structured`) and any CVXPY problem (:func:`run_cvxpy`, statuses mapped by
:func:`nnmf_research.status.solver_outcome`). Each returns a :class:`SolveResult`; its
``status`` is "Solved", "AlmostSolved" / "optimal_inaccurate" (reduced accuracy), "MaxTime" (the
time limit) or the solver's own word for a failure. The symmetry-reduced Clarabel route is in
:mod:`.symmetry`.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from ...status import Kind, solver_outcome
from .model import _SQRT2, TauSosModel, _clarabel_data, _svec_index, smat

SCS_EPS = 1e-7           # SCS tolerances for τ₊^sos (its dual then certifies to ~1e-5)
SCS_MAX_ITERS = 20_000    # ~20 s at PSD order 101; the verified dual bound does not need more
REDUCED_ACCURACY = ("AlmostSolved", "optimal_inaccurate")


@dataclass
class SolveResult:
    """What one SDP solve returned.

    ``status`` (see the module docstring), ``primal`` and ``dual`` objective values (NaN where
    the route has none), the dual matrix ``S`` the certificate checks (None when the solver
    gave none; a pair (Λ, N) for the nuclear norm), residuals ``r_prim``/``r_dual``,
    ``iterations``, ``solve_time`` in seconds, ``t`` (the τ variable), and, where they apply,
    ``symmetry`` (the reduction's sizes) and ``fallback`` (why a second solve was made).
    """

    status: str
    primal: float
    dual: float = float("nan")
    S: Any = field(default=None, repr=False)
    r_prim: float = float("nan")
    r_dual: float = float("nan")
    iterations: int = -1
    solve_time: float = 0.0
    t: float = float("nan")
    symmetry: dict | None = None
    fallback: str | None = None

    def stats(self) -> dict:
        """The solver statistics as the certificate's ``"stats"`` dict (no ``S``; the
        optional ``symmetry`` and ``fallback`` only when set)."""
        out = {"status": self.status, "primal": self.primal, "dual": self.dual,
               "r_prim": self.r_prim, "r_dual": self.r_dual, "iterations": self.iterations,
               "solve_time": self.solve_time, "t": self.t}
        for name in ("symmetry", "fallback"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out

def _clarabel_solve(q, A, b, cones, time_limit: float | None):
    """Run Clarabel's API on min qᵀx s.t. Ax + s = b, s ∈ cones; returns (solution, the
    :class:`SolveResult` every route returns, without its dual ``S``)."""
    import clarabel

    settings = clarabel.DefaultSettings()
    settings.verbose = False
    if time_limit is not None:
        settings.time_limit = float(time_limit)
    sol = clarabel.DefaultSolver(sp.csc_matrix((q.size, q.size)), q, A, b, cones,
                                 settings).solve()
    x = np.asarray(sol.x)
    return sol, SolveResult(status=str(sol.status).split(".")[-1], primal=float(sol.obj_val),
                            dual=float(sol.obj_val_dual), r_prim=float(sol.r_prim),
                            r_dual=float(sol.r_dual), iterations=int(sol.iterations),
                            solve_time=float(sol.solve_time),
                            t=float(x[0]) if x.size else float("nan"))


def solve_clarabel_direct(model: TauSosModel, time_limit: float | None):
    """Solve the structured model with Clarabel's Python API."""
    import clarabel

    q, A, b = _clarabel_data(model)
    cones = [clarabel.NonnegativeConeT(model.p), clarabel.PSDTriangleConeT(model.order)]
    sol, res = _clarabel_solve(q, A, b, cones, time_limit)
    z = np.asarray(sol.z)
    res.S = smat(z[model.p:], model.order) if z.size == A.shape[0] else None
    return res


def solve_scs_direct(model: TauSosModel, time_limit: float | None, eps: float = SCS_EPS):
    """Solve the structured model with SCS's API (first-order, fast, less accurate; the dual
    certificate makes its answer rigorous anyway). SCS orders a PSD cone as the scaled lower
    triangle column-major, i.e. our upper-triangle entries (c, r) listed by r(r+1)/2 + c."""
    import scs

    q, A, b = _clarabel_data(model)
    p, N = model.p, model.order
    r, c = np.tril_indices(N)
    by_col = np.lexsort((r, c))                       # lower triangle, column-major
    perm = _svec_index(c[by_col], r[by_col])          # the same entries in our ordering
    A_scs = sp.vstack([A[:p], A[p:][perm]], format="csc")
    b_scs = np.r_[b[:p], b[p:][perm]]
    opts = {"eps_abs": eps, "eps_rel": eps, "verbose": False, "max_iters": SCS_MAX_ITERS}
    if time_limit is not None:
        opts["time_limit_secs"] = float(time_limit)
    t0 = time.perf_counter()
    sol = scs.solve({"A": A_scs, "b": b_scs, "c": q}, {"l": p, "s": [N]}, **opts)
    elapsed = time.perf_counter() - t0
    info = sol["info"]
    text = str(info["status"])
    if "time_limit" in text or (time_limit is not None and elapsed >= time_limit):
        status = "MaxTime"
    elif text == "solved":
        status = "Solved"
    elif text.startswith("solved"):
        status = "AlmostSolved"
    else:
        status = f"SCS {text}"
    y = np.asarray(sol["y"], dtype=float)
    S = None
    if y.size == A.shape[0] and np.all(np.isfinite(y)):
        z = np.zeros(y.size - p)
        z[perm] = y[p:]
        S = smat(z, N)
    return SolveResult(status=status, primal=float(info["pobj"]), dual=float(info["dobj"]),
                       S=S, r_prim=float(info["res_pri"]), r_dual=float(info["res_dual"]),
                       iterations=int(info["iter"]), solve_time=elapsed,
                       t=float(sol["x"][0]) if len(sol["x"]) else float("nan"))


def solve_cvxpy_structured(model: TauSosModel, solver: str, time_limit: float | None):
    """The same structured model through CVXPY (one vectorized equality, one PSD variable)."""
    import cvxpy as cp

    q, A, b = _clarabel_data(model)
    p, N = model.p, model.order
    z = cp.Variable(A.shape[1])
    M = cp.Variable((N, N), symmetric=True)
    r, c = np.triu_indices(N)
    sidx = _svec_index(r, c)
    Apsd, bpsd = A[p:][sidx], b[p:][sidx]
    scale = np.where(r == c, 1.0, _SQRT2)
    # svec entry = scale·M[r,c] = b − A z  ⇒  M[r,c] = (b − A z)/scale
    Mflat = cp.vec(M, order="F")[r + c * N]
    cons = [M >> 0,
            Mflat == (bpsd - Apsd @ z) / scale,
            A[:p] @ z <= b[:p]]
    prob = cp.Problem(cp.Minimize(z[0]), cons)
    return run_cvxpy(prob, solver, time_limit, cons[0])


def _solver_opts(solver: str | None, time_limit: float | None) -> dict:
    if time_limit is None:
        return {}
    name = (solver or "CLARABEL").upper()
    if name == "CLARABEL":
        return {"time_limit": float(time_limit)}
    if name == "SCS":
        return {"time_limit_secs": float(time_limit)}
    if name == "MOSEK":
        return {"mosek_params": {"MSK_DPAR_OPTIMIZER_MAX_TIME": float(time_limit)}}
    return {}


def run_cvxpy(prob, solver: str | None, time_limit: float | None, psd_con):
    """Solve a CVXPY problem; returns a :class:`SolveResult` like the direct path."""
    import cvxpy as cp

    t0 = time.perf_counter()
    solver = solver or "CLARABEL"
    try:
        with warnings.catch_warnings():
            # "Solution may be inaccurate": the status says so, and the bound then rests on
            # the verified dual certificate alone
            warnings.simplefilter("ignore", UserWarning)
            prob.solve(solver=solver, **_solver_opts(solver, time_limit))
    except cp.error.SolverError as exc:
        status = str(exc).splitlines()[0] if str(exc) else "solver error"
        if time_limit is not None and time.perf_counter() - t0 >= time_limit:
            status = "MaxTime"
        return SolveResult(status=status, primal=float("nan"),
                           solve_time=time.perf_counter() - t0)
    stats = prob.solver_stats
    outcome = solver_outcome(prob.status, hit_time_limit=time_limit is not None and (
        stats.solve_time or 0.0) >= time_limit)
    status = prob.status
    if outcome is Kind.OK:
        status = "Solved"
    elif outcome is Kind.TIME_LIMIT and time_limit is not None:
        status = "MaxTime"
    S = None if psd_con is None or psd_con.dual_value is None else np.asarray(psd_con.dual_value)
    value = prob.value if prob.value is not None else float("nan")
    return SolveResult(status=status, primal=float(value), S=S,
                       iterations=int(stats.num_iters or -1) if stats else -1,
                       solve_time=float(stats.solve_time or 0.0) if stats else 0.0,
                       t=float(value))
