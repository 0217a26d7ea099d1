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

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..checks import NMFInputError, check_matrix, check_nonnegative_real, check_solver
from ..results import RankBound
from ..status import Kind, Status, solver_outcome

__all__ = ["nuclear_norm_bound", "tau_sos_bound", "TauSosModel", "tau_sos_model",
           "certify_tau_sos_dual", "certify_nuclear_dual"]

_SQRT2 = math.sqrt(2.0)
CERT_REL_MARGIN = 1e-9
UNCERT_REL_MARGIN = 1e-6
SCS_EPS = 1e-7           # SCS tolerances for τ₊^sos (its dual then certifies to ~1e-5)
SCS_MAX_ITERS = 20_000    # ~20 s at PSD order 101; the verified dual bound does not need more
MAX_PSD_ORDER = 300             # τ₊^sos above this PSD order is refused (dense 10×10: 101)
AUTO_CLARABEL_MAX_ORDER = 60   # solver=None: interior point up to this PSD order, else SCS
FALLBACK_REL_GAP = 1e-4        # a fast solve whose certificate trails its primal more: redo


# --------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------

def _checked_inputs(X, solver, time_limit):
    """X as a checked non-negative matrix, the solver name checked, the time limit ≥ 0."""
    return (check_matrix(X), check_solver(solver),
            check_nonnegative_real(time_limit, "time_limit", allow_none=True))


def _round_lower(value: float, margin: float) -> int:
    """The integer lower bound ⌈value − margin⌉ (never negative)."""
    return max(0, int(math.ceil(value - margin)))


def _uncertified_margin(value: float, inaccuracy: float) -> float:
    """max(1e-6·max(1, |value|), 10·inaccuracy): the margin for an unverified SDP value."""
    return max(UNCERT_REL_MARGIN * max(1.0, abs(value)), 10.0 * max(0.0, inaccuracy))


def _eig_shift(S: np.ndarray) -> float:
    """ε ≥ max(0, −λ_min(S)) including a backward-error allowance for ``eigvalsh``
    (n·u·‖S‖_F with u the unit round-off, times a safety factor 10)."""
    S = 0.5 * (S + S.T)
    lam = float(np.linalg.eigvalsh(S)[0])
    slack = 10.0 * S.shape[0] * np.finfo(float).eps * float(np.linalg.norm(S))
    return max(0.0, -lam) + slack


def _failed(method: str, status: str, seconds: float, certificate=None,
            kind: Kind = Kind.FAILED) -> RankBound:
    return RankBound.no_bound(method, "lower", kind, status, seconds, certificate)


def _time_limit_status(time_limit: float | None) -> str:
    return f"time limit {time_limit:g} s reached" if time_limit is not None else "time limit"


# --------------------------------------------------------------------------------------
# τ₊^sos: structured model
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TauSosModel:
    """The structured τ₊^sos model for a matrix with positive entries at ``positions``.

    ``x`` holds the positive entries (column-major order of the positions), ``pairs_a/b`` the
    upper-triangle index pairs a ≤ b of Y over P whose class is free, ``pair_class`` their
    class id (0..n_classes−1), ``diag_class[a]`` the class of Y_aa. The decision vector is
    z = (t, y_0, …, y_{n_classes−1})."""

    shape: tuple[int, int]
    positions: np.ndarray        # (p, 2) row, column of each kept index
    x: np.ndarray                # (p,) the entries X_ij > 0
    pairs_a: np.ndarray
    pairs_b: np.ndarray
    pair_class: np.ndarray
    diag_class: np.ndarray
    n_classes: int

    @property
    def p(self) -> int:
        return int(self.x.size)

    @property
    def order(self) -> int:
        """Order of the PSD matrix M (p + 1)."""
        return self.p + 1


def tau_sos_model(X: np.ndarray, exploit_zeros: bool = True) -> TauSosModel:
    """Build the class parameterization of Y (vectorized, no Python loop over entries).

    Pairs a ≤ b of kept indices with a = (i, j), b = (k, l) fall in the class keyed by
    (min(i,k), max(i,k), min(j,l), max(j,l)); the class is free iff X_il > 0 and X_kj > 0
    (a and b are kept, so all four corners are then in P), otherwise its value is forced to 0.
    With ``exploit_zeros=False`` every index is kept (zero entries give classes whose
    diagonal is ≤ 0, which the SDP itself forces to 0)."""
    m, n = X.shape
    cols, rows = np.meshgrid(np.arange(n), np.arange(m))      # column-major order below
    rows, cols = rows.T.ravel(), cols.T.ravel()
    keep = X[rows, cols] > 0 if exploit_zeros else np.ones(rows.size, dtype=bool)
    rows, cols = rows[keep], cols[keep]
    x = X[rows, cols]
    p = x.size
    a, b = np.triu_indices(p)
    i, j, k, l = rows[a], cols[a], rows[b], cols[b]
    if exploit_zeros:
        free = (X[i, l] > 0) & (X[k, j] > 0)
    else:
        free = np.ones(a.size, dtype=bool)
    a, b, i, j, k, l = a[free], b[free], i[free], j[free], k[free], l[free]
    r1, r2 = np.minimum(i, k), np.maximum(i, k)
    c1, c2 = np.minimum(j, l), np.maximum(j, l)
    key = ((r1 * m + r2) * n + c1) * n + c2
    _, pair_class = np.unique(key, return_inverse=True)
    pair_class = pair_class.ravel()
    n_classes = int(pair_class.max()) + 1 if pair_class.size else 0
    diag_class = np.empty(p, dtype=np.int64)
    on_diag = a == b
    diag_class[a[on_diag]] = pair_class[on_diag]
    return TauSosModel((m, n), np.c_[rows, cols], x, a, b, pair_class, diag_class, n_classes)


def _svec_index(r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Position of entry (r, c), r ≤ c, in the column-major upper triangle (Clarabel's
    PSDTriangleConeT ordering): c(c+1)/2 + r."""
    return c * (c + 1) // 2 + r


def _clarabel_data(model: TauSosModel):
    """Clarabel standard form min qᵀz s.t. Az + s = b, s ∈ K for z = (t, y).

    K = R₊^p × S₊^{p+1} (scaled upper triangle, off-diagonals ×√2):
    rows 0..p−1:  s = x_a² − y_{diag_class(a)} ≥ 0;
    rows p..:     s = svec(M(t, y)) with M = [[t, xᵀ], [x, Y(y)]]."""
    p, nv = model.p, 1 + model.n_classes
    # nonnegative block
    rows_nn = np.arange(p)
    cols_nn = 1 + model.diag_class
    vals_nn = np.ones(p)
    # PSD block: t at (0,0), Y entries at (1+a, 1+b)
    ia, ib = model.pairs_a, model.pairs_b
    sidx = _svec_index(1 + ia, 1 + ib)
    coef = np.where(ia == ib, 1.0, _SQRT2)
    rows_psd = p + np.r_[0, sidx]
    cols_psd = np.r_[0, 1 + model.pair_class]
    vals_psd = -np.r_[1.0, coef]
    A = sp.csc_matrix((np.r_[vals_nn, vals_psd], (np.r_[rows_nn, rows_psd],
                                                    np.r_[cols_nn, cols_psd])),
                      shape=(p + (p + 1) * (p + 2) // 2, nv))
    b = np.zeros(A.shape[0])
    b[:p] = model.x ** 2
    b[p + _svec_index(np.zeros(p, dtype=np.int64), 1 + np.arange(p))] = _SQRT2 * model.x
    q = np.zeros(nv)
    q[0] = 1.0
    return q, A, b


def _smat(v: np.ndarray, order: int) -> np.ndarray:
    """Inverse of the scaled upper-triangle vectorization (off-diagonals divided by √2)."""
    r, c = np.triu_indices(order)                       # row-major over the upper triangle
    idx = _svec_index(r, c)
    S = np.zeros((order, order))
    vals = v[idx] / np.where(r == c, 1.0, _SQRT2)
    S[r, c] = vals
    S[c, r] = vals
    return S


def certify_tau_sos_dual(model: TauSosModel, S: np.ndarray) -> tuple[float | None, dict]:
    """A rigorous lower bound on the (reduced, hence full) τ₊^sos from any symmetric S of
    order p + 1 (module docstring): −(2sᵀx + Σ max(S'_aa,0)x_a² + Σ_c |r_c|β_c)/s'₀₀ with
    S' = S + εI. Returns (bound or None, diagnostics)."""
    S = 0.5 * (S + S.T)
    if not np.all(np.isfinite(S)):
        return None, {"reason": "non-finite dual"}
    eps = _eig_shift(S)
    x = model.x
    s00 = S[0, 0] + eps
    s = S[0, 1:]
    S11 = S[1:, 1:]
    diag = np.maximum(np.diag(S11) + eps, 0.0)
    off = model.pairs_a != model.pairs_b
    a, b = model.pairs_a[off], model.pairs_b[off]
    r = np.bincount(model.pair_class[off], weights=2.0 * S11[a, b], minlength=model.n_classes)
    beta = np.zeros(model.n_classes)
    np.maximum.at(beta, model.pair_class[off], x[a] * x[b])
    residual = float(np.abs(r) @ beta)
    info = {"eig_shift": eps, "s00": float(s00), "class_residual": residual}
    if not s00 > 0:
        info["reason"] = "s00 <= 0"
        return None, info
    D = 2.0 * float(s @ x) + float(diag @ x ** 2) + residual
    # rounding in the sums above: ≤ (p + 2)·u·Σ|terms| (u = unit round-off), ×4 for safety
    u = np.finfo(float).eps
    rounding = 4 * (x.size + 2) * u * (2.0 * float(np.abs(s) @ x) + float(diag @ x ** 2)
                                       + residual)
    value = -D / s00
    value -= rounding / s00 + 4 * u * abs(value)
    info["rounding_allowance"] = rounding / s00
    return value, info


def _clarabel_solve(q, A, b, cones, time_limit: float | None):
    """Run Clarabel's API on min qᵀx s.t. Ax + s = b, s ∈ cones; returns (solution, the
    result dict every route returns, without its dual "S")."""
    import clarabel

    settings = clarabel.DefaultSettings()
    settings.verbose = False
    if time_limit is not None:
        settings.time_limit = float(time_limit)
    sol = clarabel.DefaultSolver(sp.csc_matrix((q.size, q.size)), q, A, b, cones,
                                 settings).solve()
    x = np.asarray(sol.x)
    return sol, {"status": str(sol.status).split(".")[-1], "primal": float(sol.obj_val),
                 "dual": float(sol.obj_val_dual), "r_prim": float(sol.r_prim),
                 "r_dual": float(sol.r_dual), "iterations": int(sol.iterations),
                 "solve_time": float(sol.solve_time),
                 "t": float(x[0]) if x.size else float("nan")}


def _solve_clarabel_direct(model: TauSosModel, time_limit: float | None):
    """Solve the structured model with Clarabel's Python API; returns a dict."""
    import clarabel

    q, A, b = _clarabel_data(model)
    cones = [clarabel.NonnegativeConeT(model.p), clarabel.PSDTriangleConeT(model.order)]
    sol, res = _clarabel_solve(q, A, b, cones, time_limit)
    z = np.asarray(sol.z)
    res["S"] = _smat(z[model.p:], model.order) if z.size == A.shape[0] else None
    return res


# --------------------------------------------------------------------------------------
# τ₊^sos: cyclic symmetry reduction (block diagonalization)
# --------------------------------------------------------------------------------------

SYMMETRY_TOL = 1e-12


def find_cyclic_symmetry(X: np.ndarray, symmetry="auto"):
    """A pair of permutations (σ, π) with X[σ(i), π(j)] = X[i, j], or None.

    ``"auto"`` tries the simultaneous shift i → i+1, j → j+1 of a square matrix (circulant
    matrices, e.g. regular-polygon slack matrices); a given pair is checked. The zero pattern
    must be exactly invariant and the values up to 1e-12·max X (the solve uses the group
    average of X; the certificate is checked against X itself, so this tolerance cannot
    affect soundness)."""
    if symmetry is None or symmetry == "none":
        return None
    m, n = X.shape
    if isinstance(symmetry, str):
        if symmetry != "auto":
            raise NMFInputError(f"symmetry={symmetry!r} must be 'auto', 'none' (or None) or "
                                "(row_perm, col_perm)")
        if m != n or m < 3:
            return None
        sigma = pi = np.roll(np.arange(m), -1)
        explicit = False
    else:
        sigma, pi = (np.asarray(s, dtype=np.int64) for s in symmetry)
        if sorted(sigma.tolist()) != list(range(m)) or sorted(pi.tolist()) != list(range(n)):
            raise NMFInputError("symmetry must be a pair (row_perm, col_perm) of permutations "
                                f"of range({m}) and range({n})")
        explicit = True
    Y = X[np.ix_(sigma, pi)]
    ok = np.array_equal(Y > 0, X > 0) and np.abs(Y - X).max() <= SYMMETRY_TOL * X.max()
    if not ok and explicit:
        raise NMFInputError("symmetry does not map X to itself: X[row_perm][:, col_perm] != X")
    return (sigma, pi) if ok else None


def _position_orbits(model: TauSosModel, sigma, pi):
    """The permutation g of the kept positions, its order L and its orbits (each of length L,
    listed as a, g a, g² a, …), or None when g does not act freely on P."""
    m, n = model.shape
    grid = -np.ones((m, n), dtype=np.int64)
    rows, cols = model.positions[:, 0], model.positions[:, 1]
    grid[rows, cols] = np.arange(model.p)
    perm = grid[sigma[rows], pi[cols]]
    cur, L = perm.copy(), 1
    while not np.array_equal(cur, np.arange(model.p)):
        if np.any(cur == np.arange(model.p)) or L > model.p:
            return None                                    # a short cycle: not free
        cur, L = perm[cur], L + 1
    if L == 1:
        return None
    seen = np.zeros(model.p, dtype=bool)
    orbits = []
    for a in range(model.p):
        if not seen[a]:
            orb = [a]
            for _ in range(L - 1):
                orb.append(int(perm[orb[-1]]))
            seen[orb] = True
            orbits.append(np.array(orb))
    return perm, L, orbits


def _fourier_blocks(orbits, L: int, order: int) -> list[np.ndarray]:
    """Real orthonormal bases T_k (order × d_k) of the isotypic components of the cyclic
    group Z_L acting freely on the indices 1..p of M (index 0, for t, is fixed): for
    frequency k the vectors cos(2πku/L) and sin(2πku/L) along each orbit. Any invariant M
    satisfies T_kᵀ M T_l = 0 for k ≠ l, so M ⪰ 0 ⇔ every T_kᵀ M T_k ⪰ 0."""
    u = np.arange(L)
    blocks = []
    for k in range(L // 2 + 1):
        waves = [np.cos(2 * np.pi * k * u / L)]
        if 0 < k < L / 2:
            waves.append(np.sin(2 * np.pi * k * u / L))
        cols = []
        if k == 0:
            e0 = np.zeros(order)
            e0[0] = 1.0
            cols.append(e0)
        for w in waves:
            w = w / np.linalg.norm(w)
            for orb in orbits:
                v = np.zeros(order)
                v[1 + orb] = w
                cols.append(v)
        blocks.append(np.column_stack(cols))
    return blocks


def _class_orbit_ids(model: TauSosModel, sigma, pi) -> tuple[np.ndarray, int]:
    """Orbit id of every class under (σ, π) (classes map to classes since X is invariant)."""
    m, n = model.shape

    def keys(i, j, k, l):
        return ((np.minimum(i, k) * m + np.maximum(i, k)) * n + np.minimum(j, l)) * n \
            + np.maximum(j, l)

    r, c = model.positions[:, 0], model.positions[:, 1]
    a, b = model.pairs_a, model.pairs_b
    key = keys(r[a], c[a], r[b], c[b])
    uniq = np.unique(key)
    image = np.searchsorted(uniq, keys(sigma[r[a]], pi[c[a]], sigma[r[b]], pi[c[b]]))
    cperm = np.empty(model.n_classes, dtype=np.int64)
    cperm[model.pair_class] = image
    label, cur = np.arange(model.n_classes), cperm.copy()
    while not np.array_equal(cur, np.arange(model.n_classes)):
        label = np.minimum(label, cur)
        cur = cperm[cur]
    _, orbit_id = np.unique(label, return_inverse=True)
    return orbit_id.ravel(), int(orbit_id.max()) + 1


def _symmetric_clarabel_data(model: TauSosModel, orbit_id, n_orbits, blocks):
    """Clarabel data for the invariant model: z = (t, w) with one w per class orbit;
    cones R₊^(diagonal orbits) × Π_k S₊^(d_k) with blocks T_kᵀ M(z) T_k."""
    p = model.p
    nv = 1 + n_orbits
    # nonnegative part: one row per orbit of diagonal classes (x_a² is constant on it)
    dvar, first = np.unique(orbit_id[model.diag_class], return_index=True)
    A_nn = sp.csc_matrix((np.ones(dvar.size), (np.arange(dvar.size), 1 + dvar)),
                         shape=(dvar.size, nv))
    b_nn = model.x[first] ** 2
    # entries (r, c), r ≤ c, of M: t, the constant x column, and the Y variables
    er = np.r_[0, np.zeros(p, dtype=np.int64), 1 + model.pairs_a]
    ec = np.r_[0, 1 + np.arange(p), 1 + model.pairs_b]
    evar = np.r_[0, -np.ones(p, dtype=np.int64), 1 + orbit_id[model.pair_class]]
    econst = np.r_[0.0, model.x, np.zeros(model.pairs_a.size)]
    is_var = evar >= 0
    Vmap = sp.csr_matrix((np.ones(is_var.sum()), (evar[is_var], np.flatnonzero(is_var))),
                         shape=(nv, er.size))
    A_parts, b_parts = [A_nn], [b_nn]
    for T in blocks:
        d = T.shape[1]
        ur, uc = np.triu_indices(d)
        order_ = np.argsort(_svec_index(ur, uc))               # Clarabel's column-major order
        ur, uc = ur[order_], uc[order_]
        scale = np.where(ur == uc, 1.0, _SQRT2)
        Tr, Tc = T[er], T[ec]
        val = Tr[:, ur] * Tc[:, uc] + (er != ec)[:, None] * Tc[:, ur] * Tr[:, uc]
        val *= scale
        val[np.abs(val) < 1e-13] = 0.0                         # cancellation noise (cos·sin)
        A_parts.append(-sp.csc_matrix((Vmap @ val).T))
        b_parts.append(econst @ val)
    A = sp.vstack(A_parts, format="csc")
    A.eliminate_zeros()
    b = np.concatenate(b_parts)
    q = np.zeros(nv)
    q[0] = 1.0
    return q, A, b, dvar.size


def _solve_clarabel_symmetric(model_sym: TauSosModel, sym, orbit_data, time_limit):
    """Solve the cyclically reduced model with Clarabel; returns the result dict with the
    dual S rebuilt at full size (Σ_k T_k S_k T_kᵀ) and averaged over the group (PSD is kept
    by averaging, and the average is dual feasible class by class)."""
    import clarabel

    sigma, pi = sym
    perm, L, orbits = orbit_data
    blocks = _fourier_blocks(orbits, L, model_sym.order)
    orbit_id, n_orbits = _class_orbit_ids(model_sym, sigma, pi)
    q, A, b, n_nn = _symmetric_clarabel_data(model_sym, orbit_id, n_orbits, blocks)
    cones = [clarabel.NonnegativeConeT(n_nn)] + [clarabel.PSDTriangleConeT(T.shape[1])
                                                 for T in blocks]
    sol, res = _clarabel_solve(q, A, b, cones, time_limit)
    z = np.asarray(sol.z)
    S = None
    if z.size == A.shape[0] and np.all(np.isfinite(z)):
        S = np.zeros((model_sym.order, model_sym.order))
        off = n_nn
        for T in blocks:
            d = T.shape[1]
            Sk = _smat(z[off:off + d * (d + 1) // 2], d)
            off += d * (d + 1) // 2
            S += T @ Sk @ T.T
        idx = np.r_[0, 1 + np.arange(model_sym.p)]
        S_avg = np.zeros_like(S)
        for _ in range(L):
            S_avg += S[np.ix_(idx, idx)]
            idx = np.r_[0, 1 + perm[idx[1:] - 1]]
        S = S_avg / L
    res["S"] = S
    res["symmetry"] = {"group_order": L, "orbits": len(orbits), "variables": q.size,
                       "blocks": [T.shape[1] for T in blocks]}
    return res


def _solve_scs_direct(model: TauSosModel, time_limit: float | None, eps: float = SCS_EPS):
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
        S = _smat(z, N)
    return {"status": status, "primal": float(info["pobj"]), "dual": float(info["dobj"]),
            "S": S, "r_prim": float(info["res_pri"]), "r_dual": float(info["res_dual"]),
            "iterations": int(info["iter"]), "solve_time": elapsed,
            "t": float(sol["x"][0]) if len(sol["x"]) else float("nan")}


def _solve_cvxpy_structured(model: TauSosModel, solver: str, time_limit: float | None):
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
    return _run_cvxpy(prob, solver, time_limit, cons[0])


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


def _run_cvxpy(prob, solver: str | None, time_limit: float | None, psd_con):
    """Solve a CVXPY problem; returns the same dict shape as the direct path."""
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
        return {"status": status, "primal": float("nan"), "dual": float("nan"), "S": None,
                "r_prim": float("nan"), "r_dual": float("nan"), "iterations": -1,
                "solve_time": time.perf_counter() - t0, "t": float("nan")}
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
    return {"status": status, "primal": float(value), "dual": float("nan"), "S": S,
            "r_prim": float("nan"), "r_dual": float("nan"),
            "iterations": int(stats.num_iters or -1) if stats else -1,
            "solve_time": float(stats.solve_time or 0.0) if stats else 0.0,
            "t": float(value)}


def _tau_sos_naive_model(X: np.ndarray):
    """The straightforward CVXPY model (reference only): full mn×mn symmetric Y, one scalar
    equality constraint per (i<k, j<l). Returns (problem, PSD constraint)."""
    import cvxpy as cp

    m, n = X.shape
    x = X.ravel(order="F")
    N = m * n
    t = cp.Variable()
    Y = cp.Variable((N, N), symmetric=True)
    M = cp.bmat([[cp.reshape(t, (1, 1), order="F"), x[None, :]], [x[:, None], Y]])
    psd = M >> 0
    cons = [psd, cp.diag(Y) <= x ** 2]
    for i in range(m):
        for k in range(i + 1, m):
            for j in range(n):
                for l in range(j + 1, n):
                    cons.append(Y[i + j * m, k + l * m] == Y[i + l * m, k + j * m])
    return cp.Problem(cp.Minimize(t), cons), psd


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
    from ..balance import balance

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
        prob, psd = _tau_sos_naive_model(Xs)
        res = _run_cvxpy(prob, solver, time_limit, psd)
        return _finish(method, res, None, certify, t0, time_limit)
    model = tau_sos_model(Xs)
    if model.order > MAX_PSD_ORDER:
        return _failed(method, f"skipped: the PSD block has order {model.order} (1 + the "
                       f"positive entries), above {MAX_PSD_ORDER}: no SDP solver here finishes "
                       "it in a useful time", time.perf_counter() - t0, kind=Kind.SKIPPED)
    if solver not in (None, "CLARABEL", "SCS"):
        res = _solve_cvxpy_structured(model, solver, time_limit)
        return _finish(method, res, model, certify, t0, time_limit)
    if solver == "SCS":
        res = _solve_scs_direct(model, time_limit)
        return _finish(method, res, model, certify, t0, time_limit)
    sym = find_cyclic_symmetry(Xs, symmetry)
    orbit_data = None if sym is None else _position_orbits(model, *sym)
    if orbit_data is not None:
        Xbar = np.zeros_like(Xs)                       # group average: exactly invariant
        rows, cols = np.arange(Xs.shape[0]), np.arange(Xs.shape[1])
        for _ in range(orbit_data[1]):
            Xbar += Xs[np.ix_(rows, cols)]
            rows, cols = sym[0][rows], sym[1][cols]
        res = _solve_clarabel_symmetric(tau_sos_model(Xbar / orbit_data[1]), sym, orbit_data,
                                        time_limit)
    elif solver is None and model.order > AUTO_CLARABEL_MAX_ORDER:
        res = _solve_scs_direct(model, time_limit)
    else:
        res = _solve_clarabel_direct(model, time_limit)
        return _finish(method, res, model, certify, t0, time_limit)
    out = _finish(method, res, model, certify, t0, time_limit)
    if _first_result_suffices(out, res):
        return out
    remaining = None if time_limit is None else time_limit - (time.perf_counter() - t0)
    if remaining is not None and remaining <= 0:
        return out
    if orbit_data is not None and model.order > AUTO_CLARABEL_MAX_ORDER and solver is None:
        first, second = "symmetry-reduced Clarabel", "SCS"
        res = _solve_scs_direct(model, remaining)
    else:
        first = "symmetry-reduced Clarabel" if orbit_data is not None else "SCS"
        second = "Clarabel"
        res = _solve_clarabel_direct(model, remaining)
    res["fallback"] = f"{first} solve was not accurate enough; re-solved with full {second}"
    return _finish(method, res, model, certify, t0, time_limit)


def _certifier_for(X: np.ndarray, scale: float, exploit_zeros: bool = True):
    """Certificates are checked against the X given here (τ₊^sos_bound passes its balanced
    copy D₁XD₂, which has the same τ₊^sos and rank₊), not the rescaled X/c that was solved: a dual S for X/c is turned into D S D with D = diag(1, 1/c, …, 1/c), the
    equivalent dual for X (any symmetric matrix is admissible in the check)."""
    model_X = tau_sos_model(X, exploit_zeros=exploit_zeros)
    d = np.r_[1.0, np.full(model_X.p, 1.0 / scale)]

    def certify(_solved_model, S):
        return certify_tau_sos_dual(model_X, S * d[:, None] * d[None, :])

    return certify


def _first_result_suffices(out: RankBound, res: dict) -> bool:
    """Keep a fast (symmetry-reduced or SCS) answer unless it gave no bound (other than by
    the time limit), or a more accurate solve could still raise the integer bound:
    ⌈certified value⌉ < ⌈primal value − 1e-6·max(1, |primal|)⌉ (the primal value being an
    approximate upper estimate of the optimum), or the certified value trails the primal value
    by more than 1e-4 relative."""
    if out.bound is None:
        return res["status"] == "MaxTime"
    primal = res["primal"]
    if not np.isfinite(primal):
        return True
    if primal - out.value > FALLBACK_REL_GAP * max(1.0, abs(primal)):
        return False
    return out.bound >= math.ceil(primal - UNCERT_REL_MARGIN * max(1.0, abs(primal)))


def _finish(method, res, model, certify, t0, time_limit, transform=None) -> RankBound:
    """Status handling, certification and safe rounding shared by both bounds.

    ``transform`` maps an SDP value to the rank bound scale (monotone nondecreasing)."""
    transform = transform or (lambda v: v)
    seconds = time.perf_counter() - t0
    stats = {k: v for k, v in res.items() if k != "S"}
    cert = {"stats": stats, "dual": res.get("S")}
    status = res["status"]
    if status == "MaxTime":
        return _failed(method, _time_limit_status(time_limit), seconds, cert, Kind.TIME_LIMIT)
    reduced = status in _REDUCED_ACCURACY
    if status != "Solved" and not reduced:
        return _failed(method, f"solver status {status}: no bound", seconds, cert)
    certified_value, info = (None, {"reason": "no dual"}) if res.get("S") is None else \
        certify(model, res["S"])
    cert["check"] = info
    if certified_value is not None and np.isfinite(certified_value):
        value = float(transform(certified_value))
        bound = _round_lower(value, CERT_REL_MARGIN * max(1.0, abs(value)))
        note = f"solver reported reduced accuracy ({status}); " if reduced else ""
        return RankBound(method, "lower", value, bound, certified=True, seconds=seconds,
                         status=f"ok ({note}dual certificate verified)", certificate=cert)
    reason = info.get("reason", "dual check failed")
    if reduced:
        return _failed(method, f"solver status {status} and dual certificate not verified "
                       f"({reason}): no bound", seconds, cert)
    primal = res["primal"]
    if not np.isfinite(primal):
        return _failed(method, "solver returned no value: no bound", seconds, cert)
    inacc = np.nansum([abs(primal - res.get("dual", np.nan)), res.get("r_prim", np.nan),
                       res.get("r_dual", np.nan)])
    value = float(transform(primal))
    bound = _round_lower(transform(primal - _uncertified_margin(primal, float(inacc))), 0.0)
    return RankBound(method, "lower", value, bound, certified=False, seconds=seconds,
                     status=f"ok (uncertified: {reason})", certificate=cert)


_REDUCED_ACCURACY = ("AlmostSolved", "optimal_inaccurate")


# --------------------------------------------------------------------------------------
# nonnegative nuclear norm
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _NuclearModel:
    """The scaled copy Xp = 2^k X the SDP sees (floats) and its exact values (Fractions)."""

    X: np.ndarray
    exact: tuple = ()


def certify_nuclear_dual(model: _NuclearModel, duals: tuple) -> tuple[float | None, dict]:
    """A rigorous lower bound on ν from any (Λ, N): with N⁺ = max(sym(N), 0),
    R = ½I − ½[[0, Λ], [Λᵀ, 0]] − N⁺ and ε ≥ −λ_min(R), ν ≥ ⟨Λ, X⟩/(1 + 2ε). Both signs of Λ
    are tried (each is a valid certificate) so the check does not depend on CVXPY's sign
    convention for equality duals. ⟨Λ, X⟩ and the division are done in exact rational
    arithmetic on the stored values (``model.exact``), so tiny or subnormal entries cannot
    make the bound too large; the result is rounded down to a float."""
    from fractions import Fraction

    X = model.X
    exact = model.exact or tuple(tuple(Fraction(float(v)) for v in row) for row in X)
    Lam, N = duals
    m, n = X.shape
    if Lam is None or not np.all(np.isfinite(Lam)):
        return None, {"reason": "no equality dual"}
    Np = np.zeros((m + n, m + n)) if N is None else np.maximum(0.5 * (N + N.T), 0.0)
    best, info = None, {}
    for sign in (1.0, -1.0):
        L = sign * np.asarray(Lam)
        G = np.zeros((m + n, m + n))
        G[:m, m:] = L
        G[m:, :m] = L.T
        R = 0.5 * np.eye(m + n) - 0.5 * G - Np
        eps = _eig_shift(R)
        inner = sum((Fraction(float(L[i, j])) * exact[i][j]
                     for i in range(m) for j in range(n) if exact[i][j]), Fraction(0))
        exact_val = inner / (1 + 2 * Fraction(eps))
        val = float(exact_val)
        val = float(np.nextafter(val, -np.inf))  # float() rounds to nearest: step down once
        if best is None or val > best:
            best, info = val, {"eig_shift": eps, "sign": sign}
    return best, info


def nuclear_norm_bound(X, solver: str | None = None,
                       time_limit: float | None = None) -> RankBound:
    """Lower bound (ν/‖X‖_F)² ≤ rank₊(X) from the doubly-nonnegative relaxation ν of the
    nonnegative nuclear norm (Fawzi & Parrilo 2015; see the module docstring).

    NOT invariant under positive diagonal scaling of rows/columns (unlike τ₊): scaling X can
    change — and possibly improve — this bound. It is invariant under X ↦ cX, so the SDP and
    its certificate work on Xp = 2^k X with max Xp ∈ [1, 2) (exact: only exponents change),
    and ⟨Λ, Xp⟩ and ‖Xp‖²_F are summed exactly: no subnormal or overflowing intermediate.
    ``value`` is (ν_cert/‖X‖_F)² with ν_cert the verified dual bound when available
    (``certified=True``).
    """
    import cvxpy as cp
    from fractions import Fraction

    method = "nuclear_norm"
    t0 = time.perf_counter()
    X, solver, time_limit = _checked_inputs(X, solver, time_limit)
    if not X.any():
        return RankBound(method, "lower", 0.0, 0, certified=True,
                         seconds=time.perf_counter() - t0, status="ok (zero matrix)")
    k = -int(np.frexp(X.max())[1] - 1)           # max(2^k X) ∈ [1, 2)
    two_k = Fraction(2) ** k
    exact = tuple(tuple(Fraction(float(v)) * two_k for v in row) for row in X)
    Xs = np.array([[float(v) for v in row] for row in exact])  # 2^k X, rounded if subnormal
    m, n = Xs.shape
    # ‖2^k X‖_F, exact sum of squares, rounded up
    fro_sq = sum((v * v for row in exact for v in row), Fraction(0))
    fro = math.sqrt(float(fro_sq)) * (1.0 + 4 * np.finfo(float).eps)
    B = cp.Variable((m + n, m + n), PSD=True)
    eq = B[:m, m:] == Xs
    nn = B >= 0
    prob = cp.Problem(cp.Minimize(0.5 * cp.trace(B)), [eq, nn])
    res = _run_cvxpy(prob, solver, time_limit, None)
    if res["status"] == "Solved" or res["status"] in _REDUCED_ACCURACY:
        res["S"] = (eq.dual_value, nn.dual_value)
    model = _NuclearModel(Xs, exact)

    def certify(mod, duals):
        return certify_nuclear_dual(mod, duals)

    return _finish(method, res, model, certify, t0, time_limit,
                   transform=lambda v: (max(v, 0.0) / fro) ** 2)
