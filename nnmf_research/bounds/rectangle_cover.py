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
rounded to rationals, rescaled by its largest rectangle sum (computed in ``Fraction``), and the
bound is ⌈Σ y⌉ evaluated exactly: no floating-point step can push it above rc_f. The MILP's
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


def check_fractional_cover_dual(X, y: dict[tuple[int, int], Fraction],
                                rectangles: list[Rectangle] | None = None) -> tuple[Fraction, str]:
    """Exact lower bound on rc_f(X) from dual weights y ≥ 0 on positive entries.

    Returns (Σ y / s, message) with s = max over maximal rectangles of Σ_{e∈R} y_e, computed
    in ``Fraction`` arithmetic; (0, reason) when y is not usable.
    """
    X = check_matrix(X)
    rects = maximal_rectangles(X) if rectangles is None else rectangles
    for (i, j), v in y.items():
        if v < 0:
            return Fraction(0), f"dual weight on ({i}, {j}) is negative: {v}"
        if not X[i, j] > 0:
            return Fraction(0), f"dual weight on ({i}, {j}), which is not a positive entry"
    total = sum(y.values(), Fraction(0))
    s = max((sum((y.get((i, j), Fraction(0)) for i in R for j in C), Fraction(0))
             for R, C in rects), default=Fraction(0))
    if total <= 0 or s <= 0:
        return Fraction(0), "the dual weights are all zero"
    return total / s, f"dual weights sum to {float(total):.6g}, largest rectangle sum {float(s):.6g}"


def _cover_system(X, name: str, time_limit: float | None, t0: float):
    """(maximal rectangles, cover matrix, entries), or a "time limit" RankBound for ``name``."""
    try:
        rects = maximal_rectangles(X, time_limit)
    except RectangleEnumerationTimeout as exc:
        return RankBound.no_bound(name, "lower", Kind.TIME_LIMIT, f"time limit: {exc}",
                                  time.perf_counter() - t0)
    return (rects, *cover_matrix(X, rects))


def _solve_cover_lp(A: sp.csr_matrix):
    n_rect = A.shape[1]
    return linprog(np.ones(n_rect), A_ub=-A, b_ub=-np.ones(A.shape[0]), bounds=(0, None),
                   method="highs")


def rectangle_cover_fractional_bound(X, time_limit: float | None = None) -> RankBound:
    """rank₊(X) ≥ rc_f(X), certified by an exactly re-checked LP dual (module docstring)."""
    X = check_matrix(X)
    t0 = time.perf_counter()
    name = "rectangle_cover_fractional"
    system = _cover_system(X, name, time_limit, t0)
    if isinstance(system, RankBound):
        return system
    return _fractional_bound_on(X, *system, t0)


def _fractional_bound_on(X, rects: list[Rectangle], A: sp.csr_matrix,
                         entries: list[tuple[int, int]], t0: float) -> RankBound:
    """The LP relaxation over the given maximal rectangles and its exactly re-checked dual."""
    name = "rectangle_cover_fractional"
    res = _solve_cover_lp(A)
    if res.status != 0:
        return RankBound.no_bound(name, "lower", Kind.FAILED,
                                  f"failed: HiGHS LP status {res.status} ({res.message})",
                                  time.perf_counter() - t0)
    duals = np.maximum(-res.ineqlin.marginals, 0.0)
    y = {e: Fraction(float(v)).limit_denominator(10**9) for e, v in zip(entries, duals) if v > 0}
    certified_value, why = check_fractional_cover_dual(X, y, rects)
    bound = math.ceil(certified_value) if certified_value > 0 else None
    status = (f"optimal (LP over {len(rects)} maximal rectangles); bound from the dual, "
              f"re-checked exactly: {why}")
    return RankBound(name, "lower", float(res.fun), bound, certified=bound is not None,
                     seconds=time.perf_counter() - t0, status=status,
                     certificate={"dual": {f"{i},{j}": str(v) for (i, j), v in y.items()},
                                  "certified_value": str(certified_value)})


def rectangle_cover_bound(X, time_limit: float | None = None) -> RankBound:
    """rank₊(X) ≥ rc(X), the minimum number of rectangles covering supp(X) (MILP, HiGHS)."""
    X = check_matrix(X)
    t0 = time.perf_counter()
    name = "rectangle_cover"
    system = _cover_system(X, name, time_limit, t0)
    if isinstance(system, RankBound):
        return system
    rects, A, entries = system
    remaining = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 1.0)
    options = {"disp": False}
    if remaining is not None:
        options["time_limit"] = remaining
    n_rect = A.shape[1]
    res = milp(np.ones(n_rect), constraints=LinearConstraint(A, lb=1, ub=np.inf),
               integrality=np.ones(n_rect), bounds=(0, 1), options=options)
    seconds = time.perf_counter() - t0
    if res.status == 0:
        z = np.round(res.x).astype(int)
        cover = [rects[k] for k in np.flatnonzero(z)]
        covered = (A @ z >= 1).all()
        if not covered:  # pragma: no cover - would be a HiGHS bug
            return RankBound(name, "lower", float(res.fun), None, False, seconds,
                             "failed: the MILP solution does not cover the support")
        value = int(z.sum())
        frac = _fractional_bound_on(X, rects, A, entries, t0)
        certified = frac.bound is not None and frac.bound == value
        status = f"optimal (MILP over {len(rects)} maximal rectangles)"
        if certified:
            status += "; equals the certified fractional bound"
        return RankBound(name, "lower", float(value), value, certified, seconds, status,
                         certificate={"cover": [[list(R), list(C)] for R, C in cover]})
    dual = getattr(res, "mip_dual_bound", None)
    if res.status == 1 and dual is not None and np.isfinite(dual) and dual > 0:
        bound = math.ceil(dual - 1e-6)
        return RankBound(name, "lower", float(dual), bound, False, seconds,
                         Status(Kind.TIME_LIMIT,
                                f"time limit {options.get('time_limit', 0):.0f} s: MILP dual "
                                f"bound {dual:.4g} (the cover number itself is not known)"))
    return RankBound.no_bound(name, "lower", Kind.FAILED,
                              f"failed: HiGHS MILP status {res.status} ({res.message})", seconds)
