"""Certificates: turn a numerical near-exact NMF into a proof checked in exact arithmetic.

A certificate holds rational matrices X, W, H (stored as "p/q" strings) and a claim:

* ``"certified exact"`` — W ≥ 0, H ≥ 0 and WH = X hold in :class:`fractions.Fraction`
  arithmetic, entry by entry. Only :func:`certify` after that check, and
  :func:`verify_certificate` re-doing it, ever say so (DESIGN.md principle 7).
* ``"numerical (relative error e)"`` — no exact rational factorization was found (for
  example the data are irrational, like slack matrices built from cosines); e is the
  relative residual ‖X − WH‖_F/‖X‖_F of the stored rationals, computed exactly.

How :func:`certify` looks for an exact factorization of rational data X (entries equal to
small-denominator rationals), given numerical W, H with X ≈ WH:

1. *Rounding*: zero the entries below 1e-9 of each factor's maximum, round the rest to
   rationals (denominators ≤ 10⁶) and check exactly. This certifies factorizations whose
   entries are themselves small rationals (integers, the trivial X·I).
2. *Basis*: when rank(X) = r, the column space of W is that of X. Pick r independent data
   columns B (exact), write X = B C exactly, and W ≈ B P with P = B⁺W. Rounding P to P_q
   (exactly invertible) gives W' = B P_q and H' = P_q⁻¹ C with W'H' = B C = X *exactly*; it
   remains to check W' ≥ 0 and H' ≥ 0 exactly. The same is tried on Xᵀ = HᵀWᵀ.

3. *Support LP* (any r, zeros kept): from H's support pattern build a rational H' whose rows
   span a space containing the rows of X, with H's zeros exactly zero: H' = M'E, E = (r_X
   independent rows of X, exact) stacked on rational directions of H outside that row space,
   and each row of M' projected exactly onto the coefficients that vanish on that row's zero
   columns. Then W' solves the linear-feasibility problem W' ≥ 0, W' = 0 off W's support,
   W'H' = X (a CVXPY LP, solved by HiGHS dual simplex through SciPy, so it returns a
   vertex); each row of that vertex solution is re-solved exactly on its
   support (``Fraction`` Gauss–Jordan). The same is tried on Xᵀ = HᵀWᵀ.

Step 3 succeeds when X's rows lie robustly inside the cone of H's rows, e.g. when W is
positive. When the found W has zeros *and* r > rank(X) (the linear EDM n = 6 at r = 5 is the
standard case) each x_i must lie exactly on a face spanned by a few rows of H; rounding H
moves that face, so the LP is infeasible and the certificate honestly stays "numerical" —
such exact factorizations may exist only with irrational entries (rank₊ over Q can exceed
rank₊ over R; Chistikov, Kiefer, Marušić, Shirmohammadi & Worrell, ICALP 2016).

Example
-------
>>> import numpy as np
>>> X = np.array([[1.0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 1]])
>>> certify(X, X, np.eye(4)).claim
'certified exact'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..checks import NMFInputError, check_matrix
from ..io import atomic_write_text

__all__ = ["Certificate", "certify", "exact_product_check", "verify_certificate",
           "save_certificate", "load_certificate", "rational_matrix", "FORMAT"]

FORMAT = "nnmf_research.certificate/1"
Matrix = list  # list[list[Fraction]]


def rational_matrix(A, max_denominator: int = 10**6) -> Matrix:
    """Round every entry to the nearest rational with denominator <= ``max_denominator``."""
    return [[Fraction(float(x)).limit_denominator(max_denominator) for x in row]
            for row in np.asarray(A, dtype=float)]


def _exact_matrix(A) -> Matrix:
    """The exact binary rational value of every float entry."""
    return [[Fraction(float(x)) for x in row] for row in np.asarray(A, dtype=float)]


def _matmul(A: Matrix, B: Matrix) -> Matrix:
    cols = list(zip(*B))
    return [[sum((a * b for a, b in zip(row, col)), Fraction(0)) for col in cols]
            for row in A]


def exact_product_check(X: Matrix, W: Matrix, H: Matrix) -> dict:
    """Check W ≥ 0, H ≥ 0 and WH = X in exact arithmetic; name the first violation."""
    m, n, r = len(X), len(X[0]), len(W[0])
    if len(W) != m or len(H) != r or any(len(row) != n for row in H):
        return {"exact": False, "reason": f"shapes do not match: X {m}x{n}, W {len(W)}x{r}, "
                                          f"H {len(H)}x{len(H[0]) if H else 0}"}
    for name, M in (("W", W), ("H", H)):
        for i, row in enumerate(M):
            for j, v in enumerate(row):
                if v < 0:
                    return {"exact": False,
                            "reason": f"{name} entry ({i}, {j}) is negative: {v}"}
    P = _matmul(W, H)
    residual_sq = Fraction(0)
    first = None
    for i in range(m):
        for j in range(n):
            d = P[i][j] - X[i][j]
            if d != 0:
                residual_sq += d * d
                if first is None:
                    first = (i, j, P[i][j], X[i][j])
    if first is None:
        return {"exact": True, "reason": "W >= 0, H >= 0 and WH = X exactly",
                "residual_frobenius_sq": Fraction(0)}
    i, j, got, want = first
    return {"exact": False, "residual_frobenius_sq": residual_sq,
            "reason": f"(WH) entry ({i}, {j}) is {got}, X has {want}"}


@dataclass(frozen=True)
class Certificate:
    claim: str
    exact: bool
    relative_error: float
    X: Matrix
    W: Matrix
    H: Matrix
    notes: str = ""

    @property
    def r(self) -> int:
        return len(self.W[0])


def _relative_error(X: Matrix, W: Matrix, H: Matrix) -> float:
    P = _matmul(W, H)
    num = sum((P[i][j] - X[i][j]) ** 2 for i in range(len(X)) for j in range(len(X[0])))
    den = sum(x * x for row in X for x in row)
    return float(np.sqrt(float(num / den))) if den else 0.0


def _rref(M: Matrix, n: int) -> tuple[Matrix, list[int]]:
    """Reduced row echelon form over Fractions of M's first ``n`` columns (the rest carried
    along): returns (the reduced rows, the pivot columns)."""
    M = [list(row) for row in M]
    pivots: list[int] = []
    for c in range(n):
        r = len(pivots)
        p = next((i for i in range(r, len(M)) if M[i][c] != 0), None)
        if p is None:
            continue
        M[r], M[p] = M[p], M[r]
        inv = 1 / M[r][c]
        M[r] = [v * inv for v in M[r]]
        for i in range(len(M)):
            if i != r and M[i][c] != 0:
                f = M[i][c]
                M[i] = [a - f * b for a, b in zip(M[i], M[r])]
        pivots.append(c)
    return M, pivots


def _solve_exact(A: Matrix, B: Matrix) -> Matrix | None:
    """Solve A Y = B exactly for square invertible A (Gauss–Jordan over Fractions)."""
    n = len(A)
    M, pivots = _rref([list(A[i]) + list(B[i]) for i in range(n)], n)
    if pivots != list(range(n)):
        return None
    return [row[n:] for row in M]


def _basis_route(X_q: Matrix, X: np.ndarray, W: np.ndarray, max_den: int):
    """Step 2 of the module docstring; returns (W', H') exact with W'H' = X, or None."""
    r = W.shape[1]
    if np.linalg.matrix_rank(X) != r:
        return None
    # r independent columns, greedily by pivoted QR.
    import scipy.linalg

    _, _, piv = scipy.linalg.qr(X, pivoting=True)
    cols = sorted(piv[:r])
    B = [[X_q[i][j] for j in cols] for i in range(len(X_q))]
    B_float = X[:, cols]
    # Rows of B that form an invertible r×r block give C exactly: B_rows C = X_rows.
    _, _, rpiv = scipy.linalg.qr(B_float.T, pivoting=True)
    rows = sorted(rpiv[:r])
    C = _solve_exact([B[i] for i in rows], [X_q[i] for i in rows])
    if C is None or _matmul(B, C) != X_q:
        return None
    P = np.linalg.lstsq(B_float, W, rcond=None)[0]
    P_q = rational_matrix(P, max_den)
    identity = [[Fraction(int(i == j)) for j in range(r)] for i in range(r)]
    P_inv = _solve_exact(P_q, identity)
    if P_inv is None:
        return None
    return _matmul(B, P_q), _matmul(P_inv, C)


def _nullspace(A: Matrix, n: int) -> list[list[Fraction]]:
    """Exact basis of {c ∈ Qⁿ : A c = 0}, from the reduced row echelon form of A."""
    M, pivots = _rref(A, n)
    basis = []
    for free in (c for c in range(n) if c not in pivots):
        v = [Fraction(0)] * n
        v[free] = Fraction(1)
        for row, pc in zip(M, pivots):
            v[pc] = -row[free]
        basis.append(v)
    return basis


def _rational_row_factor(X_q: Matrix, X: np.ndarray, H: np.ndarray, zero_tol: float,
                         max_den: int) -> Matrix | None:
    """Rational H' ≥ 0 near H, zero where H is, with row space ⊇ row space of X (step 3)."""
    from .rank import exact_rank, numerical_rank

    rho, rows, _ = exact_rank(X_q)
    B = [X_q[i] for i in rows]
    Bf = X[rows]
    outside = H - H @ np.linalg.pinv(Bf) @ Bf
    extra = max(numerical_rank(H) - rho, 0)
    E = list(B)
    if extra:
        _, _, Vt = np.linalg.svd(outside)
        E += rational_matrix(Vt[:extra], max_den)
    Ef = np.array([[float(v) for v in row] for row in E])
    if exact_rank(E)[0] != len(E):
        return None
    M = H @ np.linalg.pinv(Ef)
    zeros = H <= zero_tol * H.max()
    H_q = []
    for k in range(H.shape[0]):
        cols = np.flatnonzero(zeros[k])
        N = _nullspace([[E[s][j] for s in range(len(E))] for j in cols], len(E))
        if not N:
            if not zeros[k].all():
                return None
            H_q.append([Fraction(0)] * H.shape[1])
            continue
        Nf = np.array([[float(v) for v in vec] for vec in N])
        a = np.linalg.lstsq(Nf.T, M[k], rcond=None)[0]
        a_q = [Fraction(float(v)).limit_denominator(max_den) for v in a]
        coeff = [sum((a_q[t] * N[t][s] for t in range(len(N))), Fraction(0))
                 for s in range(len(E))]
        H_q.append([sum((coeff[s] * E[s][j] for s in range(len(E))), Fraction(0))
                    for j in range(H.shape[1])])
    if any(v < 0 for row in H_q for v in row):
        return None
    return H_q


def _exact_row_solution(x: list[Fraction], rows: list[list[Fraction]]) -> list[Fraction] | None:
    """Exact w with Σ_k w_k rows[k] = x, using a maximal independent subset of ``rows``."""
    from .rank import exact_rank

    if not rows:
        return [] if all(v == 0 for v in x) else None
    # independent rows = pivot columns of the matrix whose columns are the rows
    _, _, keep = exact_rank([list(col) for col in zip(*rows)])
    R = [rows[k] for k in keep]
    G = [[sum((a * b for a, b in zip(R[p], R[q])), Fraction(0)) for q in range(len(R))]
         for p in range(len(R))]
    rhs = [[sum((a * b for a, b in zip(R[p], x)), Fraction(0))] for p in range(len(R))]
    sol = _solve_exact(G, rhs)
    if sol is None:
        return None
    w = [Fraction(0)] * len(rows)
    for k, v in zip(keep, sol):
        w[k] = v[0]
    return w


def _support_lp_route(X_q: Matrix, X: np.ndarray, W: np.ndarray, H: np.ndarray,
                      zero_tol: float, max_den: int):
    """Step 3 of the module docstring; returns (W', H') exact candidates, or None."""
    import cvxpy as cp

    H_q = _rational_row_factor(X_q, X, H, zero_tol, max_den)
    if H_q is None:
        return None
    Hf = np.array([[float(v) for v in row] for row in H_q])
    m, r = W.shape
    support = (W > zero_tol * W.max()).astype(float)
    Wv = cp.Variable((m, r), nonneg=True)
    problem = cp.Problem(cp.Minimize(0),
                         [Wv @ Hf == X, cp.multiply(1.0 - support, Wv) == 0])
    try:
        problem.solve(solver=cp.SCIPY, scipy_options={"method": "highs-ds"})
    except cp.error.SolverError:
        return None
    if problem.status != cp.OPTIMAL or Wv.value is None:
        return None
    Wn = Wv.value
    W_q = []
    for i in range(m):
        J = [k for k in range(r) if Wn[i, k] > 1e-12 * max(Wn.max(), 1e-300)]
        w = _exact_row_solution(X_q[i], [H_q[k] for k in J])
        if w is None:
            return None
        row = [Fraction(0)] * r
        for k, v in zip(J, w):
            row[k] = v
        W_q.append(row)
    return W_q, H_q


def certify(X, W, H, *, zero_tol: float = 1e-9, max_denominator: int = 10**6) -> Certificate:
    """Try to turn X ≈ WH into an exact rational certificate (module docstring); otherwise
    return a certificate whose claim is "numerical (relative error e)"."""
    X = check_matrix(X)
    W = check_matrix(W, "W")
    H = check_matrix(H, "H")
    if W.shape[0] != X.shape[0] or H.shape[1] != X.shape[1] or W.shape[1] != H.shape[0]:
        raise NMFInputError(f"shapes do not match: X {X.shape}, W {W.shape}, H {H.shape}")
    from .rank import rational_entries

    X_q = rational_entries(X, max_denominator)
    rational = X_q is not None
    W0 = np.where(W > zero_tol * W.max(), W, 0.0)
    H0 = np.where(H > zero_tol * H.max(), H, 0.0)
    W_q, H_q = rational_matrix(W0, max_denominator), rational_matrix(H0, max_denominator)
    if rational:
        candidates = [("rounded factors", W_q, H_q)]
        basis = _basis_route(X_q, X, W0, max_denominator)
        if basis is not None:
            candidates.append(("basis of data columns", *basis))
        Xt_q = [list(col) for col in zip(*X_q)]
        basis_t = _basis_route(Xt_q, X.T, H0.T, max_denominator)
        if basis_t is not None:
            Wt, Ht = basis_t  # Xᵀ = Wt Ht, so X = Htᵀ Wtᵀ
            candidates.append(("basis of data rows", [list(c) for c in zip(*Ht)],
                               [list(c) for c in zip(*Wt)]))
        support = _support_lp_route(X_q, X, W0, H0, zero_tol, max_denominator)
        if support is not None:
            candidates.append(("support LP", *support))
        support_t = _support_lp_route(Xt_q, X.T, H0.T, W0.T, zero_tol, max_denominator)
        if support_t is not None:
            Wt, Ht = support_t
            candidates.append(("support LP on the transpose", [list(c) for c in zip(*Ht)],
                               [list(c) for c in zip(*Wt)]))
        for how, Wc, Hc in candidates:
            if exact_product_check(X_q, Wc, Hc)["exact"]:
                return Certificate("certified exact", True, 0.0, X_q, Wc, Hc,
                                   f"exact rational factorization ({how})")
        notes = ("rational data, but no exact rational factorization was found (tried: rounded "
                 "factors, basis of data columns/rows, support LP on X and its transpose)")
        X_c = X_q
    else:
        notes = "irrational data: the stored X is the exact value of the float input"
        X_c = _exact_matrix(X)
        W_q, H_q = _exact_matrix(W), _exact_matrix(H)
    err = _relative_error(X_c, W_q, H_q)
    return Certificate(f"numerical (relative error {err:.3g})", False, err, X_c, W_q, H_q,
                       notes)


def _to_strings(M: Matrix) -> list[list[str]]:
    return [[f"{v.numerator}/{v.denominator}" if v.denominator != 1 else str(v.numerator)
             for v in row] for row in M]


def save_certificate(path, cert: Certificate) -> None:
    """Write the certificate as JSON with exact "p/q" entries (atomically)."""
    data = {"format": FORMAT, "claim": cert.claim, "exact": cert.exact,
            "relative_error": cert.relative_error, "shape": [len(cert.X), len(cert.X[0])],
            "r": cert.r, "notes": cert.notes, "X": _to_strings(cert.X),
            "W": _to_strings(cert.W), "H": _to_strings(cert.H)}
    atomic_write_text(path, json.dumps(data, indent=1) + "\n")


def _parse(name: str, rows) -> Matrix:
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
        raise NMFInputError(f"certificate matrix {name} is not a list of rows")
    if len({len(r) for r in rows}) != 1:
        raise NMFInputError(f"certificate matrix {name} has rows of different lengths")
    out = []
    for i, row in enumerate(rows):
        parsed = []
        for j, text in enumerate(row):
            try:
                parsed.append(Fraction(str(text)))
            except (ValueError, ZeroDivisionError):
                raise NMFInputError(f"certificate matrix {name} entry ({i}, {j}) is not a "
                                    f"rational 'p/q': {text!r}") from None
        out.append(parsed)
    return out


def load_certificate(path) -> Certificate:
    """Read a certificate file, naming whatever is malformed."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise NMFInputError(f"certificate not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise NMFInputError(f"could not read certificate {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise NMFInputError(f"{path} is not an nnmf_research certificate (format "
                            f"{data.get('format') if isinstance(data, dict) else None!r}, "
                            f"expected {FORMAT!r})")
    for key in ("claim", "exact", "relative_error", "X", "W", "H"):
        if key not in data:
            raise NMFInputError(f"certificate {path} has no {key!r}")
    return Certificate(str(data["claim"]), bool(data["exact"]), float(data["relative_error"]),
                       _parse("X", data["X"]), _parse("W", data["W"]), _parse("H", data["H"]),
                       str(data.get("notes", "")))


def verify_certificate(X, cert: Certificate) -> dict:
    """Re-check ``cert`` against the matrix X, independently of how it was found.

    The certificate's X must be X's entries (as small rationals for an exact claim, as exact
    float values otherwise); an exact claim needs W ≥ 0, H ≥ 0 and WH = X exactly; a
    numerical claim needs its relative error to match the exact recomputation.
    """
    X = check_matrix(X)
    if (len(cert.X), len(cert.X[0])) != X.shape:
        return {"valid": False, "claim": cert.claim,
                "reason": f"certificate is for a {len(cert.X)}x{len(cert.X[0])} matrix, "
                          f"X is {X.shape[0]}x{X.shape[1]}"}
    for i, row in enumerate(cert.X):
        for j, v in enumerate(row):
            if float(v) != X[i, j]:
                return {"valid": False, "claim": cert.claim,
                        "reason": f"certificate X entry ({i}, {j}) = {v} differs from the "
                                  f"matrix's {X[i, j]!r}"}
    if cert.exact or cert.claim == "certified exact":
        check = exact_product_check(cert.X, cert.W, cert.H)
        return {"valid": check["exact"], "claim": cert.claim, "reason": check["reason"]}
    err = _relative_error(cert.X, cert.W, cert.H)
    ok = abs(err - cert.relative_error) <= 1e-9 * max(err, 1e-300) + 1e-300
    return {"valid": ok, "claim": cert.claim,
            "reason": f"numerical claim: exact relative error {err:.6g}"
                      + ("" if ok else f" but the certificate says {cert.relative_error:.6g}")}
