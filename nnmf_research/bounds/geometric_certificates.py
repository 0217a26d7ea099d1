"""Certificates of the two-sided geometric bound that a third party re-checks exactly.

:func:`.geometric_two_sided.geometric_two_sided_bound` computes ρ = rank₊*(X) and
ρᵀ = rank₊*(Xᵀ) with floating-point polygons. A certificate replaces both by lower values
ℓ ≤ ρ, ℓᵀ ≤ ρᵀ that are checked with nothing but exact rational arithmetic on the stored
values, and the bound it proves is ``two_sided_lower_bound(ℓ, ℓᵀ)`` (the count is monotone,
so smaller values only lower it). Two arguments, named in the record:

``"nested_polygons"`` — the stored values have rank exactly 3 (Bareiss over Q), and for the
columns (and likewise the rows, through Xᵀ) a *contact cycle* certifies ρ ≥ s:

* ``basis_rows`` R: three rows with X[R, :] of rank 3, so for columns a, b, c of X the sign
  of det X[R, (a, b, c)] is the orientation of the three points x_a/1ᵀx_a, … in the plane
  aff = col(X) ∩ {1ᵀx = 1} (the columns lie in a 3-space, so det X[R, ·] = det B_R ·
  det(coordinates), a fixed non-zero factor, and positive column scalings keep the sign);
* ``interior``: three columns whose points are affinely independent (det ≠ 0); their
  centroid c lies inside P = conv(points) ⊆ K for every polygon P ⊆ K ⊆ Q =
  col(X) ∩ {x ≥ 0, 1ᵀx = 1};
* ``cycle`` t₁, …, t_s: columns with a zero in a row of X that is not all zero — such a
  point lies on the line x_i = 0 of ∂Q, hence in P ∩ ∂Q ⊆ ∂K for every nested K — in
  strictly increasing angle around c over exactly one turn: every orientation (c, t_a,
  t_{a+1}) has the same sign, and exactly one step passes the direction of t₁;
* ``witnesses``, one per step t_a → t_{a+1}, showing that the half-open arc (t_a, t_{a+1}]
  of ∂K holds a vertex of K. If it held none, [t_a, t_{a+1}] would lie in one edge e of K
  and t_{a+1} would be inside e (not a vertex). Witness {"row": i}: X[i, t_{a+1}] = 0 <
  X[i, t_a]; the affine function x_i is ≥ 0 on e ⊆ Q and 0 at an interior point of e, so
  it vanishes on e, also at t_a: contradiction. Witness {"sides": [p, q]}: columns p, q
  strictly on the two sides of the line through t_a and t_{a+1}; both lie in K, which lies
  on one side of the line of its edge e: contradiction.

The s arcs are disjoint and go once around ∂K, so every nested K has ≥ s vertices: ρ ≥ s
(without a cycle ℓ = 3, the rank). A slack matrix of a polygon (every column on two lines of
∂Q) and the linear EDM (i − j)² (column j on the line x_j = 0 only) get s = n with row
witnesses.

``"exact_rank"`` — the stored values have rank ≥ b over Q: the listed b' × b' submatrix
(b' ≥ b) is non-singular (Bareiss), so rank₊ ≥ b holds for them directly. Float data rounded
from a rank-3 matrix (the cosines of a regular n-gon) have full exact rank; there
:func:`.nested_polygons.rank3_lower_bound` already claims the bound for the stored values on
this ground, and the certificate says so: it is then *not* a certificate of the geometry.

The record, ``geometric_proof.json``: ``format``, ``bound`` ("geometric_two_sided"),
``lower_bound`` b, ``shape``, ``x_sha256`` (names the matrix in messages only), ``argument``,
and the data above (``columns`` and ``rows`` hold a {basis_rows, interior, cycle, witnesses}
record each, or null for ℓ = 3). :func:`verify_geometric_proof` (``nnmf verify FILE DIR``)
re-checks every item from X and recomputes b; a record claiming more than its data prove is
rejected.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..checks import NMFInputError, check_matrix
from ..io import check_regular_file, save_json
from ..rational import exact_rank, stored_values

__all__ = ["GEOMETRIC_FORMAT", "GEOMETRIC_FILE", "contact_cycle", "check_contact_cycle",
           "geometric_certificate", "check_geometric_certificate", "write_geometric_proof",
           "verify_geometric_proof"]

GEOMETRIC_FORMAT = "nnmf_research geometric two-sided 1"
GEOMETRIC_FILE = "geometric_proof.json"
MAX_CYCLE_SEARCH = 80        # contact points above which only the full cycle is tried


def _det3(a, b, c) -> Fraction:
    return (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
            + a[2] * (b[0] * c[1] - b[1] * c[0]))


def _sign(v) -> int:
    return (v > 0) - (v < 0)


class _Plane:
    """Exact orientations of the columns of Q (rationals, m×n) in aff, through rows R."""

    def __init__(self, Q, R, interior):
        self.Q = Q
        self.R = list(R)
        self.cols = {}
        pts = [self.col(j) for j in interior]
        sums = [sum(Q[i][j] for i in range(len(Q))) for j in interior]
        self.c = [sum(p[r] / s for p, s in zip(pts, sums)) for r in range(3)]

    def col(self, j):
        if j not in self.cols:
            self.cols[j] = [self.Q[i][j] for i in self.R]
        return self.cols[j]

    def orient(self, a, b, c) -> int:
        pa = self.c if a is None else self.col(a)
        return _sign(_det3(pa, self.col(b), self.col(c)))


def _witness(Q, plane: _Plane, nonzero_rows, n_cols, u: int, v: int):
    """A witness for the step u → v (module doc), or None."""
    for i in nonzero_rows:
        if Q[i][v] == 0 and Q[i][u] > 0:
            return {"row": i}
    sides = {}
    for p in range(n_cols):
        s = plane.orient(u, v, p)
        if s and s not in sides:
            sides[s] = p
            if len(sides) == 2:
                return {"sides": [sides[1], sides[-1]]}
    return None


def _int_list(v, name: str) -> list[int]:
    if not isinstance(v, list) or not all(isinstance(x, int) and not isinstance(x, bool)
                                          for x in v):
        raise ValueError(f"{name} must be a list of integers")
    return v


def check_contact_cycle(Q, record) -> tuple[int, str]:
    """Check a contact-cycle record against the rationals Q (m×n, rank 3 checked by the
    caller) from scratch (module doc). Returns (s, message) when every item holds, where
    ρ ≥ s; raises ValueError naming the first item that fails."""
    if not isinstance(record, dict):
        raise ValueError("a contact cycle must be a record {basis_rows, interior, cycle, "
                         "witnesses}")
    m, n = len(Q), len(Q[0])
    R = _int_list(record.get("basis_rows"), "basis_rows")
    interior = _int_list(record.get("interior"), "interior")
    cycle = _int_list(record.get("cycle"), "cycle")
    witnesses = record.get("witnesses")
    if len(R) != 3 or len(set(R)) != 3 or not all(0 <= i < m for i in R):
        raise ValueError("basis_rows must be three distinct row indices")
    if len(interior) != 3 or not all(0 <= j < n for j in interior + cycle):
        raise ValueError("interior must be three column indices and the cycle columns "
                         "must lie in the matrix")
    if exact_rank([Q[i] for i in R])[0] != 3:
        raise ValueError(f"rows {R} do not have rank 3")
    if any(sum(Q[i][j] for i in range(m)) <= 0 for j in interior + cycle):
        raise ValueError("a listed column is zero")
    plane = _Plane(Q, R, interior)
    if _sign(_det3(*(plane.col(j) for j in interior))) == 0:
        raise ValueError(f"the interior columns {interior} are affinely dependent")
    s = len(cycle)
    if s < 3:
        raise ValueError("a contact cycle needs at least three columns")
    if not isinstance(witnesses, list) or len(witnesses) != s:
        raise ValueError(f"{s} cycle columns need {s} witnesses, one per step")
    nonzero_rows = [i for i in range(m) if any(Q[i])]
    for j in cycle:
        if not any(Q[i][j] == 0 for i in nonzero_rows):
            raise ValueError(f"column {j} has no zero in a non-zero row: not on ∂Q")
    turn = plane.orient(None, cycle[0], cycle[1])
    passes = 0
    for a in range(s):
        u, v = cycle[a], cycle[(a + 1) % s]
        if turn == 0 or plane.orient(None, u, v) != turn:
            raise ValueError(f"the step {u} -> {v} does not turn the way the cycle turns "
                             "around the interior point (angle not strictly increasing)")
        if plane.orient(None, u, cycle[0]) == turn and \
                plane.orient(None, cycle[0], v) in (turn, 0):
            passes += 1
    if passes != 1:
        raise ValueError(f"the cycle winds {passes} times around the interior point, not once")
    for a in range(s):
        u, v = cycle[a], cycle[(a + 1) % s]
        w = witnesses[a]
        if isinstance(w, dict) and set(w) == {"row"} and isinstance(w["row"], int):
            i = w["row"]
            if not (i in nonzero_rows and Q[i][v] == 0 and Q[i][u] > 0):
                raise ValueError(f"row witness {i} of step {u} -> {v} fails: needs "
                                 f"X[{i}, {v}] = 0 < X[{i}, {u}]")
        elif isinstance(w, dict) and set(w) == {"sides"}:
            pq = _int_list(w["sides"], "sides")
            if len(pq) != 2 or not all(0 <= p < n for p in pq) or \
                    plane.orient(u, v, pq[0]) * plane.orient(u, v, pq[1]) != -1:
                raise ValueError(f"side witness {pq} of step {u} -> {v} fails: the two "
                                 "columns must lie strictly on the two sides of the line")
        else:
            raise ValueError(f"witness {w!r} of step {u} -> {v} is neither "
                             "{'row': i} nor {'sides': [p, q]}")
    return s, f"a contact cycle of {s} columns, every step witnessed"


def _float_angles(X, cols, centre) -> np.ndarray:
    U, _, _ = np.linalg.svd(X, full_matrices=False)
    Y = X[:, cols] / X[:, cols].sum(axis=0)
    Z = U[:, :3].T @ Y
    zc = U[:, :3].T @ centre
    _, _, Vt = np.linalg.svd((Z - zc[:, None]).T)
    d = Vt[:2] @ (Z - zc[:, None])
    return np.arctan2(d[1], d[0])


def contact_cycle(X) -> dict | None:
    """A longest contact cycle of the columns of X (module doc) that
    :func:`check_contact_cycle` accepts, as a record; None when X has no three independent
    rows or fewer than three usable contact columns. Requires rank(X) = 3 over Q."""
    X = check_matrix(X)
    Q = stored_values(X)
    m, n = X.shape
    r, rows, cols = exact_rank(Q)
    if r != 3:
        return None
    R, interior = list(rows), list(cols)
    plane = _Plane(Q, R, interior)
    nonzero_rows = [i for i in range(m) if any(Q[i])]
    contacts = [j for j in range(n) if X[:, j].sum() > 0
                and any(Q[i][j] == 0 for i in nonzero_rows)]
    if len(contacts) < 3:
        return None
    sums = X[:, interior].sum(axis=0)
    centre = (X[:, interior] / sums).mean(axis=1)
    order = [contacts[k] for k in np.argsort(_float_angles(X, contacts, centre), kind="stable")]
    points = []                               # one column per point of ∂K (exact dedupe)
    for j in order:
        if points and plane.orient(None, points[-1], j) == 0 and \
                _same_ray(plane, points[-1], j):
            continue
        points.append(j)
    if len(points) > 1 and plane.orient(None, points[-1], points[0]) == 0 and \
            _same_ray(plane, points[-1], points[0]):
        points.pop()
    best = _longest_cycle(Q, plane, nonzero_rows, n, points)
    if best is None:
        return None
    cycle, witnesses = best
    record = {"basis_rows": R, "interior": interior, "cycle": cycle, "witnesses": witnesses}
    try:
        check_contact_cycle(Q, record)
    except ValueError:
        return None                           # float sorting misled us: claim nothing
    return record


def _same_ray(plane: _Plane, a: int, b: int) -> bool:
    """Columns a, b on one ray from the interior point (orientation 0 checked by the caller):
    the same point of ∂K."""
    ca, cb, c = plane.col(a), plane.col(b), plane.c
    sa = sum(plane.Q[i][a] for i in range(len(plane.Q)))
    sb = sum(plane.Q[i][b] for i in range(len(plane.Q)))
    da = [x / sa - y for x, y in zip(ca, c)]
    db = [x / sb - y for x, y in zip(cb, c)]
    return sum(x * y for x, y in zip(da, db)) > 0


def _longest_cycle(Q, plane, nonzero_rows, n_cols, points):
    """The full cycle when every step has a witness; otherwise the longest witnessed cycle
    through the angular order (dynamic programming over start points, ≤ MAX_CYCLE_SEARCH)."""
    s = len(points)

    def step(a, b):
        u, v = points[a % s], points[b % s]
        if plane.orient(None, u, v) != turn:
            return None
        return _witness(Q, plane, nonzero_rows, n_cols, u, v)

    turn = plane.orient(None, points[0], points[1]) if s > 1 else 0
    if turn == 0:
        return None
    full = [step(a, a + 1) for a in range(s)]
    if all(w is not None for w in full):
        return list(points), full
    if s > MAX_CYCLE_SEARCH:
        return None
    cache: dict = {}

    def edge(a, b):
        if (a, b) not in cache:
            cache[(a, b)] = step(a, b)
        return cache[(a, b)]

    best = None
    for a0 in range(s):
        length = {a0: (1, None)}
        for b in range(a0 + 1, a0 + s + 1):
            for a in range(a0, b):
                if a in length and (b < a0 + s or a != a0) and edge(a, b) is not None:
                    cand = length[a][0] + 1
                    if b not in length or cand > length[b][0]:
                        length[b] = (cand, a)
        if a0 + s in length and length[a0 + s][0] - 1 >= 3 and \
                (best is None or length[a0 + s][0] - 1 > len(best[0])):
            chain, b = [], a0 + s
            while b != a0:
                chain.append(b)
                b = length[b][1]
            chain = [a0] + chain[::-1][:-1]
            best = ([points[a % s] for a in chain],
                    [edge(chain[k], chain[k + 1] if k + 1 < len(chain) else a0 + s)
                     for k in range(len(chain))])
    return best


def geometric_certificate(X, bound: int) -> dict | None:
    """The record (module doc) that proves the two-sided bound ``bound`` for the stored
    values of X, checked here before it is returned; None when neither argument reaches it."""
    from .geometric_two_sided import two_sided_lower_bound
    from .cover_certificates import matrix_sha256

    X = check_matrix(X)
    Q = stored_values(X)
    r, rows, cols = exact_rank(Q)
    base = {"format": GEOMETRIC_FORMAT, "bound": "geometric_two_sided",
            "lower_bound": int(bound), "shape": list(X.shape), "x_sha256": matrix_sha256(X)}
    if r >= bound and r != 3:
        record = {**base, "argument": "exact_rank", "rows": list(rows), "cols": list(cols)}
    elif r == 3:
        record = {**base, "argument": "nested_polygons", "columns": contact_cycle(X),
                  "rows": contact_cycle(X.T)}
        ell = [3 if c is None else len(c["cycle"]) for c in (record["columns"], record["rows"])]
        if two_sided_lower_bound(*ell) < bound:
            return None
    else:
        return None
    ok, _, _ = check_geometric_certificate(X, record)
    return record if ok else None


def check_geometric_certificate(X, record) -> tuple[bool, int | None, str]:
    """Re-check a record against X from scratch. Returns (valid, the bound it proves, why)."""
    from .geometric_two_sided import two_sided_lower_bound
    from .cover_certificates import matrix_sha256

    X = check_matrix(X)
    if not isinstance(record, dict) or record.get("format") != GEOMETRIC_FORMAT:
        return False, None, f"not a geometric proof (expected format {GEOMETRIC_FORMAT!r})"
    claimed = record.get("lower_bound")
    if not isinstance(claimed, int) or isinstance(claimed, bool):
        return False, None, "lower_bound must be an integer"
    if list(record.get("shape", [])) != list(X.shape):
        return False, None, (f"the proof is for a {record.get('shape')} matrix, this one is "
                             f"{X.shape[0]}x{X.shape[1]}")
    if record.get("x_sha256") != matrix_sha256(X):
        return False, None, "the proof was written for another matrix (x_sha256 differs)"
    Q = stored_values(X)
    argument = record.get("argument")
    try:
        if argument == "exact_rank":
            rows = _int_list(record.get("rows"), "rows")
            cols = _int_list(record.get("cols"), "cols")
            if len(rows) != len(cols) or len(set(rows)) != len(rows) or \
                    len(set(cols)) != len(cols) or \
                    not all(0 <= i < X.shape[0] for i in rows) or \
                    not all(0 <= j < X.shape[1] for j in cols):
                raise ValueError("rows and cols must be equally many distinct indices")
            size = len(rows)
            if exact_rank([[Q[i][j] for j in cols] for i in rows])[0] != size:
                raise ValueError(f"the {size}x{size} submatrix is singular")
            proved, why = size, (f"a non-singular {size}x{size} submatrix: the stored "
                                 f"values have rank >= {size} (not the geometry)")
        elif argument == "nested_polygons":
            if exact_rank(Q)[0] != 3:
                raise ValueError("the stored values do not have rank 3 over Q")
            QT = [list(col) for col in zip(*Q)]
            ell, parts = [], []
            for side, M in (("columns", Q), ("rows", QT)):
                if record.get(side) is None:
                    ell.append(3)
                    parts.append(f"{side}: rank 3")
                    continue
                s, _ = check_contact_cycle(M, record[side])
                ell.append(s)
                parts.append(f"{side}: contact cycle of {s}")
            proved = two_sided_lower_bound(*ell)
            why = (f"rank 3 over Q; rank+*(X) >= {ell[0]}, rank+*(X^T) >= {ell[1]} "
                   f"({'; '.join(parts)}); two-sided count gives {proved}")
        else:
            raise ValueError(f"unknown argument {argument!r}")
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        return False, None, str(exc)
    if claimed > proved:
        return False, proved, f"claims {claimed}, the data prove only {proved}: {why}"
    return True, proved, why


def write_geometric_proof(directory, X, bound) -> Path:
    """Write the certificate of a certified ``geometric_two_sided`` RankBound (its
    ``certificate["proof"]``) as ``DIR/geometric_proof.json``."""
    record = bound.certificate.get("proof") if isinstance(bound.certificate, dict) else None
    if bound.method != "geometric_two_sided" or not bound.certified or record is None:
        raise NMFInputError(f"bound {bound.method!r} carries no checked geometric certificate")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / GEOMETRIC_FILE
    save_json(path, record)
    return path


def verify_geometric_proof(X, path) -> dict:
    """Re-check ``geometric_proof.json`` (or its folder) against X: {"valid", "claim",
    "reason"}."""
    path = Path(path)
    file = path / GEOMETRIC_FILE if path.is_dir() else path
    check_regular_file(file, "geometric proof")
    try:
        record = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        raise NMFInputError(f"could not read geometric proof {file}: {exc}") from None
    claimed = record.get("lower_bound") if isinstance(record, dict) else None
    ok, _, why = check_geometric_certificate(X, record)
    return {"valid": ok, "claim": f"rank+ >= {claimed} (geometric_two_sided)", "reason": why}
