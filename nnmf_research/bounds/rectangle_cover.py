"""Rectangle covering lower bounds on the nonnegative rank (Boolean rank of the support).

Every rank-one term w_k h_kᵀ of an NMF X = WH is non-negative and ≤ X, so its support is a
combinatorial rectangle R_k × C_k inside supp(X), and the rectangles cover supp(X). Hence

    rank₊(X) ≥ rc(X) = min { number of rectangles R × C ⊆ supp(X) covering supp(X) }

(the Boolean rank of the support; Fiorini, Kaibel, Pashkovich & Theis, Discrete Math. 313,
2013; Gillis, "Nonnegative Matrix Factorization", SIAM 2020, §3.4). Any cover can use
*maximal* rectangles, so with A[e, R] = 1 when entry e lies in maximal rectangle R:

    rectangle_cover:            rc   = min 1ᵀz  s.t.  A z ≥ 1,  z ∈ {0, 1}   (MILP, HiGHS)
    rectangle_cover_fractional: rc_f = min 1ᵀz  s.t.  A z ≥ 1,  z ≥ 0        (its LP relaxation)

Maximal rectangles are the maximal cliques of the graph on rows ∪ columns with the support's
row–column edges plus all row–row and column–column edges (networkx ``find_cliques``).

Soundness. The fractional bound is certified by LP duality: any y ≥ 0 on the positive entries
with Σ_{e ∈ R} y_e ≤ 1 for every maximal rectangle R satisfies Σ y ≤ rc_f. The LP's dual is
rounded to multiples of 2⁻⁴⁰, rescaled by its largest rectangle sum (exact integer sums,
:func:`covering_dual_value`), and the bound is ⌈Σ y⌉ evaluated exactly: no floating-point step
can push it above rc_f. The same helpers (:func:`solve_covering_lp`,
:func:`solve_covering_milp`) serve the refined bound of ``refined_rectangle_cover.py``. The MILP's
integer optimum relies on HiGHS's optimality proof; on a time limit its dual bound is used
(rounded up after a 1e-6 margin). It is marked certified when it equals the certified
fractional bound.

Only the support matters: both bounds are invariant under permutations and positive scalings.

Example
-------
>>> import numpy as np
>>> thomas = np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 1]])
>>> rectangle_cover_bound(thomas).bound, rectangle_cover_fractional_bound(thomas).bound
(4, 4)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.optimize import LinearConstraint, linprog, milp

from ..checks import check_matrix
from ..results import RankBound
from ..status import Kind, Status

__all__ = ["maximal_rectangles", "cover_matrix", "rectangle_cover_bound",
           "rectangle_cover_fractional_bound", "check_fractional_cover_dual",
           "covering_dual_value", "rounded_duals", "cover_system", "CoveringLP",
           "solve_covering_lp", "CoveringMILP", "solve_covering_milp", "optimum_bound",
           "RectangleEnumerationTimeout"]

Rectangle = tuple[tuple[int, ...], tuple[int, ...]]


class RectangleEnumerationTimeout(RuntimeError):
    """The enumeration of maximal rectangles did not finish within its time limit."""


def maximal_rectangles(X, time_limit: float | None = None) -> list[Rectangle]:
    """All maximal all-positive rectangles (rows, cols) of X, sorted.

    Raises :class:`RectangleEnumerationTimeout` when ``time_limit`` seconds pass first.
    """
    P = check_matrix(X) > 0
    m, n = P.shape
    G = nx.Graph()
    rows = [("r", i) for i in range(m)]
    cols = [("c", j) for j in range(n)]
    G.add_nodes_from(rows + cols)
    G.add_edges_from((rows[a], rows[b]) for a in range(m) for b in range(a + 1, m))
    G.add_edges_from((cols[a], cols[b]) for a in range(n) for b in range(a + 1, n))
    G.add_edges_from((rows[i], cols[j]) for i, j in np.argwhere(P))
    start = time.perf_counter()
    out = []
    for count, clique in enumerate(nx.find_cliques(G)):
        R = tuple(sorted(i for kind, i in clique if kind == "r"))
        C = tuple(sorted(j for kind, j in clique if kind == "c"))
        if R and C:
            out.append((R, C))
        if time_limit is not None and count % 64 == 0 and time.perf_counter() - start > time_limit:
            raise RectangleEnumerationTimeout(
                f"enumerating maximal rectangles took more than {time_limit:g} s "
                f"({len(out)} found so far)")
    return sorted(out)


def cover_matrix(X, rectangles: list[Rectangle]) -> tuple[sp.csr_matrix, list[tuple[int, int]]]:
    """A[e, k] = 1 when positive entry e (in row-major order) lies in rectangle k."""
    P = check_matrix(X) > 0
    entries = [tuple(map(int, e)) for e in np.argwhere(P)]
    index = {e: a for a, e in enumerate(entries)}
    r_idx, c_idx = [], []
    for k, (R, C) in enumerate(rectangles):
        for i in R:
            for j in C:
                r_idx.append(index[(i, j)])
                c_idx.append(k)
    A = sp.csr_matrix((np.ones(len(r_idx)), (r_idx, c_idx)),
                      shape=(len(entries), len(rectangles)))
    return A, entries


def covering_dual_value(M: sp.spmatrix, rhs, u) -> tuple[Fraction, str]:
    """Exact LP-duality lower bound for min {1ᵀx : M x ≥ rhs, x ≥ 0} with M a 0/1 matrix.

    ``u`` holds non-negative integer weights, one per row of M (a common positive scale
    cancels). Weak duality: for any x ≥ 0 with Mx ≥ rhs, rhsᵀu ≤ uᵀMx ≤ s · 1ᵀx with
    s = max_k (Mᵀu)_k, so 1ᵀx ≥ rhsᵀu / s. Every sum is a Python-integer sum (no rounding,
    no overflow). Returns (the bound as a Fraction, a message); (0, reason) when the weights
    are unusable.
    """
    u = [int(v) for v in np.asarray(u).tolist()]
    if len(u) != M.shape[0]:
        return Fraction(0), f"{len(u)} dual weights for {M.shape[0]} constraints"
    if any(v < 0 for v in u):
        return Fraction(0), "a dual weight is negative"
    total = sum(int(a) * v for a, v in zip(np.asarray(rhs).tolist(), u) if v)
    Mc = sp.csc_matrix(M)
    Mc.eliminate_zeros()
    s = max((sum(u[i] for i in Mc.indices[Mc.indptr[k]:Mc.indptr[k + 1]])
             for k in range(M.shape[1])), default=0)
    if total <= 0 or s <= 0:
        return Fraction(0), "the dual weights are all zero"
    return Fraction(total, s), (f"dual weights sum to {total / s:.6g} after rescaling by the "
                                "largest rectangle sum")


DUAL_GRID = 2**40     # LP duals are rounded to multiples of 2⁻⁴⁰ before the exact check


def rounded_duals(values) -> list[int]:
    """LP dual values (floats ≥ 0 up to round-off) as integer multiples of 1/DUAL_GRID."""
    v = np.maximum(np.nan_to_num(np.asarray(values, dtype=float), nan=0.0), 0.0)
    return [int(x) for x in np.rint(v * DUAL_GRID).tolist()]


def check_fractional_cover_dual(X, y: dict[tuple[int, int], Fraction],
                                rectangles: list[Rectangle] | None = None) -> tuple[Fraction, str]:
    """Exact lower bound on rc_f(X) from dual weights y ≥ 0 on positive entries.

    Returns (Σ y / s, message) with s = max over maximal rectangles of Σ_{e∈R} y_e, computed
    exactly (:func:`covering_dual_value` on the common-denominator integers of y); (0, reason)
    when y is not usable.
    """
    X = check_matrix(X)
    rects = maximal_rectangles(X) if rectangles is None else rectangles
    for (i, j), v in y.items():
        if v < 0:
            return Fraction(0), f"dual weight on ({i}, {j}) is negative: {v}"
        if not X[i, j] > 0:
            return Fraction(0), f"dual weight on ({i}, {j}), which is not a positive entry"
    A, entries = cover_matrix(X, rects)
    weights = [Fraction(y.get(e, 0)) for e in entries]
    scale = math.lcm(*(w.denominator for w in weights)) if weights else 1
    return covering_dual_value(A, np.ones(len(entries), dtype=np.int64),
                               [int(w * scale) for w in weights])


def cover_system(X, name: str, time_limit: float | None, t0: float):
    """(maximal rectangles, cover matrix, entries), or a "time limit" RankBound for ``name``."""
    try:
        rects = maximal_rectangles(X, time_limit)
    except RectangleEnumerationTimeout as exc:
        return RankBound.no_bound(name, "lower", Kind.TIME_LIMIT, f"time limit: {exc}",
                                  time.perf_counter() - t0)
    return (rects, *cover_matrix(X, rects))


@dataclass(frozen=True)
class CoveringLP:
    """The LP min {1ᵀx : M x ≥ rhs, x ≥ 0}: ``value`` its optimum (float), ``certified`` an
    exactly re-checked lower bound on it from the rounded dual ``dual`` (integers, scale
    1/DUAL_GRID), ``why`` the check's message; ``failed`` names a solver failure."""

    value: float
    certified: Fraction
    dual: list[int]
    why: str
    failed: str | None = None

    @property
    def bound(self) -> int | None:
        return math.ceil(self.certified) if self.certified > 0 else None


def solve_covering_lp(M: sp.spmatrix, rhs) -> CoveringLP:
    """min 1ᵀx s.t. M x ≥ rhs, x ≥ 0 (HiGHS), with the dual re-checked exactly."""
    rhs = np.asarray(rhs, dtype=float)
    res = linprog(np.ones(M.shape[1]), A_ub=-M, b_ub=-rhs, bounds=(0, None), method="highs")
    if res.status != 0:
        return CoveringLP(float("nan"), Fraction(0), [], "",
                          f"HiGHS LP status {res.status} ({res.message})")
    u = rounded_duals(-res.ineqlin.marginals)
    certified, why = covering_dual_value(M, rhs.astype(np.int64), u)
    return CoveringLP(float(res.fun), certified, u, why)


@dataclass(frozen=True)
class CoveringMILP:
    """The MILP min {1ᵀx : M x ≥ rhs, x ∈ {0, …, upper}}: ``x`` an optimal solution (None
    unless solved to optimality and re-checked in integers), ``bound`` the integer lower bound
    it proves (HiGHS's dual bound, rounded up after a 1e-6 margin; None when there is none),
    ``value`` the raw number, ``kind``/``detail`` what happened."""

    x: np.ndarray | None
    bound: int | None
    value: float
    kind: Kind
    detail: str


def solve_covering_milp(M: sp.spmatrix, rhs, upper: int, time_limit: float | None,
                        extra: sp.spmatrix | None = None) -> CoveringMILP:
    """min 1ᵀx s.t. M x ≥ rhs, x ∈ {0, …, upper}^K with HiGHS (``scipy.optimize.milp``).
    ``extra`` adds rows E x ≥ 0 that the caller has proved keep the optimum (the symmetry
    breaking of :func:`.refined_rectangle_cover.leader_constraints`); the solution is
    re-checked against M and rhs only.

    At an optimum the solution is rounded and re-checked in integer arithmetic and the bound
    is min(1ᵀx, ⌈dual bound − 1e-6⌉) (HiGHS stops at a relative gap of 1e-4); on a time
    limit the dual bound alone gives the bound. The proof behind either is HiGHS's branch and
    bound: not re-checkable here (``certified`` is for callers to establish otherwise)."""
    rhs = np.asarray(rhs, dtype=float)
    n_var = M.shape[1]
    options = {"disp": False}
    if time_limit is not None:
        options["time_limit"] = max(float(time_limit), 1.0)
    constraints = [LinearConstraint(M, lb=rhs, ub=np.inf)]
    if extra is not None:
        constraints.append(LinearConstraint(extra, lb=0.0, ub=np.inf))
    res = milp(np.ones(n_var), constraints=constraints, integrality=np.ones(n_var),
               bounds=(0, upper), options=options)
    dual = getattr(res, "mip_dual_bound", None)
    dual_ok = dual is not None and np.isfinite(dual) and dual > 0
    if res.status == 0:
        x = np.rint(res.x).astype(np.int64)
        Mi = sp.csr_matrix(M, dtype=np.int64)
        if not ((Mi @ x >= rhs.astype(np.int64)).all() and (x >= 0).all()
                and (x <= upper).all()):  # pragma: no cover - would be a HiGHS bug
            return CoveringMILP(None, None, float(res.fun), Kind.FAILED,
                                "failed: the MILP solution does not satisfy the constraints")
        value = int(x.sum())
        bound = min(value, math.ceil(dual - 1e-6)) if dual_ok else value
        return CoveringMILP(x, bound, float(value), Kind.OK,
                            f"optimal (MILP over {n_var} rectangles)")
    if res.status == 1 and dual_ok:
        return CoveringMILP(None, math.ceil(dual - 1e-6), float(dual), Kind.TIME_LIMIT,
                            f"time limit {options.get('time_limit', 0):.0f} s: MILP dual "
                            f"bound {dual:.4g}")
    if res.status == 1:
        return CoveringMILP(None, None, float("nan"), Kind.TIME_LIMIT,
                            f"time limit {options.get('time_limit', 0):.0f} s: no MILP dual "
                            "bound yet")
    return CoveringMILP(None, None, float("nan"), Kind.FAILED,
                        f"failed: HiGHS MILP status {res.status} ({res.message})")


def rectangle_cover_fractional_bound(X, time_limit: float | None = None) -> RankBound:
    """rank₊(X) ≥ rc_f(X), certified by an exactly re-checked LP dual (module docstring)."""
    X = check_matrix(X)
    t0 = time.perf_counter()
    name = "rectangle_cover_fractional"
    system = cover_system(X, name, time_limit, t0)
    if isinstance(system, RankBound):
        return system
    return _fractional_bound_on(*system, t0)


def _fractional_bound_on(rects: list[Rectangle], A: sp.csr_matrix,
                         entries: list[tuple[int, int]], t0: float) -> RankBound:
    """The LP relaxation over the given maximal rectangles and its exactly re-checked dual."""
    name = "rectangle_cover_fractional"
    lp = solve_covering_lp(A, np.ones(A.shape[0]))
    if lp.failed:
        return RankBound.no_bound(name, "lower", Kind.FAILED, f"failed: {lp.failed}",
                                  time.perf_counter() - t0)
    bound = lp.bound
    status = (f"optimal (LP over {len(rects)} maximal rectangles); bound from the dual, "
              f"re-checked exactly: {lp.why}")
    dual = {f"{i},{j}": str(Fraction(int(v), DUAL_GRID)) for (i, j), v in zip(entries, lp.dual)
            if v > 0}
    return RankBound(name, "lower", lp.value, bound, certified=bound is not None,
                     seconds=time.perf_counter() - t0, status=status,
                     certificate={"dual": dual, "certified_value": str(lp.certified)})


def rectangle_cover_bound(X, time_limit: float | None = None, proof: bool = False) -> RankBound:
    """rank₊(X) ≥ rc(X), the minimum number of rectangles covering supp(X) (MILP, HiGHS).
    Certified when it equals the certified LP bound or, with ``proof=True``, when a DRUP
    proof that one rectangle fewer cannot cover checks (:mod:`.cover_proofs`)."""
    X = check_matrix(X)
    t0 = time.perf_counter()
    name = "rectangle_cover"
    system = cover_system(X, name, time_limit, t0)
    if isinstance(system, RankBound):
        return system
    rects, A, entries = system
    remaining = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 1.0)
    out = solve_covering_milp(A, np.ones(A.shape[0]), 1, remaining)
    seconds = time.perf_counter() - t0
    if out.kind is Kind.OK:
        cover = [rects[k] for k in np.flatnonzero(out.x)]
        frac = _fractional_bound_on(rects, A, entries, t0)
        certified = frac.bound is not None and frac.bound == out.bound
        status = f"optimal (MILP over {len(rects)} maximal rectangles)"
        if certified:
            status += "; equals the certified fractional bound"
        left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        return optimum_bound(name, out, (A, np.ones(A.shape[0], dtype=np.int64), 1),
                             certified, status, {"cover": [[list(R), list(C)] for R, C in cover]},
                             proof, left, t0)
    if out.bound is not None:
        return RankBound(name, "lower", out.value, out.bound, False, seconds,
                         Status(Kind.TIME_LIMIT, out.detail + " (the cover number itself is "
                                "not known)"))
    return RankBound.no_bound(name, "lower", out.kind, out.detail, seconds)


def optimum_bound(name: str, out: CoveringMILP, system, certified: bool, status: str,
                  certificate: dict, proof: bool, time_left: float | None,
                  t0: float, leaders=()) -> RankBound:
    """The RankBound of a MILP optimum ``out`` of the covering ``system`` = (M, rhs, upper):
    ``certified`` as the caller established it (an equal certified LP bound), otherwise, with
    ``proof``, when a DRUP refutation of one rectangle fewer checks (:mod:`.cover_proofs`;
    ``leaders``: proved symmetry-breaking pairs added to the formula);
    a SAT cover with fewer rectangles than the MILP optimum gives no bound (FAILED)."""
    if not certified and proof:
        from .cover_proofs import prove_optimum

        ok, why, sat = prove_optimum(*system, out.bound, time_left, leaders=leaders)
        certificate["proof"] = sat
        if ok is None:
            return RankBound.no_bound(name, "lower", Kind.FAILED, f"failed: {why}",
                                      time.perf_counter() - t0, certificate)
        certified = ok
        status += f"; {why}"
    return RankBound(name, "lower", out.value, out.bound, certified, time.perf_counter() - t0,
                     status, certificate=certificate)
