"""The refined rectangle covering bound (RRCB) on the nonnegative rank.

Let X = Σ_{k=1}^r w_k h_kᵀ be an NMF. Term k is non-negative and ≤ X, so its support is a
rectangle R_k = supp(w_k) × supp(h_k) inside supp(X), and the R_k cover supp(X): that is the
rectangle covering bound (:mod:`.rectangle_cover`). The refinement (Oelze, Vandaele & Weltge,
arXiv 1406.4895, 2014; used by Vandaele, Gillis & Glineur 2017 for n-gons) looks at 2×2
submatrices: on rows {i, k} and columns {j, l} the block is
Σ_k (w_k restricted)(h_k restricted)ᵀ, and only the terms whose rectangle *meets* the block
(R_k ∩ ({i, k} × {j, l}) ≠ ∅) contribute. If a single term contributes the block has rank ≤ 1.
So every block with a non-zero determinant meets at least two of the r rectangles, counted
with multiplicity (two terms may have the same support):

    RRCB(X) = min Σ_R x_R   over rectangles R ⊆ supp(X), x_R ∈ Z≥0, such that
              Σ_{R ∋ e} x_R ≥ 1        for every positive entry e,
              Σ_{R meets B} x_R ≥ 2    for every 2×2 block B with det B ≠ 0,

and rank₊(X) ≥ RRCB(X). Reductions, each keeping the value:

* enlarging a rectangle keeps both kinds of constraint, so the R range over the *maximal*
  rectangles (the same enumeration as the rectangle cover);
* x_R ≤ 2 (a rectangle taken twice already meets every block it meets twice);
* only all-positive blocks are constraints: a block with a zero entry and det ≠ 0 has two
  positive entries on a diagonal that no rectangle inside supp(X) holds together, so any
  cover meets it twice;
* dropping a block constraint can only lower the optimum: a block is kept only when its
  determinant is certified non-zero, so every uncertain case errs on the safe side.

Which determinants count. All arithmetic is exact on the stored float64 values
(``float.as_integer_ratio``, Python integers). A block counts when |ad − bc| >
(2ε + ε²)(ad + bc) with ε = ``BLOCK_TOL`` = 1e-9, i.e. when its determinant is non-zero for the
stored values *and* for every matrix whose entries are within relative ε of them. Float data
rounded from a matrix with exactly singular blocks (the regular hexagon's cosines: blocks with
|det| ≈ 1e-16·(ad + bc)) would otherwise get a bound about the rounding noise — 6 for the
hexagon, whose rank₊ is 5 — above every numerical upper bound (those are proved for a matrix
within relative 1e-9 entrywise, :mod:`.entrywise`). With the margin the bound holds for the
stored values and for all those nearby matrices. The test is invariant under positive row
and column scaling (the ratio is), and the support is exact (a stored 1e-300 is positive).

Solving. A MILP (HiGHS, :func:`.rectangle_cover.solve_covering_milp`): its optimum rests on
HiGHS's branch-and-bound proof; on a time limit its dual bound (rounded up after a 1e-6
margin) is reported, or no bound. The LP relaxation's dual is re-checked exactly
(:func:`.rectangle_cover.solve_covering_lp`); the bound is marked ``certified`` when the
MILP optimum equals that certified LP bound (the hexagon), or — with ``proof=True`` — when a
SAT refutation of "one rectangle fewer" logs a DRUP proof that an independent checker accepts
(:mod:`.cover_proofs`); otherwise it is HiGHS's word only (the 9-gon: LP ≈ 5.4, MILP 7). :func:`check_refined_cover` re-checks a cover against the
definition, independently of the MILP matrices.

Symmetry. A circulant support (regular n-gons) makes the system invariant under the
dihedral group: row shift with column shift, and reflections. :func:`cover_symmetries`
keeps a candidate move only after checking exactly that it maps the support and the set of
counted blocks onto themselves; :func:`leader_constraints` then adds x_{t₀} ≥ x_t for each
orbit of a stabilizer chain (proof in its docstring: every cover size stays attainable), to
the MILP only. The 9-gon: group of order 18, 17 constraints, 64 s against 79 s without
(one run each, load 4–5).

Reference values (regular n-gons, Vandaele, Gillis & Glineur, Linear Algebra Appl. 521
(2017), Table 1): n = 6..13 give 5, 6, 6, 7, 7, 7, 7, 8. Measured here (2 shared cores):
n = 6, 7, 8 in 0.05, 0.2, 1.6 s; n = 9 (156 maximal rectangles, 405 blocks) ≈ 35 s.

Example
-------
>>> import numpy as np
>>> refined_rectangle_cover_bound(np.array([[1.0, 1.0], [1.0, 2.0]])).bound   # rc = 1
2
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.sparse as sp

from ..checks import check_matrix
from ..results import RankBound
from ..status import Kind, Status
from .entrywise import UPPER_BOUND_TOL
from .rectangle_cover import (Rectangle, cover_system, optimum_bound, solve_covering_lp,
                              solve_covering_milp)

__all__ = ["BLOCK_TOL", "Block", "BlockSet", "nonsingular_blocks", "block_incidence",
           "check_blocks", "refined_system", "check_refined_cover", "cover_symmetries",
           "symmetry_group", "leader_constraints", "refined_rectangle_cover_bound"]

BLOCK_TOL = UPPER_BOUND_TOL    # relative entry perturbation a counted determinant survives
MAX_INCIDENCES = 50_000_000    # blocks × rectangles above which the MILP is not built
MAX_GROUP = 10_000             # a symmetry group larger than this is not enumerated

Block = tuple[int, int, int, int]   # rows i < k, columns j < l


@dataclass(frozen=True)
class BlockSet:
    """The all-positive 2×2 blocks of X: ``blocks`` those whose determinant is robustly
    non-zero (module doc), ``candidates`` how many all-positive blocks there are,
    ``complete`` False when a time limit stopped the scan (the kept ones are still valid)."""

    blocks: list[Block]
    candidates: int
    complete: bool = True

    @property
    def dropped(self) -> int:
        return self.candidates - len(self.blocks)


def _robust_threshold(eps: float) -> Fraction:
    e = Fraction(eps)
    return 2 * e + e * e


def _robustly_nonsingular(pa, qa, pb, qb, pc, qc, pd, qd, thr: Fraction) -> bool:
    """|ad − bc| > thr·(ad + bc) for a = pa/qa, … (integers: a·d and b·c over the common
    denominator qa·qb·qc·qd)."""
    ad = pa * pd * qb * qc
    bc = pb * pc * qa * qd
    return abs(ad - bc) * thr.denominator > thr.numerator * (ad + bc)


def check_blocks(X, blocks, eps: float = BLOCK_TOL) -> tuple[bool, str]:
    """Check each listed block (i, k, j, l) from the definition: i < k, j < l inside X, all
    four entries positive and the determinant robustly non-zero (exactly, as
    :func:`nonsingular_blocks` decides it). Names the first block that fails."""
    X = check_matrix(X)
    m, n = X.shape
    thr = _robust_threshold(eps)
    for block in blocks:
        if len(block) != 4 or not all(isinstance(v, (int, np.integer)) for v in block):
            return False, f"block {block!r} is not four integer indices (i, k, j, l)"
        i, k, j, l = (int(v) for v in block)
        if not (0 <= i < k < m and 0 <= j < l < n):
            return False, f"block {block!r} is not rows i < k, columns j < l of a {m}x{n} matrix"
        a, b, c, d = X[i, j], X[i, l], X[k, j], X[k, l]
        if min(a, b, c, d) <= 0:
            return False, f"block {block!r} has a zero entry"
        ratios = [float(v).as_integer_ratio() for v in (a, b, c, d)]
        (pa, qa), (pb, qb), (pc, qc), (pd, qd) = ratios
        if not _robustly_nonsingular(pa, qa, pb, qb, pc, qc, pd, qd, thr):
            return False, (f"block {block!r}: its determinant is not robustly non-zero "
                           f"(relative {eps:g})")
    return True, f"{len(blocks)} blocks robustly non-singular"


def refined_system(X, rectangles: list[Rectangle], A: sp.spmatrix, blocks: list[Block]):
    """The covering system (M, rhs) of the RRCB: the entry rows of ``A`` (rhs 1) stacked on
    the block rows (rhs 2: every listed block met at least twice)."""
    B = block_incidence(blocks, rectangles, X.shape)
    M = sp.vstack([A, B]).tocsr()
    rhs = np.r_[np.ones(A.shape[0], dtype=np.int64), np.full(B.shape[0], 2, dtype=np.int64)]
    return M, rhs


def nonsingular_blocks(X, eps: float = BLOCK_TOL, time_limit: float | None = None) -> BlockSet:
    """All-positive 2×2 blocks (i, k, j, l) of X with |ad − bc| > (2ε + ε²)(ad + bc), decided
    in exact integer arithmetic on the stored values (module doc). A ``time_limit`` stops
    the scan early (``complete=False``): fewer blocks, still a valid bound."""
    X = check_matrix(X)
    P = X > 0
    m = X.shape[0]
    t0 = time.perf_counter()
    thr = _robust_threshold(eps)
    ratio = [[float(v).as_integer_ratio() for v in row] for row in X.tolist()]
    kept: list[Block] = []
    candidates = 0
    for i in range(m):
        for k in range(i + 1, m):
            cols = np.flatnonzero(P[i] & P[k]).tolist()
            ri, rk = ratio[i], ratio[k]
            for s, j in enumerate(cols):
                pa, qa = ri[j]
                pc, qc = rk[j]
                for l in cols[s + 1:]:
                    pb, qb = ri[l]
                    pd, qd = rk[l]
                    candidates += 1
                    if _robustly_nonsingular(pa, qa, pb, qb, pc, qc, pd, qd, thr):
                        kept.append((i, k, j, l))
            if time_limit is not None and time.perf_counter() - t0 > time_limit:
                return BlockSet(kept, candidates, complete=False)
    return BlockSet(kept, candidates)


def block_incidence(blocks: list[Block], rectangles: list[Rectangle],
                    shape: tuple[int, int]) -> sp.csr_matrix:
    """B[b, t] = 1 when rectangle t meets block b (shares a row and a column with it)."""
    m, n = shape
    K = len(rectangles)
    rows = np.zeros((m, K), dtype=bool)
    cols = np.zeros((n, K), dtype=bool)
    for t, (R, C) in enumerate(rectangles):
        rows[list(R), t] = True
        cols[list(C), t] = True
    if not blocks:
        return sp.csr_matrix((0, K))
    b = np.asarray(blocks)
    parts = []
    chunk = max(1, 2_000_000 // max(K, 1))
    for s in range(0, len(b), chunk):
        c = b[s:s + chunk]
        meets = (rows[c[:, 0]] | rows[c[:, 1]]) & (cols[c[:, 2]] | cols[c[:, 3]])
        parts.append(sp.csr_matrix(meets.astype(np.float64)))
    return sp.vstack(parts).tocsr()


def check_refined_cover(X, cover, eps: float = BLOCK_TOL) -> tuple[bool, str]:
    """Check from the definition that ``cover`` — (rows, cols, multiplicity) triples — is
    feasible for the RRCB of X: rectangles inside supp(X), every positive entry covered,
    every robustly non-singular all-positive block met at least twice. Name the first
    violation."""
    X = check_matrix(X)
    P = X > 0
    count = np.zeros(X.shape, dtype=np.int64)
    for R, C, mult in cover:
        R, C = list(R), list(C)
        if not R or not C or int(mult) < 1:
            return False, f"rectangle {R}x{C} with multiplicity {mult} is empty"
        if not P[np.ix_(R, C)].all():
            return False, f"rectangle {R}x{C} is not inside the support"
        count[np.ix_(R, C)] += int(mult)
    missed = np.argwhere(P & (count == 0))
    if len(missed):
        return False, f"positive entry {tuple(map(int, missed[0]))} is not covered"
    for i, k, j, l in nonsingular_blocks(X, eps).blocks:
        met = sum(int(mult) for R, C, mult in cover
                  if {i, k} & set(R) and {j, l} & set(C))
        if met < 2:
            return False, f"block rows {(i, k)} cols {(j, l)} is met {met} time(s), needs 2"
    return True, f"a refined cover with {sum(int(c[2]) for c in cover)} rectangles"


Permutation = tuple[tuple[int, ...], tuple[int, ...]]   # (σ on rows, τ on columns)


def _candidate_symmetries(shape: tuple[int, int]) -> list[Permutation]:
    """The dihedral moves a circulant or Toeplitz support may have: the simultaneous cyclic
    shift (square matrices), the simultaneous reversal, and the reflections i → −i,
    j → c − j (mod n) for every c. Each is only a candidate until :func:`cover_symmetries`
    verifies it."""
    m, n = shape
    out = [(tuple(range(m - 1, -1, -1)), tuple(range(n - 1, -1, -1)))]
    if m == n:
        out.append((tuple((i + 1) % m for i in range(m)), tuple((j + 1) % n for j in range(n))))
        out += [(tuple((-i) % m for i in range(m)), tuple((c - j) % n for j in range(n)))
                for c in range(n)]
    return out


def cover_symmetries(X, rectangles: list[Rectangle], blocks: list[Block],
                     candidates: list[Permutation] | None = None) -> list[tuple[int, ...]]:
    """The candidates (σ, τ) (default: the dihedral moves of :func:`_candidate_symmetries`)
    that map the covering system of the RRCB onto itself, each as a permutation g of the
    rectangle indices (g[t] = index of (σ(R_t), τ(C_t))).

    A candidate is kept only when, checked exactly, it maps supp(X) onto itself (so it
    permutes the positive entries and the maximal rectangles) and the set of counted blocks
    onto itself (block (i, k, j, l) to the sorted (σi, σk, τj, τl)); then x ↦ x∘g maps
    feasible covers to feasible covers of the same size, which is all
    :func:`leader_constraints` needs. A block set that is not symmetric (values that break
    the support's symmetry, rounding) rejects the candidate; that costs speed, never
    soundness."""
    P = check_matrix(X) > 0
    m, n = P.shape
    index = {R: t for t, R in enumerate(rectangles)}
    block_set = set(blocks)
    kept = []
    for sigma, tau in candidates if candidates is not None else _candidate_symmetries((m, n)):
        if sorted(sigma) != list(range(m)) or sorted(tau) != list(range(n)):
            continue
        if not np.array_equal(P[np.ix_(np.argsort(sigma), np.argsort(tau))], P):
            continue                                   # P[σi, τj] must equal P[i, j]
        image = [index.get((tuple(sorted(sigma[i] for i in R)),
                            tuple(sorted(tau[j] for j in C)))) for R, C in rectangles]
        if None in image:
            continue
        mapped = {(*sorted((sigma[i], sigma[k])), *sorted((tau[j], tau[l])))
                  for i, k, j, l in blocks}
        if mapped != block_set:
            continue
        g = tuple(image)
        if g != tuple(range(len(rectangles))):
            kept.append(g)
    return kept


def symmetry_group(generators: list[tuple[int, ...]],
                   limit: int = MAX_GROUP) -> list[tuple[int, ...]] | None:
    """All elements of the permutation group the generators generate (closure under
    composition), identity first; None when it has more than ``limit`` elements."""
    if not generators:
        return []
    identity = tuple(range(len(generators[0])))
    group, frontier = {identity}, [identity]
    while frontier:
        new = []
        for h in frontier:
            for g in generators:
                gh = tuple(g[t] for t in h)
                if gh not in group:
                    group.add(gh)
                    new.append(gh)
                    if len(group) > limit:
                        return None
        frontier = new
    return [identity] + sorted(group - {identity})


def leader_constraints(group: list[tuple[int, ...]]) -> list[tuple[int, int]]:
    """Pairs (t₀, t) meaning x_{t₀} ≥ x_t: an orbit leader is a largest entry of its orbit,
    along a stabilizer chain. Adding them keeps the RRCB's optimum.

    Proof. Let F be the feasible covers, mapped onto themselves by every g of the group G
    ((x∘g)_t = x_{g[t]}; :func:`cover_symmetries`), with the size Σ x_t kept. Take an orbit
    O of G and t₀ ∈ O. For x ∈ F let g ∈ G map t₀ to an index where x is largest on O; then
    y = x∘g ∈ F has the same size and y_{t₀} = max_O x = max_O y (G maps O onto O). So
    F ∩ {x_{t₀} ≥ x_t, t ∈ O} contains a cover of every size F has, and it is mapped onto
    itself by the stabilizer G₁ = {g : g[t₀] = t₀} (such g keep x_{t₀} and max_O x). Repeat
    with G₁ and one of its orbits, and so on until the group is trivial or fixes every
    index. The leader of each step is the smallest index of a largest orbit."""
    pairs: list[tuple[int, int]] = []
    G = list(group)
    while len(G) > 1:
        orbits: dict[int, set[int]] = {}
        seen: set[int] = set()
        for t in range(len(G[0])):
            if t not in seen:
                orbit = {g[t] for g in G}
                seen |= orbit
                orbits[t] = orbit
        t0, orbit = max(orbits.items(), key=lambda kv: (len(kv[1]), -kv[0]))
        if len(orbit) == 1:
            break
        pairs += [(t0, t) for t in sorted(orbit - {t0})]
        G = [g for g in G if g[t0] == t0]
    return pairs


def _leader_rows(pairs: list[tuple[int, int]], K: int):
    """The rows x_{t₀} − x_t ≥ 0 as a sparse matrix (for the MILP only)."""
    if not pairs:
        return None
    r = np.repeat(np.arange(len(pairs)), 2)
    c = np.array([v for pair in pairs for v in pair])
    vals = np.tile([1.0, -1.0], len(pairs))
    return sp.csr_matrix((vals, (r, c)), shape=(len(pairs), K))


def refined_rectangle_cover_bound(X, time_limit: float | None = None,
                                  proof: bool = False, symmetry: bool = True,
                                  symmetric_proof: bool = False) -> RankBound:
    """rank₊(X) ≥ RRCB(X) (module doc): a MILP over the maximal rectangles of supp(X) with
    one constraint per positive entry and per robustly non-singular all-positive 2×2 block.

    Returns a RankBound named ``refined_rectangle_cover``: the optimum (certified when it
    equals the exactly re-checked LP bound, or with ``proof=True`` when a DRUP proof that one
    rectangle fewer cannot do checks, :mod:`.cover_proofs`), or on a time limit HiGHS's dual
    bound (status kind TIME_LIMIT), or no bound (time limit before the model was built,
    failure). ``symmetry`` adds the leader constraints of the verified dihedral symmetries
    of the system to the MILP (:func:`leader_constraints`: same optimum, smaller search);
    the LP check uses the plain system, and so does the SAT proof unless
    ``symmetric_proof`` adds the leader constraints to its formula too (off by default:
    measured, they made CaDiCaL slower and the proofs longer — the 9-gon's refutation of 6
    took 143 s and 609 053 lines with them, 123 s and 491 660 lines without, at load 7–8)."""
    X = check_matrix(X)
    t0 = time.perf_counter()
    name = "refined_rectangle_cover"

    def left():
        return None if time_limit is None else time_limit - (time.perf_counter() - t0)

    system = cover_system(X, name, time_limit, t0)
    if isinstance(system, RankBound):
        return system
    rects, A, entries = system
    found = nonsingular_blocks(X, time_limit=left())
    if len(found.blocks) * len(rects) > MAX_INCIDENCES:
        return RankBound.no_bound(name, "lower", Kind.SKIPPED,
                                  f"skipped: {len(found.blocks)} blocks × {len(rects)} "
                                  f"rectangles exceed {MAX_INCIDENCES} incidences",
                                  time.perf_counter() - t0)
    M, rhs = refined_system(X, rects, A, found.blocks)
    if time_limit is not None and left() <= 0:
        return RankBound.no_bound(name, "lower", Kind.TIME_LIMIT,
                                  f"time limit {time_limit:g} s reached while building the "
                                  "model", time.perf_counter() - t0)
    what = (f"{len(rects)} maximal rectangles, {len(found.blocks)} non-singular 2x2 blocks"
            + (f", {found.dropped} all-positive blocks dropped (determinant zero or within "
               f"relative {BLOCK_TOL:g} perturbations of zero)" if found.dropped else "")
            + ("" if found.complete else "; block scan cut short by the time limit"))
    extra, pairs = None, []
    if symmetry or symmetric_proof:
        group = symmetry_group(cover_symmetries(X, rects, found.blocks))
        pairs = leader_constraints(group) if group else []
        extra = _leader_rows(pairs, len(rects)) if symmetry else None
        used = " and ".join(w for w, on in (("MILP", symmetry), ("SAT proof", symmetric_proof))
                            if on)
        what += (f"; symmetry: group of order {len(group)}, {len(pairs)} leader constraints "
                 f"({used})"
                 if group else "; symmetry: none verified" if group is not None
                 else f"; symmetry: group above {MAX_GROUP} elements, not used")
    out = solve_covering_milp(M, rhs, 2, left(), extra)
    seconds = time.perf_counter() - t0
    if out.kind is Kind.OK:
        lp = solve_covering_lp(M, rhs)
        certified = lp.bound is not None and lp.bound == out.bound
        cover = [[list(rects[t][0]), list(rects[t][1]), int(out.x[t])]
                 for t in np.flatnonzero(out.x)]
        certificate = {"cover": cover, "blocks": len(found.blocks),
                       "block_list": [list(b) for b in found.blocks],
                       "dropped_blocks": found.dropped, "lp_certified_value": str(lp.certified)}
        status = f"optimal (MILP over {what})"
        if certified:
            status += "; equals the certified LP bound"
        elif not proof:
            status += f"; LP relaxation {lp.value:.4g}: the optimum rests on HiGHS's proof"
        return optimum_bound(name, out, (M, rhs, 2), certified, status, certificate, proof,
                             left(), t0, leaders=pairs if symmetric_proof else ())
    if out.bound is not None:
        return RankBound(name, "lower", out.value, out.bound, False, seconds,
                         Status(Kind.TIME_LIMIT, f"{out.detail} ({what}; the refined cover "
                                "number itself is not known)"))
    return RankBound.no_bound(name, "lower", out.kind, f"{out.detail} ({what})", seconds)
