"""Excluding rank₊ = rank: admissible rectangles and a set of entries no two of which share one.

The argument (issue 19, part 3; the parity form for UDISJ₃ is in an unrefereed 2026 note, the
general form is proved here). Let r = rank(X) over Q of the stored values and suppose
X = WH with W ≥ 0 (m×r), H ≥ 0 (r×n). Then col(X) ⊆ col(W) and dim col(W) ≤ r = dim col(X),
so col(W) = col(X); likewise row(H) = row(X). Every column w_k of W is a non-negative vector
of col(X), every row h_k of H one of row(X), and the term w_k h_kᵀ ≤ X has the support
I_k × J_k = supp(w_k) × supp(h_k) ⊆ supp(X).

*Admissible row sets.* Call I ⊆ [m] admissible when some w ∈ col(X), w ≥ 0, has supp(w) = I.
Let S be a row set. If z is a *left null vector* (zᵀX = 0) with z_S ≥ 0, then no admissible
I ⊆ S contains a row i ∈ S with z_i > 0: for its witness w, 0 = zᵀw = Σ_{k∈I} z_k w_k ≥ z_i w_i
> 0. (Conversely, by LP duality the union of the admissible subsets of S is exactly S minus
the positive support of a best such z — which is what the LP below looks for; the converse
is not needed for soundness.) Columns alike, with right null vectors (Xz = 0).

*Separated entries.* For positive entries e = (i, j), e' = (i', j') let S = {rows positive on
columns j and j'} and T = {columns positive on rows i and i'}. Any term whose support holds
both has I_k ⊆ S (it is ≤ X) with I_k admissible and i, i' ∈ I_k, and J_k ⊆ T likewise. So
if a left null vector z ≥ 0 on S has z_i > 0 or z_{i'} > 0 — or a right null vector does on T
for j or j' — no term holds both: e and e' are *separated*. (When X_{i j'} = 0, i ∉ S: the
fooling-set condition is the special case.)

*Conclusion.* Every positive entry lies in the support of some term, and no term holds two
pairwise separated entries. A clique F of the separation graph with |F| > r therefore
contradicts rank₊ = r: rank₊(X) ≥ r + 1. (Only r + 1 follows: the argument is by
contradiction with the equality.)

Exactness. r and both null spaces are exact (:mod:`nnmf_research.rational`, on the stored
values). A null vector that proves a separation is exact: with a one-dimensional null space
it is the basis vector (a sign test: for UDISJ₃, z_A = (−1)^|A|, a parity test); otherwise an
LP on the balanced copy proposes the support, the vector is rebuilt exactly in the null space
with the proposed zeros imposed, and it counts only after z_S ≥ 0 is checked in ``Fraction``.
An LP that fails, or a vector that fails the check, proves nothing: the pair is then treated
as possibly sharing a rectangle (the conservative side). :func:`check_rank_exclusion`
re-checks a certificate from X alone.

Applicability: the stored values must have exact rank equal to their rank above rounding
level (:mod:`.rank`); float data rounded from a low-rank matrix have full exact rank, and a
claim about that noise is not made. rank ≤ 2 or rank = min(m, n) give rank₊ = rank at once.

Result on UDISJ₃ ((1 − aᵀb)², a, b ∈ {0, 1}³; rank 7): a separated set of 9 entries, so
rank₊ = 8 = min(m, n). The project's reference notes record the published status as [7, 8]
(which table says so was not re-checked here); the value 8 rests on the argument above, not
on a refereed source. UDISJ₄ (rank 11) gets 12 here, below its rectangle cover number 13.

Example
-------
>>> from nnmf_research.datasets import udisj
>>> b = rank_exclusion_bound(udisj(3).X)
>>> b.bound, len(b.certificate["entries"])
(8, 9)
"""

from __future__ import annotations

import itertools
import time
from fractions import Fraction

import networkx as nx
import numpy as np
from scipy.optimize import linprog

from ..balance import balance
from ..checks import check_matrix
from ..rational import exact_rank, nullspace, stored_values
from ..results import RankBound
from ..status import Kind, Status
from .fooling_set import maximum_clique
from .rank import rank_info

__all__ = ["left_null_space", "killing_vector", "separation_graph", "check_rank_exclusion",
           "rank_exclusion_bound", "MAX_ENTRIES", "MAX_SIDE"]

MAX_ENTRIES = 400    # positive entries above which the pair scan is not attempted
MAX_SIDE = 64        # rows or columns above which exact null spaces are not attempted

Vector = list  # list[Fraction]


def left_null_space(Q: list[list[Fraction]]) -> list[Vector]:
    """Exact basis of {z : zᵀQ = 0} for a rational matrix Q (m×n)."""
    m = len(Q)
    return nullspace([list(col) for col in zip(*Q)], m)


def _combine(z: Vector, y: Vector, S: list[int]) -> Vector:
    """z + λy, λ > 0 small enough that z + λy stays ≥ 0 on S where z > 0 (z, y ≥ 0 elsewhere
    on S is the caller's invariant): the positive supports on S add up."""
    lam = min((z[i] / (2 * -y[i]) for i in S if z[i] > 0 and y[i] < 0), default=Fraction(1))
    return [a + lam * b for a, b in zip(z, y)]


def _lp_support(Bf: np.ndarray, S: list[int]) -> tuple[set[int], np.ndarray]:
    """(rows of S where some z = Bf c with z_S ≥ 0 can be positive, that z on S), from the
    LP max Σ_{i∈S} t_i s.t. 0 ≤ t_i ≤ 1, t_i ≤ z_i, z_S ≥ 0 (optimal z: ≥ 1 where positive)."""
    d, s = Bf.shape[1], len(S)
    B = Bf[S]
    c = np.r_[np.zeros(d), -np.ones(s)]
    A = np.block([[-B, np.zeros((s, s))], [-B, np.eye(s)]])      # z_S ≥ 0, t ≤ z_S
    res = linprog(c, A_ub=A, b_ub=np.zeros(2 * s),
                  bounds=[(None, None)] * d + [(0, 1)] * s, method="highs")
    if res.status != 0:
        return set(), np.zeros(s)
    z = B @ res.x[:d]
    return {S[a] for a in range(s) if z[a] > 0.5}, z


def _exact_on_support(N: list[Vector], S: list[int], support: set[int],
                      z_float: np.ndarray) -> Vector | None:
    """An exact vector of span(N), zero on S \\ support, fitted to the LP's ``z_float`` (its
    values on S); None when the zeros leave only the zero vector. The caller checks signs."""
    zeros = [i for i in S if i not in support]
    d, m = len(N), len(N[0])
    # coefficient vectors c with (Σ_k c_k N_k)_i = 0 on the zeros, exactly
    C = (nullspace([[N[k][i] for k in range(d)] for i in zeros], d) if zeros else
         [[Fraction(int(a == b)) for a in range(d)] for b in range(d)])
    if not C:
        return None
    basis = [[sum((c[k] * N[k][i] for k in range(d)), Fraction(0)) for i in range(m)]
             for c in C]
    Fb = np.array([[float(v) for v in b] for b in basis]).T       # m × d0
    coef, *_ = np.linalg.lstsq(Fb[S], z_float, rcond=None)
    a = [Fraction(float(v)).limit_denominator(10**12) for v in coef]
    return [sum((ak * b[i] for ak, b in zip(a, basis)), Fraction(0)) for i in range(m)]


def killing_vector(N: list[Vector], S: list[int], Bf: np.ndarray | None = None) -> Vector | None:
    """An exact vector z in span(N) with z_S ≥ 0 whose positive support on S is as large as
    found (module doc), or None when none with a positive entry on S was found. ``N`` is an
    exact null-space basis; ``Bf`` a float basis of the same space for the LP (the balanced
    copy's, where the numbers are well scaled)."""
    if not N or not S:
        return None
    if len(N) == 1:                     # exact sign test
        z = N[0]
        vals = [z[i] for i in S]
        if all(v >= 0 for v in vals) and any(v > 0 for v in vals):
            return list(z)
        if all(v <= 0 for v in vals) and any(v < 0 for v in vals):
            return [-v for v in z]
        return None
    if Bf is None:
        Bf = np.array([[float(v) for v in b] for b in N]).T
    best: Vector | None = None
    rest = list(S)
    for _ in range(len(S)):              # re-run on what is left: numerics can miss kills
        support, z_float = _lp_support(Bf, rest)
        if not support:
            break
        z = _exact_on_support(N, rest, support, z_float)
        if z is None or any(z[i] < 0 for i in rest) or not any(z[i] > 0 for i in rest):
            break
        best = z if best is None else _combine(best, z, S)
        rest = [i for i in rest if not z[i] > 0]
    if best is None or any(best[i] < 0 for i in S):
        return None
    return best


def _side(P: np.ndarray, N: list[Vector], Bf: np.ndarray | None, time_left):
    """kill(S) for row sets S = rows positive on a pair of columns, cached by S."""
    cache: dict[tuple[int, ...], tuple[frozenset, Vector | None]] = {}

    def killed(j: int, l: int) -> frozenset:
        S = tuple(np.flatnonzero(P[:, j] & P[:, l]).tolist())
        if S not in cache:
            z = killing_vector(N, list(S), Bf) if time_left() > 0 else None
            cache[S] = (frozenset(i for i in S if z is not None and z[i] > 0), z)
        return cache[S][0]

    return killed, cache


def separation_graph(X, left: list[Vector], right: list[Vector], Bl=None, Br=None,
                     time_left=lambda: 1.0):
    """(G, row certificates, column certificates): G on the positive entries, an edge when
    the two entries are separated (module doc); the certificates map each row set S (column
    set T) to its exact killing vector."""
    P = check_matrix(X) > 0
    rows_killed, row_cache = _side(P, left, Bl, time_left)
    cols_killed, col_cache = _side(P.T, right, Br, time_left)
    entries = [tuple(map(int, e)) for e in np.argwhere(P)]
    G = nx.Graph()
    G.add_nodes_from(entries)
    for (i, j), (k, l) in itertools.combinations(entries, 2):
        if not (P[i, l] and P[k, j]):
            G.add_edge((i, j), (k, l))            # no rectangle of supp(X) holds both
            continue
        kr = rows_killed(j, l)
        if i in kr or k in kr:
            G.add_edge((i, j), (k, l))
            continue
        kc = cols_killed(i, k)
        if j in kc or l in kc:
            G.add_edge((i, j), (k, l))
    certs = ({S: z for S, (_, z) in row_cache.items() if z is not None},
             {T: z for T, (_, z) in col_cache.items() if z is not None})
    return G, *certs


def _is_null(z: Vector, Q: list[list[Fraction]], side: str) -> bool:
    if side == "left":
        return all(sum((z[i] * Q[i][j] for i in range(len(Q))), Fraction(0)) == 0
                   for j in range(len(Q[0])))
    return all(sum((Q[i][j] * z[j] for j in range(len(Q[0]))), Fraction(0)) == 0
               for i in range(len(Q)))


def check_rank_exclusion(X, certificate: dict) -> tuple[bool, str]:
    """Re-check a rank-exclusion certificate from X alone, in exact arithmetic: the rank,
    every null vector (zᵀX = 0 or Xz = 0, non-negative on its set), every pair of the entry
    set separated by one of them, and more entries than the rank. Names the first failure."""
    X = check_matrix(X)
    P = X > 0
    Q = stored_values(X)
    r = exact_rank(Q)[0]
    F = [tuple(map(int, e)) for e in certificate["entries"]]
    if r != certificate["rank"]:
        return False, f"the stored values have rank {r}, the certificate says {certificate['rank']}"
    if len(F) <= r:
        return False, f"{len(F)} entries do not exceed the rank {r}"
    if any(not P[e] for e in F) or len(set(F)) != len(F):
        return False, "the entries are not distinct positive entries"
    vectors = {}
    for side, key in (("left", "rows"), ("right", "cols")):
        for S, z in certificate[key]:
            z = [Fraction(v) for v in z]
            if not _is_null(z, Q, side):
                return False, f"the vector for {key} {list(S)} is not a {side} null vector"
            if any(z[i] < 0 for i in S):
                return False, f"the vector for {key} {list(S)} is negative on its set"
            vectors[(key, tuple(S))] = {i for i in S if z[i] > 0}
    for (i, j), (k, l) in itertools.combinations(F, 2):
        if not (P[i, l] and P[k, j]):
            continue
        S = tuple(np.flatnonzero(P[:, j] & P[:, l]).tolist())
        T = tuple(np.flatnonzero(P[i] & P[k]).tolist())
        kr, kc = vectors.get(("rows", S), set()), vectors.get(("cols", T), set())
        if not ({i, k} & kr or {j, l} & kc):
            return False, f"entries {(i, j)} and {(k, l)} are not shown separated"
    return True, f"{len(F)} pairwise separated entries > rank {r}: rank₊ ≥ {r + 1}"


def rank_exclusion_bound(X, time_limit: float | None = None) -> RankBound:
    """rank₊(X) ≥ rank(X) + 1 when a set of more than rank(X) pairwise separated entries is
    found (module doc); otherwise the rank itself, with the reason. Certified: the
    certificate is re-checked exactly (:func:`check_rank_exclusion`)."""
    X = check_matrix(X)
    t0 = time.perf_counter()
    name = "rank_exclusion"

    def left():
        return float("inf") if time_limit is None else time_limit - (time.perf_counter() - t0)

    def no_bound(kind, detail):
        return RankBound.no_bound(name, "lower", kind, detail, time.perf_counter() - t0)

    P = X > 0
    if P.sum() > MAX_ENTRIES or max(X.shape) > MAX_SIDE:
        return no_bound(Kind.SKIPPED, f"skipped: more than {MAX_ENTRIES} positive entries or "
                        f"{MAX_SIDE} rows/columns")
    info = rank_info(X)
    r = info.exact
    if info.exact_is_lower_bound or info.rounding != info.exact:
        return no_bound(Kind.SKIPPED, f"not applicable: the stored values have rank {r} over Q "
                        f"but {info.rounding} above rounding level (the excess is noise)")

    def rank_only(why):
        return RankBound(name, "lower", float(r), r, True, time.perf_counter() - t0,
                         f"rank₊ = rank not excluded: {why}", {"rank": r})

    if r <= 2:
        return rank_only(f"rank {r} ≤ 2 gives rank₊ = rank (Cohen & Rothblum 1993)")
    if r == min(X.shape):
        return rank_only(f"rank {r} = min(m, n)")
    b = balance(X)
    Xs = b.X if b.exact else X
    Q = stored_values(Xs)
    left_basis, right_basis = left_null_space(Q), nullspace(Q, X.shape[1])
    floats = [np.linalg.qr(np.array([[float(v) for v in z] for z in N]).T)[0]
              for N in (left_basis, right_basis)]
    G, row_certs, col_certs = separation_graph(Xs, left_basis, right_basis, *floats,
                                               time_left=left)
    F, proved = maximum_clique(G, max(left(), 0.0) if time_limit is not None else None)
    # certificates for X itself: null vectors of D₁XD₂ scaled back by the powers of two
    rs, cs = (b.row_exp, b.col_exp) if b.exact else (np.zeros(X.shape[0], int),
                                                      np.zeros(X.shape[1], int))
    certificate = {
        "rank": r, "entries": F,
        "rows": [(list(S), [str(v * Fraction(2) ** int(e)) for v, e in zip(z, rs)])
                 for S, z in row_certs.items()],
        "cols": [(list(T), [str(v * Fraction(2) ** int(e)) for v, e in zip(z, cs)])
                 for T, z in col_certs.items()]}
    if len(F) <= r:
        how = "" if proved else " (clique search cut short by the time limit)"
        out = rank_only(f"the largest separated set found has {len(F)} ≤ {r} entries{how}")
        return out
    ok, why = check_rank_exclusion(X, certificate)
    if not ok:  # pragma: no cover - would be a bug above
        return no_bound(Kind.FAILED, f"failed: the certificate does not check: {why}")
    return RankBound(name, "lower", float(r + 1), r + 1, True, time.perf_counter() - t0,
                     Status(Kind.OK, f"rank₊ ≠ rank: {why} (certificate re-checked exactly)"),
                     certificate)
