"""Certificates: turn a numerical near-exact NMF into a proof checked in exact arithmetic.

A certificate is about one matrix: X's **stored float64 values** (exact dyadic rationals; the
default ``reading="stored"``) or, when asked explicitly, the **decimal reading** (each entry
the shortest decimal that round-trips to its float: 0.1 as 1/10), and then every claim says
so. It holds rational matrices X, W, H (stored as "p/q" strings), the reading and a claim:

* ``"certified exact"`` — W ≥ 0, H ≥ 0 and WH = X hold in :class:`fractions.Fraction`
  arithmetic, entry by entry. Only :func:`certify` after that check, and
  :func:`verify_certificate` re-doing it, ever say so (README, "Soundness").
* ``"numerical (relative error e)"`` — no exact rational factorization was found (for
  example the data are floats rounded from irrational numbers, like slack matrices built
  from cosines, whose stored values have full rank); e is ‖X − WH‖_F/‖X‖_F of the stored
  rationals and ``entrywise_error`` the worst |WH − X|_ij/X_ij, both computed exactly.

The search runs on the power-of-two balanced copy D₁XD₂ (exact: only exponents change), so
badly scaled data keep small rational factors; a candidate maps back exactly. When the exact
rank of X exceeds r, no exact factorization with r terms exists and none is searched.

How :func:`certify` looks for an exact factorization, given numerical W, H with X ≈ WH:

1. *As given, then rounded*: the factors' own float values are checked exactly first; then
   the entries below 1e-9 of their column of W (row of H) are zeroed, the rest rounded to
   rationals (denominators ≤ 10⁶) and checked exactly. This certifies factorizations whose
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
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..balance import balance, max_exponents
from ..checks import NMFInputError, check_matrix
from ..io import atomic_write_text, check_regular_file
from ..rational import (READINGS, Matrix, exact_rank, matmul, nullspace, read_values,
                        rounded_rationals, solve_exact, stored_values)

__all__ = ["Certificate", "certify", "exact_product_check", "verify_certificate",
           "save_certificate", "load_certificate", "entrywise_error", "FORMAT",
           "MAX_DIGITS"]

FORMAT = "nnmf_research.certificate/1"
MAX_DIGITS = 5000          # digits of a numerator or denominator in a certificate file
_RATIONAL = re.compile(r"-?[0-9]{1,%d}(/[0-9]{1,%d})?" % (MAX_DIGITS, MAX_DIGITS))
_matmul = matmul           # the name the tests and older callers use


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
    P = matmul(W, H)
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
    """A claim about one matrix X (its ``reading``: "stored" float64 values, or the
    "decimal" reading) with rational W, H. ``entrywise_error`` is max |WH − X|_ij / X_ij over
    the positive entries (inf when WH is non-zero where X is zero)."""

    claim: str
    exact: bool
    relative_error: float
    X: Matrix
    W: Matrix
    H: Matrix
    notes: str = ""
    reading: str = "stored"
    entrywise_error: float = 0.0

    @property
    def r(self) -> int:
        return len(self.W[0])


def _relative_error(X: Matrix, W: Matrix, H: Matrix) -> float:
    P = matmul(W, H)
    num = sum((P[i][j] - X[i][j]) ** 2 for i in range(len(X)) for j in range(len(X[0])))
    den = sum(x * x for row in X for x in row)
    return float(np.sqrt(float(num / den))) if den else 0.0


def entrywise_error(X: Matrix, W: Matrix, H: Matrix) -> float:
    """max over X_ij > 0 of |(WH)_ij − X_ij| / X_ij, exactly (inf if WH ≠ 0 where X = 0)."""
    P = matmul(W, H)
    worst = Fraction(0)
    for prow, xrow in zip(P, X):
        for p, x in zip(prow, xrow):
            if x == 0:
                if p != 0:
                    return float("inf")
            else:
                worst = max(worst, abs(p - x) / x)
    return float(worst)


def _basis_route(X_q: Matrix, X: np.ndarray, W: np.ndarray, rho: int, max_den: int):
    """Step 2 of the module docstring; returns (W', H') exact with W'H' = X, or None.
    ``rho`` is the exact rank of X_q."""
    r = W.shape[1]
    if rho != r:
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
    C = solve_exact([B[i] for i in rows], [X_q[i] for i in rows])
    if C is None or matmul(B, C) != X_q:
        return None
    P = np.linalg.lstsq(B_float, W, rcond=None)[0]
    P_q = rounded_rationals(P, max_den)
    identity = [[Fraction(int(i == j)) for j in range(r)] for i in range(r)]
    P_inv = solve_exact(P_q, identity)
    if P_inv is None:
        return None
    return matmul(B, P_q), matmul(P_inv, C)


def _rational_row_factor(X_q: Matrix, X: np.ndarray, H: np.ndarray, zero_tol: float,
                         max_den: int, rho: int, rows: list[int]) -> Matrix | None:
    """Rational H' ≥ 0 near H, zero where H is, with row space ⊇ row space of X (step 3);
    ``rho``, ``rows``: the exact rank of X_q and independent rows achieving it."""
    from .rank import numerical_rank

    B = [X_q[i] for i in rows]
    Bf = X[rows]
    outside = H - H @ np.linalg.pinv(Bf) @ Bf
    extra = max(numerical_rank(H) - rho, 0)
    E = list(B)
    if extra:
        _, _, Vt = np.linalg.svd(outside)
        E += rounded_rationals(Vt[:extra], max_den)
    Ef = np.array([[float(v) for v in row] for row in E])
    if exact_rank(E)[0] != len(E):
        return None
    M = H @ np.linalg.pinv(Ef)
    zeros = H <= zero_tol * H.max()
    H_q = []
    for k in range(H.shape[0]):
        cols = np.flatnonzero(zeros[k])
        N = nullspace([[E[s][j] for s in range(len(E))] for j in cols], len(E))
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
    if not rows:
        return [] if all(v == 0 for v in x) else None
    # independent rows = pivot columns of the matrix whose columns are the rows
    _, _, keep = exact_rank([list(col) for col in zip(*rows)])
    R = [rows[k] for k in keep]
    G = [[sum((a * b for a, b in zip(R[p], R[q])), Fraction(0)) for q in range(len(R))]
         for p in range(len(R))]
    rhs = [[sum((a * b for a, b in zip(R[p], x)), Fraction(0))] for p in range(len(R))]
    sol = solve_exact(G, rhs)
    if sol is None:
        return None
    w = [Fraction(0)] * len(rows)
    for k, v in zip(keep, sol):
        w[k] = v[0]
    return w


def _support_lp_route(X_q: Matrix, X: np.ndarray, W: np.ndarray, H: np.ndarray,
                      zero_tol: float, max_den: int, rho: int, rows: list[int]):
    """Step 3 of the module docstring; returns (W', H') exact candidates, or None."""
    import cvxpy as cp

    H_q = _rational_row_factor(X_q, X, H, zero_tol, max_den, rho, rows)
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


def _transpose(M: Matrix) -> Matrix:
    return [list(c) for c in zip(*M)]


def _scaled(M: Matrix, row_exp=None, col_exp=None) -> Matrix:
    """diag(2^row_exp) M diag(2^col_exp), exactly."""
    two = Fraction(2)
    return [[v * two ** (int(row_exp[i]) if row_exp is not None else 0)
             * two ** (int(col_exp[j]) if col_exp is not None else 0)
             for j, v in enumerate(row)] for i, row in enumerate(M)]


def _candidates(Xb_q: Matrix, Xb: np.ndarray, Wb: np.ndarray, Hb: np.ndarray,
                zero_tol: float, max_den: int):
    """Exact candidate factorizations (how, W', H') of the balanced values Xb_q."""
    yield "the factors as given", stored_values(Wb), stored_values(Hb)
    # entries tiny relative to their column of W (row of H) are round-off: zero them
    # (relative per column/row, so neither the data's nor the factors' scaling matters)
    Wb = np.where(Wb > zero_tol * Wb.max(axis=0, keepdims=True), Wb, 0.0)
    Hb = np.where(Hb > zero_tol * Hb.max(axis=1, keepdims=True), Hb, 0.0)
    # the split of scale between W's columns and H's rows is arbitrary: move it (by exact
    # powers of two) so that every column of W has its maximum in [1, 2)
    shift = max_exponents(Wb, axis=0)
    Wb, Hb = np.ldexp(Wb, -shift[None, :]), np.ldexp(Hb, shift[:, None])
    yield "rounded factors", rounded_rationals(Wb, max_den), rounded_rationals(Hb, max_den)
    rho, rows, _ = exact_rank(Xb_q)
    Xt_q = _transpose(Xb_q)
    rho_t, rows_t, _ = exact_rank(Xt_q)
    basis = _basis_route(Xb_q, Xb, Wb, rho, max_den)
    if basis is not None:
        yield ("basis of data columns", *basis)
    basis_t = _basis_route(Xt_q, Xb.T, Hb.T, rho_t, max_den)
    if basis_t is not None:
        Wt, Ht = basis_t  # Xᵀ = Wt Ht, so X = Htᵀ Wtᵀ
        yield "basis of data rows", _transpose(Ht), _transpose(Wt)
    support = _support_lp_route(Xb_q, Xb, Wb, Hb, zero_tol, max_den, rho, rows)
    if support is not None:
        yield ("support LP", *support)
    support_t = _support_lp_route(Xt_q, Xb.T, Hb.T, Wb.T, zero_tol, max_den, rho_t, rows_t)
    if support_t is not None:
        Wt, Ht = support_t
        yield "support LP on the transpose", _transpose(Ht), _transpose(Wt)


def certify(X, W, H, *, reading: str = "stored", zero_tol: float = 1e-9,
            max_denominator: int = 10**6) -> Certificate:
    """Try to turn X ≈ WH into an exact rational certificate (module docstring); otherwise
    return a certificate whose claim is "numerical (relative error e)".

    The claim is about X's stored float64 values (``reading="stored"``, the default: exact
    dyadic rationals) or, with ``reading="decimal"``, about each entry's shortest decimal
    (0.1 as 1/10), and then the claim says "for the decimal reading". The search runs on the
    power-of-two balanced copy D₁XD₂ (exact), so factors of badly scaled data keep small
    rational entries, and maps back exactly: W' = D₁⁻¹W'_b, H' = H'_bD₂⁻¹."""
    X = check_matrix(X)
    W = check_matrix(W, "W")
    H = check_matrix(H, "H")
    if W.shape[0] != X.shape[0] or H.shape[1] != X.shape[1] or W.shape[1] != H.shape[0]:
        raise NMFInputError(f"shapes do not match: X {X.shape}, W {W.shape}, H {H.shape}")
    if reading not in READINGS:
        raise NMFInputError(f"unknown reading {reading!r}; valid: {', '.join(READINGS)}")
    X_q = read_values(X, reading)
    r = W.shape[1]
    rho = exact_rank(X_q)[0]
    of = "" if reading == "stored" else " for the decimal reading"
    if rho > r:
        notes = (f"the values{of} have rank {rho} > r = {r} over Q: no exact factorization "
                 f"with {r} terms exists")
    else:
        b = balance(X)
        if b.exact:
            Xb_q = _scaled(X_q, b.row_exp, b.col_exp)
            Wb, Hb = b.scale(W, H)
        else:  # the balanced copy would leave the float range: search unbalanced
            Xb_q, Wb, Hb = X_q, W, H
        Xb = np.array([[float(v) for v in row] for row in Xb_q])
        for how, Wc, Hc in _candidates(Xb_q, Xb, Wb, Hb, zero_tol, max_denominator):
            if b.exact:
                Wc, Hc = _scaled(Wc, row_exp=-b.row_exp), _scaled(Hc, col_exp=-b.col_exp)
            if exact_product_check(X_q, Wc, Hc)["exact"]:
                return Certificate("certified exact" + (f" ({reading} reading)" if of else ""),
                                   True, 0.0, X_q, Wc, Hc,
                                   f"exact rational factorization{of} ({how})", reading, 0.0)
        notes = (f"no exact rational factorization{of} was found (tried: rounded factors, "
                 "basis of data columns/rows, support LP on X and its transpose)")
    W_q, H_q = stored_values(W), stored_values(H)
    err = _relative_error(X_q, W_q, H_q)
    worst = entrywise_error(X_q, W_q, H_q)
    return Certificate(f"numerical (relative error {err:.3g})", False, err, X_q, W_q, H_q,
                       notes + f"; worst entry off by {worst:.3g} (relative)", reading, worst)


def _to_strings(M: Matrix) -> list[list[str]]:
    return [[f"{v.numerator}/{v.denominator}" if v.denominator != 1 else str(v.numerator)
             for v in row] for row in M]


def save_certificate(path, cert: Certificate) -> None:
    """Write the certificate as JSON with exact "p/q" entries (atomically)."""
    data = {"format": FORMAT, "claim": cert.claim, "exact": cert.exact,
            "relative_error": cert.relative_error, "shape": [len(cert.X), len(cert.X[0])],
            "r": cert.r, "notes": cert.notes, "reading": cert.reading,
            "entrywise_error": cert.entrywise_error, "X": _to_strings(cert.X),
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
            # a strict pattern with a digit cap before Fraction: "1e999999999" must not hang
            if not isinstance(text, (str, int)) or isinstance(text, bool) or \
                    not _RATIONAL.fullmatch(str(text)) or str(text).endswith("/0"):
                raise NMFInputError(f"certificate matrix {name} entry ({i}, {j}) is not a "
                                    f"rational 'p/q': {str(text)[:40]!r} (integers of at most "
                                    f"{MAX_DIGITS} digits)")
            parsed.append(Fraction(str(text)))
        out.append(parsed)
    return out


def load_certificate(path) -> Certificate:
    """Read a certificate file, naming whatever is malformed."""
    path = check_regular_file(Path(path), "certificate")   # a FIFO would block the read
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
    reading = data.get("reading", "stored")
    if reading not in READINGS:
        raise NMFInputError(f"certificate {path} has an unknown reading {reading!r}; valid: "
                            f"{', '.join(READINGS)}")
    try:
        relative_error = float(data["relative_error"])
        entrywise = float(data.get("entrywise_error", float("nan")))
    except (TypeError, ValueError):
        raise NMFInputError(f"certificate {path} has a non-numeric error field") from None
    return Certificate(str(data["claim"]), bool(data["exact"]), relative_error,
                       _parse("X", data["X"]), _parse("W", data["W"]), _parse("H", data["H"]),
                       str(data.get("notes", "")), reading, entrywise)


def verify_certificate(X, cert: Certificate) -> dict:
    """Re-check ``cert`` against the matrix X, independently of how it was found.

    The certificate's X must *equal* X's values under the certificate's reading — the exact
    stored float64 values, or (reading "decimal") each entry's shortest decimal — so a
    certificate can only speak about this matrix; an exact claim needs W ≥ 0, H ≥ 0 and
    WH = X exactly; a numerical claim needs its relative error to match the exact
    recomputation.
    """
    X = check_matrix(X)
    if (len(cert.X), len(cert.X[0])) != X.shape:
        return {"valid": False, "claim": cert.claim,
                "reason": f"certificate is for a {len(cert.X)}x{len(cert.X[0])} matrix, "
                          f"X is {X.shape[0]}x{X.shape[1]}"}
    if cert.reading not in READINGS:
        return {"valid": False, "claim": cert.claim,
                "reason": f"unknown reading {cert.reading!r}"}
    values = read_values(X, cert.reading)
    for i, row in enumerate(cert.X):
        for j, v in enumerate(row):
            if v != values[i][j]:
                return {"valid": False, "claim": cert.claim,
                        "reason": f"certificate X entry ({i}, {j}) = {v} is not the matrix's "
                                  f"{cert.reading} value {values[i][j]} (float {X[i, j]!r})"}
    if cert.exact or cert.claim.startswith("certified exact"):
        check = exact_product_check(cert.X, cert.W, cert.H)
        return {"valid": check["exact"], "claim": cert.claim, "reason": check["reason"]}
    err = _relative_error(cert.X, cert.W, cert.H)
    ok = abs(err - cert.relative_error) <= 1e-9 * max(err, 1e-300) + 1e-300
    return {"valid": ok, "claim": cert.claim,
            "reason": f"numerical claim: exact relative error {err:.6g}"
                      + ("" if ok else f" but the certificate says {cert.relative_error:.6g}")}
