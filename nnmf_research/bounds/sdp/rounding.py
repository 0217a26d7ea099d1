"""From an SDP solve to a rank bound, in the safe direction only.

Dual certificates (:func:`certify_tau_sos_dual`, :func:`certify_nuclear_dual`: weak duality
re-checked in numpy, eigenvalue shifts with a backward-error allowance, sums in exact rational
arithmetic where the scale demands it), the margins (``CERT_REL_MARGIN`` for a verified value,
a margin tied to the solver's accuracy for an unverified one), and :func:`finish`, which maps a
typed :class:`~.solve.SolveResult` to a :class:`RankBound`: a time limit or a failed solve gives
no bound and says so; a value becomes an integer only as ⌈value − margin⌉. The mathematics is in
the docstring of :mod:`nnmf_research.bounds.sdp`.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ...checks import check_matrix, check_nonnegative_real, check_solver
from ...results import RankBound
from ...status import Kind
from .model import NuclearModel, TauSosModel
from .solve import REDUCED_ACCURACY, SolveResult

CERT_REL_MARGIN = 1e-9
UNCERT_REL_MARGIN = 1e-6

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


def certify_nuclear_dual(model: NuclearModel, duals: tuple) -> tuple[float | None, dict]:
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


def finish(method: str, res: SolveResult, model, certify, t0: float, time_limit,
           transform=None) -> RankBound:
    """Status handling, certification and safe rounding shared by both bounds.

    ``transform`` maps an SDP value to the rank bound scale (monotone nondecreasing)."""
    transform = transform or (lambda v: v)
    seconds = time.perf_counter() - t0
    cert = {"stats": res.stats(), "dual": res.S}
    status = res.status
    if status == "MaxTime":
        return _failed(method, _time_limit_status(time_limit), seconds, cert, Kind.TIME_LIMIT)
    reduced = status in REDUCED_ACCURACY
    if status != "Solved" and not reduced:
        return _failed(method, f"solver status {status}: no bound", seconds, cert)
    certified_value, info = (None, {"reason": "no dual"}) if res.S is None else \
        certify(model, res.S)
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
    primal = res.primal
    if not np.isfinite(primal):
        return _failed(method, "solver returned no value: no bound", seconds, cert)
    inacc = np.nansum([abs(primal - res.dual), res.r_prim,
                       res.r_dual])
    value = float(transform(primal))
    bound = _round_lower(transform(primal - _uncertified_margin(primal, float(inacc))), 0.0)
    return RankBound(method, "lower", value, bound, certified=False, seconds=seconds,
                     status=f"ok (uncertified: {reason})", certificate=cert)
