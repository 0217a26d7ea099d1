"""Rank-3 matrices as nested polygons: the restricted nonnegative rank and the geometric bound.

The restricted nonnegative rank
-------------------------------
rank₊*(X) is the least r such that X = WH with W ≥ 0 (m×r), H ≥ 0 (r×n) and
col(W) = col(X). Always rank(X) ≤ rank₊(X) ≤ rank₊*(X). For rank(X) ≤ 2 the three coincide
(Cohen & Rothblum 1993). For rank(X) = 3 it is a planar geometry problem (Gillis & Glineur,
"On the geometric interpretation of the nonnegative rank", Linear Algebra Appl. 437, 2012):

* scale the nonzero columns of X to sum 1; they lie in the affine plane
  aff = col(X) ∩ {1ᵀx = 1}, and P = conv(columns) is the *inner* polygon;
* the *outer* polygon is Q = col(X) ∩ {x ≥ 0, 1ᵀx = 1}: one half-plane x_i ≥ 0 per
  (nonzero) row of X;
* rank₊*(X) is the least number of vertices of a convex polygon K with P ⊆ K ⊆ Q
  (the nested polygon problem, NPP). K's vertices, mapped back to R^m, are the columns of W;
  the barycentric coordinates of the columns of X in K (times the column sums) are H.

Algorithm (wrapping; Aggarwal, Booth, O'Rourke, Suri & Yap, "Finding minimal convex nested
polygons", Inform. Comput. 83, 1989). From a point p on ∂Q follow the supporting line of P
through p that has P on its left (counter-clockwise) until it leaves Q; repeat from there.
k(p) is the number of chords needed to wrap once around. Every feasible K is dominated by the
greedy chain started on (the backward extension of) one of its edges, so
rank₊* = min over p ∈ ∂Q of k(p). We evaluate that minimum exactly in two cases:

* **P touches ∂Q** at t (a vertex of P with a zero coordinate): every feasible K has t on
  its boundary, either as a vertex — then the greedy chain from t is optimal — or inside an
  edge of K, which must then lie along the edge E of Q through t (a segment of Q with t
  inside it cannot cross ∂Q) — then the chain from the first vertex of E, a backward
  extension of that edge, is optimal. So min(k(t), k(start of E)) = rank₊*. (k(t) alone can
  be one too many: a triangle Q touched by P in the interior of its edges has K = Q.)
* **P inside the interior of Q**: the greedy map f: ∂Q → ∂Q is continuous and monotone, and
  between finitely many breakpoints (vertices of Q, their preimages under f, and the points
  where P's tangent vertex switches: the backward extensions of P's edges) it is a
  perspectivity through a fixed vertex of P between two fixed edges of Q: a Möbius map of the
  edge parameter. Propagating these pieces k times gives F = f∘…∘f exactly as a piecewise
  Möbius map, and "some start wraps in k chords" is max_p (F(p) − p) ≥ one turn, decided
  piece by piece in closed form (end points and the stationary points of a Möbius map minus
  the identity). Starting from a greedy count and lowering k while feasible gives the minimum
  without relying on the "an optimal K has an edge flush with P" lemma (not verified here;
  tests check the result against greedy wrapping from dense grids of starts).

Soundness and tolerances
------------------------
rank₊* feeds the *lower* bound :func:`geometric_bound`, so the value returned by
:func:`restricted_nonnegative_rank` must never exceed the truth. Every greedy count is the
number of vertices of an actual nested polygon, so it can only be too *large* when the start
set misses the optimum — the two cases above are exactly about not missing it. Tolerances:

* a column of X is a *contact* with the face x_i ≥ 0 when X_ij = 0 exactly or its scaled
  coordinate on the plane is ≤ ``TOUCH_TOL`` = 1e-12 (round-off of the projection). Contacts
  with a negative computed coordinate are put on ∂Q by relaxing x_i ≥ 0 to x_i ≥ −slack (Q
  only grows: safe). A contact with a positive coordinate ≤ 1e-12 is treated as exact; that
  is the one place where we rely on round-off-level perturbations not changing the answer
  (the set {(P, Q): NPP value ≤ k} is closed, so the value at a contact configuration is ≤
  the value of nearby ones, and equal to it for small enough perturbations that shrink P).
* a greedy wrap that falls short by ≤ ``WRAP_TOL`` = 1e-9 (edge-parameter units) counts as a
  wrap, and in the interior case a k is feasible when max (F(p) − p) ≥ one turn − 1e-9:
  both can only lower counts.

All of this runs on the exact power-of-two balanced copy of X (:mod:`nnmf_research.balance`),
so the tolerances above are relative to well-scaled data whatever the scaling of X: without
it, rows of very different scale made long thin polygons and a rank-3 product with a dynamic
range of 1e9 got a geometric bound of 4 (the soundness issue, item 1).

The *upper* bound on rank₊ (:func:`restricted_rank3_bound`) is the number of vertices of an
explicit polygon K; its factorization W, H (W's negative parts, of the order of the
relaxation, clipped; leaks onto zeros of X repaired) counts only after the entrywise test of
:mod:`nnmf_research.bounds.entrywise`, and is certified when
:func:`nnmf_research.bounds.certificates.certify` proves it exactly. When the safe lower count
and the polygon's count differ the status says so (rank₊* ∈ [lower, upper]) and
:func:`restricted_nonnegative_rank` / :func:`geometric_bound` use the lower one.

The geometric bound
-------------------
Gillis & Glineur (2012; MATLAB ``geometric_bound.m`` of Gillis' NMF book): with
faces(n, d, k) the number of k-faces of the cyclic polytope C(n, d) (the maximum over
d-polytopes with n vertices, by the upper bound theorem),

    φ(r, r') = max(r', max_{r < r_w ≤ r'} faces(r', r_w − 1, r_w − r))                    r > 3
    φ(3, r') = max(r', max_{3 < r_w ≤ r'} min(faces(r', r_w − 1, r_w − 3),
                                               faces(r', r_w − 1, r_w − 2)))
    rank₊(X) ≥ min { r' ≥ rank(X) : φ(rank(X), r') ≥ rank₊*(X) }.

It is computed here for rank 3 only (rank₊* in higher dimension is an NP-hard nested polytope
problem); for rank ≤ 2 the bound is the rank.

Example
-------
>>> import numpy as np
>>> X = np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 1]])
>>> restricted_nonnegative_rank(X), geometric_bound(X).bound
(4, 4)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from math import comb

import numpy as np
from scipy.optimize import nnls
from scipy.spatial import ConvexHull, HalfspaceIntersection

from ..checks import NMFInputError, check_matrix
from ..results import RankBound
from ..status import Kind, Status
from ..balance import balance
from .entrywise import UPPER_BOUND_TOL, clean_zeros, entrywise_relative_error
from .rank import rank_info, rounding_level_rank

__all__ = [
    "NestedPolygonProblem",
    "NestedPolygonSolution",
    "nested_polygon_problem",
    "greedy_wrap",
    "greedy_wrap_count",
    "max_wrap_excess",
    "minimal_nested_polygon",
    "restricted_nonnegative_rank",
    "nested_polygon_factorization",
    "restricted_rank3_bound",
    "cyclic_polytope_faces",
    "phi",
    "geometric_lower_bound",
    "geometric_bound",
    "rank3_lower_bound",
    "rank3_solution",
    "TOUCH_TOL",
]

TOUCH_TOL = 1e-12    # a scaled column entry ≤ this (or an exact zero of X) is a contact with ∂Q
WRAP_TOL = 1e-9      # a wrap short by ≤ this (edge-parameter units) still counts


# ---------------------------------------------------------------------------------------------
# The planar problem
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NestedPolygonProblem:
    """P ⊆ Q in plane coordinates ξ of aff = col(X) ∩ {1ᵀx = 1}; x(ξ) = origin + axes @ ξ.

    ``inner``/``outer`` are the CCW vertices of P and Q (Q possibly relaxed by ``relaxation``
    in coordinate units, see module doc); ``touching`` lists the vertices of P on ∂Q;
    ``points`` are all scaled nonzero columns, ``columns`` their indices in X and
    ``column_sums`` their sums.
    """

    inner: np.ndarray
    outer: np.ndarray
    touching: tuple[int, ...]
    origin: np.ndarray
    axes: np.ndarray
    points: np.ndarray
    columns: np.ndarray
    column_sums: np.ndarray
    relaxation: float

    def to_space(self, xi) -> np.ndarray:
        """Plane points (k×2) → columns in R^m (m×k) summing to 1."""
        xi = np.atleast_2d(np.asarray(xi, dtype=float))
        return self.origin[:, None] + self.axes @ xi.T


def _plane_coordinates(X: np.ndarray):
    """Orthonormal affine coordinates of aff = col(X) ∩ {1ᵀx = 1} (X of rank 3):
    returns origin (m,), axes (m×2), with x = origin + axes ξ ranging over aff."""
    U, _, _ = np.linalg.svd(X, full_matrices=False)
    B = U[:, :3]
    w = B.T @ np.ones(X.shape[0])           # 1ᵀ(Bz) = wᵀz
    z0 = w / (w @ w)
    # orthonormal basis of w⊥ in R^3
    _, _, Vt = np.linalg.svd(w[None, :])
    A = Vt[1:].T
    return B @ z0, B @ A


def _ccw_hull(points: np.ndarray) -> np.ndarray:
    """Indices of the vertices of conv(points), counter-clockwise (collinear points dropped)."""
    hull = ConvexHull(points)
    idx = hull.vertices                      # scipy: CCW for 2-D input
    pts = points[idx]
    area2 = np.sum(pts[:, 0] * np.roll(pts[:, 1], -1) - np.roll(pts[:, 0], -1) * pts[:, 1])
    return idx if area2 > 0 else idx[::-1]


def nested_polygon_problem(X, touch_tol: float = TOUCH_TOL) -> NestedPolygonProblem:
    """The nested polygon instance P ⊆ Q of a rank-3 nonnegative X (module doc).

    Raises NMFInputError when rank(X) ≠ 3 (singular values above rounding level). Rows of X
    that vanish on the plane (zero rows) give no constraint; zero columns are dropped. Row
    constraints that a column of X violates or nearly meets (scaled value ≤ ``touch_tol``)
    are relaxed so that the column lies exactly on them: Q only grows (safe direction for
    the count). The tolerances are relative to a well-scaled X: the bound functions pass the
    power-of-two balanced copy (:mod:`nnmf_research.balance`)."""
    X = check_matrix(X)
    r = rounding_level_rank(X)
    if r != 3:
        raise NMFInputError(f"the nested polygon problem needs rank(X) = 3; rank(X) = {r}")
    sums = X.sum(axis=0)
    cols = np.flatnonzero(sums > 0)
    Y = X[:, cols] / sums[cols]
    origin, axes = _plane_coordinates(X)
    xi = (Y - origin[:, None]).T @ axes      # axes orthonormal: exact coordinates
    # constraints x_i(ξ) = origin_i + axes_i·ξ ≥ 0; zero rows of X give none
    scale = np.abs(axes).max()
    live = np.linalg.norm(axes, axis=1) > 1e-12 * scale
    values = origin[:, None] + axes @ xi.T   # m × n: the scaled columns, recomputed on the plane
    contact = ((values <= touch_tol) | (Y == 0)) & live[:, None]
    # put every contact exactly on ∂Q by relaxing x_i ≥ 0 to x_i ≥ -relax_i (Q only grows)
    relax = np.where(contact, np.maximum(-values, 0.0), 0.0).max(axis=1)
    offsets = origin + relax
    inner_idx = _ccw_hull(xi)
    inner = xi[inner_idx]
    interior = inner.mean(axis=0)
    halfspaces = np.c_[-axes[live], -offsets[live]]   # -(a·ξ) - b ≤ 0  ⇔  b + a·ξ ≥ 0
    corners = HalfspaceIntersection(halfspaces, interior).intersections
    outer = corners[_ccw_hull(corners)]
    touching = tuple(int(j) for j, c in enumerate(inner_idx) if contact[:, c].any())
    return NestedPolygonProblem(inner, outer, touching, origin, axes, xi, cols, sums[cols],
                                float(relax.max()))


# ---------------------------------------------------------------------------------------------
# Boundary parametrization of Q: position u ∈ [0, q), edge ⌊u⌋, fraction u − ⌊u⌋
# ---------------------------------------------------------------------------------------------


def _cross(a, b):
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def boundary_point(Q: np.ndarray, u: float) -> np.ndarray:
    """The point of ∂Q at position u (edge ⌊u⌋ mod q, linear in the fraction)."""
    q = len(Q)
    u = float(u) % q
    e = min(int(np.floor(u)), q - 1)
    t = u - e
    return Q[e] + t * (Q[(e + 1) % q] - Q[e])


def boundary_position(Q: np.ndarray, x) -> float:
    """Position in [0, q) of the point of ∂Q nearest to x (projection on the nearest edge)."""
    A, B = Q, np.roll(Q, -1, axis=0)
    d = B - A
    t = np.clip(np.einsum("ij,ij->i", np.asarray(x) - A, d) / np.einsum("ij,ij->i", d, d), 0, 1)
    dist = np.linalg.norm(A + t[:, None] * d - x, axis=1)
    e = int(np.argmin(dist))
    return (e + float(t[e])) % len(Q)


def _tangent_vertex(P: np.ndarray, x: np.ndarray, exclude_tol: float) -> int:
    """Index of the vertex v of P such that P lies left of the line x → v (the most clockwise
    direction seen from x ∉ int P); vertices within ``exclude_tol`` of x are skipped."""
    d = P - x
    dist = np.linalg.norm(d, axis=1)
    ok = dist > exclude_tol
    ref = P.mean(axis=0) - x                 # inside P: every direction is within (-π, π) of it
    ang = np.arctan2(_cross(ref, d), d @ ref)
    ang[~ok] = np.inf
    return int(np.argmin(ang))


def _ray_exit(Q: np.ndarray, x: np.ndarray, d: np.ndarray, at_least: float) -> np.ndarray:
    """Where the ray x + λd (λ ≥ ``at_least``) leaves the convex polygon Q."""
    A, B = Q, np.roll(Q, -1, axis=0)
    e = B - A
    normal = np.c_[e[:, 1], -e[:, 0]]        # outward for a CCW polygon
    rate = normal @ d
    room = np.einsum("ij,ij->i", normal, A - x)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(rate > 1e-14 * np.linalg.norm(normal, axis=1) * np.linalg.norm(d),
                       room / rate, np.inf)
    lam = lam[lam >= at_least - 1e-12]
    lam_exit = max(float(lam.min()) if lam.size else at_least, at_least)
    return x + lam_exit * d


def greedy_step(problem: NestedPolygonProblem, x: np.ndarray) -> tuple[np.ndarray, int]:
    """One wrapping chord: from x ∈ ∂Q along the supporting line of P (P on the left) to where
    it leaves Q. Returns (exit point, index of the tangent vertex of P)."""
    P, Q = problem.inner, problem.outer
    scale = np.ptp(Q, axis=0).max()
    v = _tangent_vertex(P, x, 1e-12 * scale)
    d = P[v] - x
    return _ray_exit(Q, x, d, 1.0), v


def greedy_wrap(problem: NestedPolygonProblem, start: float,
                max_steps: int | None = None) -> list[np.ndarray]:
    """The greedy chain from ∂Q position ``start``: the vertices p₀, p₁, …, p_{k−1} of a
    polygon P ⊆ K ⊆ Q, where k = k(start) chords wrap once around (a wrap short by WRAP_TOL
    counts)."""
    Q = problem.outer
    q = len(Q)
    max_steps = max_steps or 4 * (len(problem.inner) + q) + 8
    x = boundary_point(Q, start)
    pos, lifted = float(start) % q, 0.0
    chain = [x]
    for _ in range(max_steps):
        y, _ = greedy_step(problem, x)
        new = boundary_position(Q, y)
        advance = (new - pos) % q
        if advance > q - 1e-12:              # numerically a tiny step backwards
            advance = 0.0
        lifted += advance
        if lifted >= q - WRAP_TOL:
            return chain
        if advance <= 1e-15:
            raise RuntimeError("greedy wrapping made no progress (degenerate geometry)")
        chain.append(y)
        x, pos = y, new
    raise RuntimeError("greedy wrapping did not close")


def greedy_wrap_count(problem: NestedPolygonProblem, start: float) -> int:
    """k(start): number of greedy chords from ∂Q position ``start`` to wrap once."""
    return len(greedy_wrap(problem, start))


# ---------------------------------------------------------------------------------------------
# Interior case: f as a piecewise Möbius map of the boundary position
# ---------------------------------------------------------------------------------------------


def _mobius(M: np.ndarray, t):
    return (M[0, 0] * t + M[0, 1]) / (M[1, 0] * t + M[1, 1])


def _mobius_inverse(M: np.ndarray, s):
    return (M[1, 1] * s - M[0, 1]) / (-M[1, 0] * s + M[0, 0])


def _perspectivity(Q: np.ndarray, e: int, v: np.ndarray, e2: int) -> np.ndarray:
    """Matrix of t ↦ s: the point A + t(B − A) of edge e, seen from v, hits edge e2 at
    A' + s(B' − A'); s = cross(A'−v, u) / cross(u, d') with u = A − v + t d."""
    q = len(Q)
    A, d = Q[e], Q[(e + 1) % q] - Q[e]
    A2, d2 = Q[e2], Q[(e2 + 1) % q] - Q[e2]
    return np.array([[_cross(A2 - v, d), _cross(A2 - v, A - v)],
                     [_cross(d, d2), _cross(A - v, d2)]])


def _ray_exit_backward(Q, v, direction):
    return boundary_position(Q, _ray_exit(Q, v, direction, 0.0))


def _greedy_breakpoints(problem: NestedPolygonProblem) -> np.ndarray:
    """Positions on ∂Q between which f is one perspectivity: vertices of Q, backward
    extensions of P's edges (tangent vertex switches) and preimages of Q's vertices."""
    P, Q = problem.inner, problem.outer
    q = len(Q)
    pts = [float(i) for i in range(q)]
    for i in range(len(P)):
        a, b = P[i], P[(i + 1) % len(P)]
        pts.append(_ray_exit_backward(Q, a, a - b))
    for w in Q:
        # u: P lies left of the line u → w; the start p with f(p) = w is behind u
        d = P - w
        ref = P.mean(axis=0) - w
        ang = np.arctan2(_cross(ref, d), d @ ref)
        u = P[int(np.argmax(ang))]
        pts.append(_ray_exit_backward(Q, u, u - w))
    pts = np.unique(np.mod(np.array(pts), q))
    return np.append(pts, q)


def _apply_greedy_piece(problem, edge: int, s_mid: float, edge_lifted: int):
    """On the f-piece containing position edge + s_mid: (perspectivity matrix, lifted exit
    edge)."""
    P, Q = problem.inner, problem.outer
    q = len(Q)
    x = boundary_point(Q, edge + s_mid)
    y, v = greedy_step(problem, x)
    e2 = int(np.floor(boundary_position(Q, y))) % q
    step = (e2 - edge) % q
    if step == 0:
        raise RuntimeError("a chord of Q from one edge to itself (degenerate geometry)")
    return _perspectivity(Q, edge, P[v], e2), edge_lifted + step


def max_wrap_excess(problem: NestedPolygonProblem, k: int) -> tuple[float, float]:
    """max over p ∈ ∂Q of F(p) − p − q, F = f composed k times, in lifted positions (exact up
    to rounding: piecewise Möbius). ≥ 0 iff some start wraps in k chords. Returns
    (max, argmax position). Needs P in the interior of Q.

    Each piece carries its composed Möbius matrix and, separately, the images of its two end
    points computed one perspectivity at a time (the composed matrix can be nearly singular
    when the chain contracts strongly). F is increasing, so a stationary value is clamped
    to [F(t_lo), F(t_hi)] and used only when the matrix has no pole near it; rounding can
    then only raise the reported maximum (the safe direction)."""
    Q = problem.outer
    q = len(Q)
    bps = _greedy_breakpoints(problem)
    # (t_lo, t_hi, start edge, M, lifted current edge, image of t_lo, image of t_hi)
    cells = []
    for a, b in zip(bps[:-1], bps[1:]):
        if b - a <= 1e-15:
            continue
        e = min(int(np.floor((a + b) / 2)), q - 1)
        cells.append((a - e, b - e, e, np.eye(2), e, a - e, b - e))
    for _ in range(k):
        new_cells = []
        for t_lo, t_hi, e0, M, E, s_lo, s_hi in cells:
            edge = E % q
            inner_bps = [b - edge for b in bps if s_lo < b - edge < s_hi]
            cuts = [s_lo] + inner_bps + [s_hi]
            ts = ([t_lo] + [min(max(float(_mobius_inverse(M, s)), t_lo), t_hi)
                            for s in inner_bps] + [t_hi])
            for (sa, sb), (ta, tb) in zip(zip(cuts[:-1], cuts[1:]), zip(ts[:-1], ts[1:])):
                if tb - ta <= 0 or sb - sa <= 0:
                    continue
                Af, E2 = _apply_greedy_piece(problem, edge, (sa + sb) / 2, E)
                M2 = Af @ M
                M2 = M2 / np.abs(M2).max()
                new_cells.append((ta, tb, e0, M2, E2, float(_mobius(Af, sa)),
                                  float(_mobius(Af, sb))))
        cells = new_cells
    best, arg = -np.inf, 0.0
    for t_lo, t_hi, e0, M, E, s_lo, s_hi in cells:
        cand = [(t_lo, s_lo), (t_hi, s_hi)]
        a, b, c, d = M.ravel()
        det = a * d - b * c
        mid_den = c * (t_lo + t_hi) / 2 + d
        if abs(c) > 0 and det * np.sign(mid_den) ** 2 > 0:
            for sgn in (1.0, -1.0):
                t = (sgn * np.sqrt(det) - d) / c
                den = c * t + d
                if t_lo < t < t_hi and den * mid_den > 0:
                    s_val = min(max((a * t + b) / den, s_lo), s_hi)
                    cand.append((t, s_val))
        for t, s_val in cand:
            g = E + s_val - (e0 + t) - q
            if g > best:
                best, arg = float(g), float(e0 + t)
    return best, arg


# ---------------------------------------------------------------------------------------------
# The minimum
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NestedPolygonSolution:
    """``lower`` ≤ rank₊* (safe count); ``vertices`` a nested polygon (CCW, plane coordinates)
    with ``upper = len(vertices)`` ≥ rank₊*; ``exact`` when they agree; ``case`` is
    "touching" or "interior"."""

    lower: int
    upper: int
    vertices: np.ndarray
    exact: bool
    case: str
    start: float


def _contact_starts(problem: NestedPolygonProblem) -> list[float]:
    """Start positions that contain an optimal one when P touches ∂Q at t: every feasible K
    has t on its boundary, either as a vertex (start at t) or inside an edge of K, which then
    lies along the edge E of Q through t (t cannot be inside an edge of K at a vertex of Q);
    the greedy chain from the first vertex of E dominates such a K. Any greedy count is the
    size of a valid nested polygon, so extra starts never push the minimum below rank₊*."""
    Q = problem.outer
    starts = []
    for j in problem.touching:
        u = boundary_position(Q, problem.inner[j])
        starts += [u, float(np.floor(u))]
    return sorted(set(starts))


def minimal_nested_polygon(problem: NestedPolygonProblem) -> NestedPolygonSolution:
    """A minimal nested polygon P ⊆ K ⊆ Q (module doc: touching case by greedy from a contact
    point, interior case by the piecewise-Möbius maximization)."""
    Q = problem.outer
    if problem.touching:
        best = None
        for start in _contact_starts(problem):
            chain = greedy_wrap(problem, start)
            if best is None or len(chain) < len(best[0]):
                best = (chain, start)
        chain, start = best
        k = len(chain)
        return NestedPolygonSolution(k, k, np.array(chain), True, "touching", start)
    starts = np.linspace(0, len(Q), 8, endpoint=False)
    chains = [(greedy_wrap(problem, s), s) for s in starts]
    chain, start = min(chains, key=lambda c: len(c[0]))
    upper_chain, upper_start = chain, start
    k = len(chain)
    while k - 1 >= 3:
        excess, arg = max_wrap_excess(problem, k - 1)
        if excess < -WRAP_TOL:
            break
        k -= 1
        candidate = greedy_wrap(problem, arg)
        if len(candidate) < len(upper_chain):
            upper_chain, upper_start = candidate, arg
    upper = len(upper_chain)
    return NestedPolygonSolution(k, upper, np.array(upper_chain), k == upper, "interior",
                                 upper_start)


def restricted_nonnegative_rank(X) -> int:
    """rank₊*(X) for rank(X) ≤ 3 (rank ≤ 2: the rank). For rank 3 the safe value: never above
    the truth (module doc), computed on the balanced copy; raises NMFInputError naming the
    rank when rank(X) > 3."""
    X = check_matrix(X)
    info = rank_info(X)
    if info.exact <= 2:
        return info.exact
    if info.counted > 3 or info.rounding != 3:
        raise NMFInputError(f"the restricted nonnegative rank is computed for rank(X) ≤ 3 "
                            f"only; rank(X) = {info.counted}")
    return minimal_nested_polygon(nested_polygon_problem(balance(X).X)).lower


def nested_polygon_factorization(X, problem: NestedPolygonProblem | None = None,
                                 solution: NestedPolygonSolution | None = None):
    """X ≈ W H from a nested polygon: W's columns are K's vertices in R^m (negative parts of
    the order of the relaxation clipped), H the barycentric coordinates (NNLS) times the
    column sums. Returns (W, H, relative Frobenius error)."""
    X = check_matrix(X)
    problem = problem or nested_polygon_problem(X)
    solution = solution or minimal_nested_polygon(problem)
    K = solution.vertices
    W = np.maximum(problem.to_space(K), 0.0)
    lhs = np.vstack([K.T, np.ones(len(K))])
    H = np.zeros((len(K), X.shape[1]))
    for j, col in enumerate(problem.columns):
        h, _ = nnls(lhs, np.r_[problem.points[j], 1.0])
        H[:, col] = h * problem.column_sums[j]
    err = np.linalg.norm(X - W @ H) / max(np.linalg.norm(X), np.finfo(float).tiny)
    return W, H, float(err)


def rank3_solution(method: str, kind: str, X: np.ndarray, t0: float):
    """(info, balanced copy, problem, minimal nested polygon) for a rank-3 X; otherwise the
    RankBound that ``method`` reports.

    Balance first: the polygons are built from the exact power-of-two balanced copy D₁XD₂
    (same rank₊ and rank₊*), so the plane coordinates and the relative tolerances do not
    depend on how rows and columns are scaled. The rank is the exact rank of the stored
    values: ≤ 2 gives rank₊ = rank₊* = rank (Cohen & Rothblum 1993), certified by the exact
    rank; the geometry needs three singular values above rounding level; "failed" on
    degenerate geometry, a qhull failure or a balanced copy that leaves the float range."""
    def no_bound(status, status_kind=Kind.FAILED):
        return RankBound.no_bound(method, kind, status_kind, status, time.perf_counter() - t0)

    info = rank_info(X)
    if info.exact <= 2:
        return RankBound(method, kind, float(info.exact), info.exact, True,
                         time.perf_counter() - t0,
                         f"the stored values have rank {info.exact} ≤ 2 over Q: rank₊ = "
                         "rank₊* = rank (Cohen & Rothblum 1993)")
    if info.rounding != 3:
        return no_bound(f"not applicable: rank(X) = {info.counted}"
                        + (f" above rounding level (the stored values have rank {info.exact})"
                           if info.rounding != info.exact else "")
                        + ", the method needs rank 3", Kind.SKIPPED)
    b = balance(X)
    if not b.exact:
        return no_bound("failed: the balanced copy leaves the float64 range (entries span "
                        "too many orders of magnitude within a row and a column)")
    try:
        problem = nested_polygon_problem(b.X)
        return info, b, problem, minimal_nested_polygon(problem)
    except (RuntimeError, ValueError) as exc:
        return no_bound(f"failed: {exc}")


def restricted_rank3_bound(X, tol: float = UPPER_BOUND_TOL) -> RankBound:
    """rank₊(X) ≤ rank₊*(X): an upper bound from a nested polygon, counted only when the
    factorization it gives passes the entrywise test (:mod:`.entrywise`, relative ``tol``,
    exact zeros); certified when :func:`certificates.certify` proves it exactly. When
    rank₊* = 3 this proves rank₊ = 3. rank ≤ 2: the exact rank; rank > 3: not applicable."""
    from .certificates import certify

    t0 = time.perf_counter()
    X = check_matrix(X)
    solved = rank3_solution("restricted_rank3", "upper", X, t0)
    if isinstance(solved, RankBound):
        return solved
    info, b, problem, sol = solved
    Wb, Hb, err = nested_polygon_factorization(b.X, problem, sol)
    W, H = b.unscale(*clean_zeros(b.X, Wb, Hb))   # repair leaks where the scale is even
    worst = entrywise_relative_error(X, W, H)
    exactness = ("exact" if sol.exact else
                 f"rank₊* ∈ [{sol.lower}, {sol.upper}] (numerically undecided)")
    status = (f"{exactness}, {sol.case} case; nested polygon with {sol.upper} vertices, "
              f"worst entry of WH off by {worst:.2e} (relative); Q relaxed by "
              f"{problem.relaxation:.1e}")
    certificate = {"vertices": sol.vertices, "W": W, "H": H, "relative_error": err,
                   "entrywise_error": worst, "lower": sol.lower}
    if not worst <= tol:
        return RankBound("restricted_rank3", "upper", float(sol.upper), None, False,
                         time.perf_counter() - t0,
                         Status(Kind.FAILED, f"failed: the factorization misses the entrywise "
                                f"test ({worst:.2e} > {tol:g}); {status}"), certificate)
    cert = certify(X, W, H)
    if cert.exact:
        status += "; certified exact"
    elif info.exact > sol.upper:
        status += (f"; numerical: the stored values have rank {info.exact}, the bound is "
                   "about a matrix within rounding of them")
    if sol.upper == 3:
        status += "; rank₊ = 3 (= rank)"
    return RankBound("restricted_rank3", "upper", float(sol.upper), sol.upper, cert.exact,
                     time.perf_counter() - t0, status, certificate)


# ---------------------------------------------------------------------------------------------
# The geometric bound
# ---------------------------------------------------------------------------------------------


def cyclic_polytope_faces(n: int, d: int, k: int) -> int:
    """Number of k-faces of the cyclic polytope C(n, d) (n ≥ d + 1 vertices in R^d), from its
    h-vector h_i = C(n − d − 1 + i, i) for i ≤ d/2, h_{d−i} = h_i, and
    f_{j−1} = Σ_{i ≤ j} C(d − i, j − i) h_i. k = d gives 1, k > d gives 0."""
    if k < -1 or k > d:
        return 0
    if k == d or k == -1:
        return 1
    if n < d + 1:
        raise ValueError(f"C(n, d) needs n ≥ d + 1; got n = {n}, d = {d}")
    h = [comb(n - d - 1 + min(i, d - i), min(i, d - i)) for i in range(d + 1)]
    j = k + 1
    return sum(comb(d - i, j - i) * h[i] for i in range(j + 1))


def phi(r: int, rp: int, max_rank_w: int | None = None) -> int:
    """φ(r, r') of Gillis & Glineur (2012): the largest restricted nonnegative rank compatible
    with nonnegative rank r' for a rank-r matrix (module doc). ``max_rank_w`` caps r_w, the
    rank of the factor W whose section is counted (the two-sided bound of
    :mod:`.geometric_two_sided` uses ⌊(r' + 3)/2⌋); by default r_w ranges up to r'."""
    best = rp
    top = rp if max_rank_w is None else min(rp, max_rank_w)
    for rw in range(r + 1, top + 1):
        if r == 3:
            val = min(cyclic_polytope_faces(rp, rw - 1, rw - r),
                      cyclic_polytope_faces(rp, rw - 1, rw - r + 1))
        else:
            val = cyclic_polytope_faces(rp, rw - 1, rw - r)
        best = max(best, val)
    return best


def geometric_lower_bound(rank: int, restricted_rank: int) -> int:
    """Smallest r' ≥ rank with φ(rank, r') ≥ rank₊* (Gillis & Glineur 2012)."""
    rp = rank
    while phi(rank, rp) < restricted_rank:
        rp += 1
    return rp


def geometric_bound(X) -> RankBound:
    """rank₊(X) ≥ min {r' : φ(3, r') ≥ rank₊*(X)} for rank(X) = 3, using the safe (never too
    large) rank₊* of the balanced copy. rank ≤ 2: the exact rank; rank > 3: not applicable.

    The argument needs the stored values to have rank exactly 3. Floats rounded from a
    rank-3 matrix (cosines) have a larger exact rank ρ; the bound b is then reported only
    when b ≤ ρ, where it holds for the stored values because rank₊ ≥ rank (and means the
    geometric bound of the rank-3 matrix they round); for 3 < ρ < b no bound is claimed."""
    t0 = time.perf_counter()
    X = check_matrix(X)
    solved = rank3_solution("geometric", "lower", X, t0)
    if isinstance(solved, RankBound):
        return solved
    info, _, _, sol = solved
    b = geometric_lower_bound(3, sol.lower)
    note = "exact" if sol.exact else f"safe lower value of rank₊* ∈ [{sol.lower}, {sol.upper}]"
    status = (f"rank₊* = {sol.lower} ({note}, {sol.case} case); "
              f"φ(3, {b}) = {phi(3, b)} ≥ {sol.lower}")
    certificate = {"restricted_rank": sol.lower, "restricted_rank_upper": sol.upper,
                   "vertices": sol.vertices}
    return rank3_lower_bound("geometric", b, info, status, certificate, t0)


def rank3_lower_bound(method: str, b: int, info, status: str, certificate, t0: float) -> RankBound:
    """The RankBound for a bound b proved for every *rank-3* matrix with the computed
    restricted ranks: claimed for the stored values when their exact rank is 3, or when it is
    ≥ b (then rank₊ ≥ rank ≥ b holds for them anyway, and b is the bound of the rank-3 matrix
    they round); for 3 < exact rank < b no bound is claimed."""
    if info.exact != 3:
        if info.exact < b:
            return RankBound(method, "lower", float(b), None, False,
                             time.perf_counter() - t0,
                             Status(Kind.SKIPPED, f"not applicable: the stored values have rank "
                                    f"{info.exact} over Q, not 3, and fewer than the {b} this "
                                    f"would claim; {status}"), certificate)
        status += (f"; the stored values have rank {info.exact} ≥ {b} over Q (rounding "
                   "noise of a rank-3 matrix), so the bound holds for them")
    return RankBound(method, "lower", float(b), b, False, time.perf_counter() - t0,
                     status, certificate)
