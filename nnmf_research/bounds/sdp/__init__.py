"""Semidefinite lower bounds on the nonnegative rank: the nonnegative nuclear norm and τ₊^sos.

Both bounds solve a convex SDP numerically and then turn the number into an integer bound
only through a **verified dual certificate** (weak duality re-checked in numpy, see below), so a
numerical error can make the bound weaker but never larger than the SDP optimum.

Nonnegative nuclear norm (Fawzi & Parrilo 2015)
-----------------------------------------------
H. Fawzi and P. A. Parrilo, "Lower bounds on nonnegative rank via nonnegative nuclear norms",
Math. Program. 153 (2015). With ν₊(X) = min{Σ‖uᵢ‖‖vᵢ‖ : X = Σ uᵢvᵢᵀ, uᵢ, vᵢ ≥ 0}, Cauchy–Schwarz
gives ν₊(X) ≤ √rank₊(X)·‖X‖_F. Its doubly-nonnegative relaxation

    ν = min ½(tr Y + tr Z)  s.t.  B = [[Y, X], [Xᵀ, Z]] ⪰ 0,  B ≥ 0 entrywise

satisfies ν ≤ ν₊(X) (B = Σ [ũᵢ; ṽᵢ][ũᵢ; ṽᵢ]ᵀ with ũᵢ = uᵢ√(‖vᵢ‖/‖uᵢ‖), ṽᵢ = vᵢ√(‖uᵢ‖/‖vᵢ‖)),
hence (ν/‖X‖_F)² ≤ rank₊(X). Unlike τ₊ this bound is **not** invariant under positive diagonal
scaling of rows and columns (only under permutations, transposition and X → αX).

*Dual certificate.* For any Λ (m×n) and symmetric N ≥ 0, put G = [[0, Λ], [Λᵀ, 0]] and
R = ½I − ½G − N. If λ_min(R) ≥ −ε then every feasible B satisfies
½ tr B = ⟨R + N + ½G, B⟩ ≥ −ε tr B + ⟨Λ, X⟩, so ν ≥ ⟨Λ, X⟩ / (1 + 2ε). No bound on B is needed.

Self-scaled bound τ₊^sos (Fawzi & Parrilo 2016)
------------------------------------------------
H. Fawzi and P. A. Parrilo, "Self-scaled bounds for atomic cone ranks: applications to
nonnegative rank and cp-rank", Math. Program. 158 (2016). With x = vec(X) (column-major, index
i + j·m),

    τ₊^sos(X) = min t  s.t.  M = [[t, xᵀ], [x, Y]] ⪰ 0,
                             Y_(ij),(ij) ≤ X_ij²,
                             Y_(ij),(kl) = Y_(il),(kj)   (i < k, j < l),

and τ₊^sos(X) ≤ rank₊(X). It is invariant under row/column permutations and positive diagonal
scalings (Y → DYD with D = diag(d_i e_j) maps feasible points to feasible points).

*Exploited structure* (``exploit_structure=True``):

(a) zero entries: X_ij = 0 forces Y_(ij),(ij) ≤ 0, and with M ⪰ 0 the whole row and column of
    M at (ij) vanishes; those indices are dropped, and every Y entry that the equalities tie to
    a dropped index is fixed to 0. Only positions P = {(i,j) : X_ij > 0} remain.
(b) equalities: Y is parameterized by one variable per equivalence class
    {(ij),(kl)} ~ {(il),(kj)}, i.e. per "rectangle" (rows {i,k}, columns {j,l}); a class is free
    iff all its corners lie in P. M is an explicit sparse linear map of (t, y).
(c) solvers, all without a modeling layer: Clarabel's API (interior point; a nonnegative
    cone for the p diagonal inequalities and one PSD triangle cone of order p + 1) or SCS's
    API (first order, tolerance 1e-7). ``solver=None`` picks Clarabel up to PSD order 60 and
    SCS above (Clarabel's KKT system carries a dense block of size (p+1)(p+2)/2, ~2 s per
    iteration at p = 100), re-solving with Clarabel if SCS's certified bound could still
    rise by an integer. Other CVXPY solver names get the same vectorized map via CVXPY.
(d) cyclic symmetry (``symmetry="auto"``: circulant matrices such as regular-polygon slack
    matrices, or a given pair of permutations): an optimal Y may be taken invariant, so one
    variable per class orbit, and a real Fourier basis of the free Z_L action on P makes M
    block diagonal: blocks of order r + 1, 2r (0 < k < L/2) and r (k = L/2) for r orbits
    instead of one of order rL + 1. Clarabel often ends this reduced problem with
    "AlmostSolved" (~1e-4 accuracy); the certificate is still checked on the full problem,
    and a full solve (Clarabel, or SCS above order 60) follows when more accuracy could raise
    the integer bound or the certified value trails the primal one by more than 1e-4 (relative).

*Dual certificate.* Let S = [[s₀₀, sᵀ], [s, S₁₁]] be any symmetric matrix, ε ≥ max(0, −λ_min(S))
and S' = S + εI ⪰ 0. For every feasible (t, Y): 0 ≤ ⟨S', M⟩ = s'₀₀t + 2sᵀx + Σ_a S'_aa Y_aa +
Σ_c r_c y_c, where r_c is the sum of S'₁₁ over the (ordered) entries of the off-diagonal free
class c. Since 0 ≤ Y_aa ≤ x_a² and |y_c| ≤ √(Y_aa Y_bb) ≤ x_a x_b =: β_c,

    τ₊^sos ≥ −(2sᵀx + Σ_a max(S'_aa, 0) x_a² + Σ_c |r_c| β_c) / s'₀₀      (if s'₀₀ > 0).

The solver's dual matrix is plugged in; the bound is valid whatever its accuracy.

Rounding
--------
``bound = ceil(value − margin)``: with a verified certificate ``value`` is the certified dual
bound and ``margin = 1e-9·max(1, |value|)``. The check runs against the matrix whose bound is
claimed — 2^k X for the nuclear norm; for τ₊^sos its power-of-two balanced copy D₁XD₂ (exactly
that: only exponents change; τ₊^sos and rank₊ are
both invariant under positive diagonal scaling) — not against the X / max X the solvers see
(the dual is rescaled back); it is done in float64, with explicit allowances for
the eigenvalue error (10·n·u·‖S‖_F) and for the rounding of its sums subtracted from the value.
If a "solved" answer's certificate cannot be verified (s'₀₀ ≤ 0 or non-finite duals) the
primal value is used with ``margin = max(1e-6·max(1, |value|), 10·(gap + residuals))`` and
``certified=False``. Reduced-accuracy answers ("AlmostSolved", "optimal_inaccurate") give a
bound only through a verified certificate; failed or time-limited solves give ``bound=None``
and a status saying what happened.

Layout: :mod:`.model` (the models as data), :mod:`.solve` (four back-ends, one typed
:class:`SolveResult`), :mod:`.symmetry` (cyclic block diagonalization), :mod:`.rounding`
(certificates and safe rounding), :mod:`.tau_sos` and :mod:`.nuclear_norm` (the bounds).

Example
-------
>>> import numpy as np
>>> X = np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 1]])
>>> r = tau_sos_bound(X)
>>> r.bound, round(r.value, 3), r.certified
(4, 4.0, True)
>>> nuclear_norm_bound(X).bound
4
"""

from __future__ import annotations

from .model import NuclearModel, TauSosModel, smat, tau_sos_model, tau_sos_naive_model
from .nuclear_norm import nuclear_norm_bound
from .rounding import CERT_REL_MARGIN, UNCERT_REL_MARGIN, certify_nuclear_dual, certify_tau_sos_dual
from .solve import (SCS_EPS, SCS_MAX_ITERS, SolveResult, run_cvxpy, solve_clarabel_direct,
                    solve_cvxpy_structured, solve_scs_direct)
from .symmetry import (SYMMETRY_TOL, class_orbit_ids, find_cyclic_symmetry, fourier_blocks,
                       position_orbits, solve_clarabel_symmetric, symmetric_clarabel_data)
from .tau_sos import AUTO_CLARABEL_MAX_ORDER, FALLBACK_REL_GAP, MAX_PSD_ORDER, tau_sos_bound

__all__ = ["nuclear_norm_bound", "tau_sos_bound", "TauSosModel", "tau_sos_model",
           "certify_tau_sos_dual", "certify_nuclear_dual", "NuclearModel", "SolveResult",
           "find_cyclic_symmetry", "solve_clarabel_direct", "solve_cvxpy_structured",
           "solve_scs_direct", "run_cvxpy", "position_orbits", "class_orbit_ids",
           "fourier_blocks", "symmetric_clarabel_data", "solve_clarabel_symmetric", "smat",
           "tau_sos_naive_model", "CERT_REL_MARGIN", "UNCERT_REL_MARGIN", "SCS_EPS",
           "SCS_MAX_ITERS", "SYMMETRY_TOL", "MAX_PSD_ORDER", "AUTO_CLARABEL_MAX_ORDER",
           "FALLBACK_REL_GAP"]
