"""The two-sided geometric bound for rank-3 matrices: Sylvester's inequality picks the side.

Gillis & Glineur's geometric bound (:func:`.nested_polygons.geometric_bound`) looks at one
factor. Applying the same count to whichever factor has the smaller rank gives more. The
argument is Sylvester's rank inequality plus the upper bound theorem, applied to both factors;
the project's reference notes cite it from recent unrefereed write-ups (2026), so every step
is written out and checked here.

Setting. X ≥ 0 (m×n) of rank 3. ρ = rank₊*(X), the least number of vertices of a polygon
nested between P = conv(normalized columns of X) and Q = col(X) ∩ {x ≥ 0, 1ᵀx = 1}
(:mod:`.nested_polygons`); ρᵀ = rank₊*(Xᵀ), the same for the rows. F(v, D) is the number of
facets of the cyclic polytope C(v, D), the most a D-polytope with at most v vertices can have
(McMullen's upper bound theorem; F(v, D) grows with v): F(v, 2a) = C(v−a, a) + C(v−a−1, a−1),
F(v, 2a+1) = 2·C(v−a−1, a).

Claim. If X = WH with W ≥ 0 (m×r), H ≥ 0 (r×n), then

    min(ρ, ρᵀ) ≤ G(r) := max(r, max_{4 ≤ k ≤ ⌊(r+3)/2⌋} F(r, k − 1))   and
    max(ρ, ρᵀ) ≤ φ(r)  := max(r, max_{4 ≤ k ≤ r} F(r, k − 1)),

so rank₊(X) ≥ min{r ≥ 3 : both hold} (both sides grow with r, so this is a threshold).

Proof.
1. (One factor, Gillis & Glineur 2012.) Let k = rank W. Drop zero columns of W and scale the
   others to sum 1 (moving the scales into H): w̃_1, …, w̃_v, v ≤ r. Every column x_j of X
   scaled to sum 1 is x_j = Σ_t (1ᵀw_t h_tj) w̃_t with the coefficients ≥ 0 summing to 1, so
   P ⊆ T := conv(w̃_1, …, w̃_v). T lies in the hyperplane 1ᵀx = 1 of col(W), a space of
   dimension k, so dim T ≤ k − 1 =: D, and T has at most v ≤ r vertices.
2. col(X) ⊆ col(W), so the plane L = col(X) ∩ {1ᵀx = 1} lies in aff(T)'s space, and
   K := T ∩ L satisfies P ⊆ K (P ⊆ T, P ⊆ L) and K ⊆ L ∩ R₊ᵐ = Q (T ⊆ R₊ᵐ).
3. T is the intersection of at most f_{D−1}(T) half-spaces of its affine hull (its facets),
   so the polygon K is cut out of L by at most that many half-planes and has at most
   f_{D−1}(T) ≤ F(v, D) ≤ F(r, k − 1) edges, hence vertices (D = 2: T itself is a polygon
   with ≤ r vertices). K is nested between P and Q, so ρ ≤ F(r, k − 1) (or ≤ r). [The
   one-sided bound of Gillis & Glineur also counts the (D−2)-faces, min(f_{D−2}, f_{D−1});
   for D ≥ 2 every facet has ≥ D ridges and every ridge lies in two facets, so
   f_{D−2} ≥ f_{D−1} and the minimum is the facet count used here.]
4. The same on Xᵀ = HᵀWᵀ: ρᵀ ≤ F(r, rank H − 1) (or ≤ r).
5. (Sylvester.) rank W + rank H ≤ r + rank(WH) = r + 3. If rank W > ⌊(r+3)/2⌋ then
   rank H ≤ r + 3 − ⌊(r+3)/2⌋ − 1 ≤ ⌊(r+3)/2⌋; so one factor has rank ≤ ⌊(r+3)/2⌋, and
   3 ≤ rank W, rank H ≤ r (col(X) ⊆ col(W), row(X) ⊆ row(H)).
6. By 3–5, the side whose factor has rank ≤ ⌊(r+3)/2⌋ gives ρ or ρᵀ ≤ G(r); the other side
   gives its value ≤ φ(r). Since G(r) ≤ φ(r), "ρ ≤ G and ρᵀ ≤ φ, or ρᵀ ≤ G and ρ ≤ φ" is
   the same as min(ρ, ρᵀ) ≤ G(r) and max(ρ, ρᵀ) ≤ φ(r). ∎

With k allowed up to r on both sides the bound is the one-sided geometric bound of Gillis &
Glineur, which reproduces VGG's geometric row (n-gons n = 6..21: 5 6 6 6 7 7 7 7 7 8 8 8 8 8 8
9; Vandaele, Gillis & Glineur, Linear Algebra Appl. 521 (2017), Table 1). Two-sided, the
regular 9-gon (ρ = ρᵀ = 9) gets 7: G(6) = F(6, 3) = 8 < 9 ≤ G(7) = F(7, 4) = 14; one-sided
6, since F(6, 4) = 9. The linear EDM of order 9 also gets 7.

Certificate. The bound is ``certified`` when :mod:`.geometric_certificates` finds lower
values of ρ and ρᵀ that exact rational arithmetic confirms (rank 3 over Q and contact
cycles) and that reach the same bound, or when the stored values have exact rank ≥ the
bound (then the status says the rank, not the geometry, proves it); ``certificate["proof"]``
holds the record that ``nnmf verify`` re-checks.

Soundness. ρ and ρᵀ are the safe (never too large) values of
:func:`.nested_polygons.restricted_nonnegative_rank`'s machinery on the balanced copies;
smaller values only make more r pass, so the bound can only drop. As for the one-sided bound,
it is claimed for the stored values when their exact rank is 3, or is ≥ the bound
(:func:`.nested_polygons.rank3_lower_bound`).

Example
-------
>>> from nnmf_research.datasets import ngon_slack
>>> two_sided_lower_bound(9, 9), geometric_two_sided_bound(ngon_slack(9).X).bound
(7, 7)
"""

from __future__ import annotations

import time
from dataclasses import replace

from ..checks import check_matrix
from ..results import RankBound
from .geometric_certificates import geometric_certificate
from .nested_polygons import phi, rank3_lower_bound, rank3_solution

__all__ = ["two_sided_phi", "two_sided_lower_bound", "geometric_two_sided_bound"]


def two_sided_phi(rp: int) -> int:
    """G(r') = φ(3, r') with the rank of the counted factor capped at ⌊(r' + 3)/2⌋."""
    return phi(3, rp, max_rank_w=(rp + 3) // 2)


def two_sided_lower_bound(rho: int, rho_t: int) -> int:
    """min {r ≥ 3 : min(ρ, ρᵀ) ≤ G(r) and max(ρ, ρᵀ) ≤ φ(3, r)} (module doc)."""
    low, high = sorted((int(rho), int(rho_t)))
    r = 3
    while not (low <= two_sided_phi(r) and high <= phi(3, r)):
        r += 1
    return r


def geometric_two_sided_bound(X) -> RankBound:
    """rank₊(X) ≥ two_sided_lower_bound(rank₊*(X), rank₊*(Xᵀ)) for rank(X) = 3 (module doc);
    rank ≤ 2: the exact rank; rank > 3: not applicable. Named ``geometric_two_sided``."""
    t0 = time.perf_counter()
    X = check_matrix(X)
    name = "geometric_two_sided"
    cols = rank3_solution(name, "lower", X, t0)
    if isinstance(cols, RankBound):
        return cols
    rows = rank3_solution(name, "lower", X.T, t0)
    if isinstance(rows, RankBound):
        return rows
    info, sol, sol_t = cols[0], cols[3], rows[3]
    b = two_sided_lower_bound(sol.lower, sol_t.lower)
    low = min(sol.lower, sol_t.lower)
    status = (f"rank₊*(X) = {sol.lower}, rank₊*(Xᵀ) = {sol_t.lower} (safe lower values); "
              f"G({b}) = {two_sided_phi(b)} ≥ {low}, φ(3, {b}) = {phi(3, b)} ≥ "
              f"{max(sol.lower, sol_t.lower)}"
              + (f"; G({b - 1}) = {two_sided_phi(b - 1)}, φ(3, {b - 1}) = {phi(3, b - 1)}"
                 if b > 3 else ""))
    certificate = {"restricted_rank": sol.lower, "restricted_rank_transposed": sol_t.lower,
                   "vertices": sol.vertices, "vertices_transposed": sol_t.vertices}
    out = rank3_lower_bound(name, b, info, status, certificate, t0)
    if out.bound is None:
        return out
    record = geometric_certificate(X, out.bound)
    if record is None:
        return replace(out, status=f"{out.status}; no exact certificate reaches {out.bound}")
    how = ("certified: rank 3 over Q and contact cycles, re-checked exactly"
           if record["argument"] == "nested_polygons" else
           "certified for the stored values by their exact rank (a non-singular "
           f"{len(record['rows'])}x{len(record['rows'])} submatrix), not by the geometry")
    return replace(out, certified=True, status=f"{out.status}; {how}",
                   certificate={**certificate, "proof": record},
                   seconds=time.perf_counter() - t0)
