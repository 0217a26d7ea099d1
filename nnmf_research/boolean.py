"""Boolean matrix factorization: X ≈ W∘H over the Boolean semiring, (W∘H)_ij = OR_l W_il H_lj.

    minimize  errors(W, H) = #{(i, j) : X_ij ≠ (W∘H)_ij}     over W ∈ {0,1}^{m×k}, H ∈ {0,1}^{k×n}

for 0/1 data X. The smallest k with 0 errors is the Boolean rank of X, which equals the
rectangle covering number of its support (a rank-one Boolean term is a rectangle R × C of
ones; :mod:`nnmf_research.bounds.rectangle_cover` computes the same number over maximal
rectangles). Methods (:func:`boolean_nmf`):

* ``"exact"`` — the compact integer program of Kovács, Günlük & Hauser (Math. Oper. Res. 49,
  2024; :func:`nnmf_research.models.integer.boolean_model`) on X with its zero rows and
  columns removed and duplicate rows and columns merged (the multiplicities become entry
  weights: an optimal factorization gives equal rows of X equal rows of W). The decision
  version (Z = X: is there an exact factorization?) is solved first: when it is feasible the
  answer is 0 errors, proved; when it is infeasible, at least one error is proved and the
  error-minimising program runs. A time limit returns the better of the incumbent and the
  ASSO answer with status "time limit (gap g)".
  :func:`boolean_rank` runs the decision version alone for k = 1, 2, … .
* ``"asso"`` — ASSO (Miettinen, Mielikäinen, Gionis, Das & Mannila, IEEE TKDE 20(10), 2008):
  candidate basis rows from the thresholded association (confidence) matrix of the columns,
  conf(j ⇒ j') = ⟨x_j, x_j'⟩ / ⟨x_j, x_j⟩ ≥ τ, chosen greedily with their best usage column to
  maximise the cover gain w₊·(new ones covered) − w₋·(new zeros covered); τ from a grid
  (0.1, …, 1.0) unless given, keeping the fewest errors.
* ``"threshold"`` — thresholded NMF (Zhang, Li, Ding, Ren & Zhang, ICDM 2007): an NMF X ≈ WH
  (the toolkit's HALS), rescaled so that column l of W and row l of H have the same maximum,
  then W ≥ w and H ≥ h with the thresholds (w, h) chosen on a grid of quantiles to minimise
  the Boolean errors (the paper minimises the ordinary-product error; the Boolean one is the
  quantity reported here).

Example
-------
>>> import numpy as np
>>> X = np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1]])
>>> fit = boolean_nmf(X, 2, method="exact")
>>> fit.errors, fit.status, ((fit.W @ fit.H) > 0).astype(int).tolist() == X.tolist()
(0, 'optimal', True)
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .checks import NMFInputError, check_choice, check_matrix, check_nonnegative_real, \
    check_rank, check_random_state
from .integer import IntegralFactors
from .models.integer import boolean_model, format_gap, relative_gap
from .status import Kind, Status, kind_of

__all__ = ["boolean_nmf", "boolean_rank", "BooleanFactorization", "boolean_product",
           "boolean_errors", "asso", "threshold_nmf", "reduce_duplicates",
           "check_binary_matrix", "METHODS"]

METHODS = ("exact", "asso", "threshold")


@dataclass(frozen=True)
class BooleanFactorization(IntegralFactors):
    """X ≈ W∘H over the Boolean semiring, W (m×k) and H (k×n) 0/1 (int64).

    ``errors`` = #{X ≠ W∘H}, recomputed from W and H; ``lower_bound`` a proved lower bound on
    the fewest errors with k terms (0 unless the exact method proved more); ``gap`` the
    relative gap; ``status`` "optimal", "time limit (gap g)" or, for a heuristic, "heuristic
    (gap g to the best bound)"; ``diagnostics`` holds e.g. the reduced size, the chosen τ,
    the LP relaxation value.
    """

    W: np.ndarray
    H: np.ndarray
    errors: int
    lower_bound: float
    gap: float
    status: str
    method: str
    seconds: float = 0.0
    diagnostics: dict = field(default_factory=dict, repr=False)

    def summary(self) -> dict[str, Any]:
        return {"shape": [int(self.W.shape[0]), int(self.H.shape[1])], "k": self.k,
                "method": self.method, "errors": int(self.errors),
                "lower_bound": float(self.lower_bound), "gap": float(self.gap),
                "status": str(self.status), "seconds": float(self.seconds)}


def check_binary_matrix(X, name: str = "X") -> np.ndarray:
    """X as a 0/1 int64 matrix; any other entry is a named error."""
    A = check_matrix(X, name)
    bad = (A != 0) & (A != 1)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise NMFInputError(
            f"a Boolean factorization needs 0/1 data: {name} entry {idx} is {A[idx]:g} "
            f"({int(bad.sum())} entries are not 0 or 1)")
    return A.astype(np.int64)


def boolean_product(W, H) -> np.ndarray:
    """(W∘H)_ij = OR_l W_il H_lj as a 0/1 int64 matrix."""
    return ((np.asarray(W, np.int64) @ np.asarray(H, np.int64)) > 0).astype(np.int64)


def boolean_errors(X, W, H) -> int:
    """#{(i, j) : X_ij ≠ (W∘H)_ij}."""
    return int((boolean_product(W, H) != (np.asarray(X) > 0)).sum())


def reduce_duplicates(X):
    """Remove zero rows and columns and merge duplicates.

    Returns (Xr, weights, rows, cols): Xr (p×q) holds the distinct non-zero rows and columns,
    weights[i, j] = (copies of row i)·(copies of column j), and ``rows`` (length m) maps each
    row of X to its row of Xr (−1 for a zero row); ``cols`` likewise.
    """
    X = np.asarray(X)
    m, n = X.shape
    rows = np.full(m, -1)
    cols = np.full(n, -1)
    nz_r = np.flatnonzero(X.any(axis=1))
    nz_c = np.flatnonzero(X.any(axis=0))
    if nz_r.size == 0:
        return np.zeros((0, 0), X.dtype), np.zeros((0, 0)), rows, cols
    Y = X[np.ix_(nz_r, nz_c)]
    uniq_r, inv_r, cnt_r = np.unique(Y, axis=0, return_inverse=True, return_counts=True)
    # Columns of Y are equal exactly when they are equal on the distinct rows, so the
    # column classes of uniq_r are those of Y (same column order).
    uniq_c, inv_c, cnt_c = np.unique(uniq_r, axis=1, return_inverse=True, return_counts=True)
    rows[nz_r] = inv_r.ravel()
    cols[nz_c] = inv_c.ravel()
    weights = np.outer(cnt_r, cnt_c).astype(float)
    return uniq_c, weights, rows, cols


def _expand(A, B, rows, cols, k):
    m, n = rows.size, cols.size
    W = np.zeros((m, k), np.int64)
    H = np.zeros((k, n), np.int64)
    W[rows >= 0] = A[rows[rows >= 0]]
    H[:, cols >= 0] = B[:, cols[cols >= 0]]
    return W, H


def _say(progress, start, method: str, text: str) -> None:
    """A progress line on stderr in the drivers' format (``progress`` None: silent)."""
    if progress is not None:
        print(f"[nnmf] boolean {method}: {text}  {time.perf_counter() - start:8.1f} s",
              file=sys.stderr, flush=True)


def asso(X, k: int, *, tau: float | None = None, w_pos: float = 1.0, w_neg: float = 1.0):
    """ASSO (Miettinen et al. 2008; module docstring): (W, H, τ used)."""
    return _asso(X, k, tau, w_pos, w_neg)[:3]


def _asso(X, k, tau, w_pos, w_neg, progress=None, start=None):
    """ASSO with progress lines (every ``progress`` seconds, after a τ) and Ctrl-C: the best
    complete τ so far (W = H = 0 before the first), then True as a fourth element."""
    start = time.perf_counter() if start is None else start
    X = np.asarray(X) > 0
    m, n = X.shape
    taus = [tau] if tau is not None else [t / 10 for t in range(1, 11)]
    sizes = X.sum(axis=0).astype(float)
    co = X.T.astype(float) @ X.astype(float)
    conf = np.divide(co, sizes[:, None], out=np.zeros_like(co), where=sizes[:, None] > 0)
    best = (np.zeros((m, k), np.int64), np.zeros((k, n), np.int64), int(X.sum()), taus[0])
    best_t = None
    next_report = 0.0 if progress is not None else None
    try:
        for t in taus:
            W, H, err = _asso_one(X, k, conf, t, w_pos, w_neg)
            if best_t is None or err < best[2]:
                best, best_t = (W, H, err, t), t
            elapsed = time.perf_counter() - start
            if next_report is not None and elapsed >= next_report:
                _say(progress, start, "asso", f"tau {t:g}: {err} errors (best {best[2]})")
                next_report = elapsed + progress
    except KeyboardInterrupt:
        _say(progress, start, "asso", f"interrupted: the best complete tau, {best[2]} errors")
        W, H, _, t = best
        return W, H, t, True
    W, H, _, t = best
    return W, H, t, False


def _asso_one(X, k, conf, t, w_pos, w_neg):
    """ASSO's greedy cover with confidence threshold t: (W, H, errors)."""
    m, n = X.shape
    cands = (conf >= t - 1e-12).astype(float)   # rows: candidate basis vectors
    cands = cands[cands.any(axis=1)]
    covered = np.zeros((m, n), bool)
    W = np.zeros((m, k), np.int64)
    H = np.zeros((k, n), np.int64)
    for l in range(k):
        if cands.shape[0] == 0:
            break
        new_one = (X & ~covered).astype(float)
        new_zero = (~X & ~covered).astype(float)
        gain = w_pos * new_one @ cands.T - w_neg * new_zero @ cands.T   # m × candidates
        total = np.maximum(gain, 0).sum(axis=0)
        c = int(np.argmax(total))
        if total[c] <= 0:
            break
        use = gain[:, c] > 0
        W[:, l] = use
        H[l] = cands[c].astype(np.int64)
        covered |= np.outer(use, cands[c] > 0)
    return W, H, boolean_errors(X, W, H)


def threshold_nmf(X, k: int, *, random_state=0, grid: int = 25, max_iter: int = 500):
    """Thresholded NMF (Zhang et al. 2007; module docstring): (W, H, (w, h) thresholds)."""
    return _threshold_nmf(X, k, random_state, grid, max_iter)[:3]


def _threshold_nmf(X, k, random_state, grid, max_iter, progress=None, start=None):
    """Thresholded NMF with the NMF's progress lines and Ctrl-C (the NMF keeps its last
    complete sweep; the threshold grid its best pair so far): True as a fourth element."""
    from .factorize import factorize

    start = time.perf_counter() if start is None else start
    Xf = np.asarray(X, float)
    fit = factorize(Xf, k, loss="frobenius", method="hals", random_state=random_state,
                    max_iter=max_iter, tol=1e-6, progress=progress)
    interrupted = kind_of(fit.stop_reason) is Kind.INTERRUPTED
    W, H = fit.W.copy(), fit.H.copy()
    mw = W.max(axis=0)
    mh = H.max(axis=1)
    ok = (mw > 0) & (mh > 0)
    scale = np.ones(k)
    scale[ok] = np.sqrt(mh[ok] / mw[ok])       # W_l · s, H_l / s: both maxima √(mw·mh)
    W = W * scale
    H = H / scale[:, None]
    qs = np.linspace(0, 1, grid + 1)[1:-1]
    tw = np.unique(np.quantile(W[W > 0], qs)) if (W > 0).any() else np.array([0.5])
    th = np.unique(np.quantile(H[H > 0], qs)) if (H > 0).any() else np.array([0.5])
    best = None
    try:
        for a in tw:
            Wb = (W >= a).astype(np.int64)
            for b in th:
                Hb = (H >= b).astype(np.int64)
                err = boolean_errors(X, Wb, Hb)
                if best is None or err < best[2]:
                    best = (Wb, Hb, err, (float(a), float(b)))
    except KeyboardInterrupt:
        interrupted = True
        if best is None:   # not one pair done: the largest thresholds' (fewest ones) answer
            a, b = float(tw[-1]), float(th[-1])
            Wb, Hb = (W >= a).astype(np.int64), (H >= b).astype(np.int64)
            best = (Wb, Hb, boolean_errors(X, Wb, Hb), (a, b))
    _say(progress, start, "threshold", f"{'interrupted; ' if interrupted else ''}best "
         f"thresholds {best[3][0]:.3g}, {best[3][1]:.3g}: {best[2]} errors")
    return best[0], best[1], best[3], interrupted


def _exact(X, k, time_limit, solver, constraints, diagnostics, progress=None):
    """The decision program, then the error-minimising one, on the reduced matrix:
    (W, H, proved lower bound, status); W = H = None when no solution came in time or
    Ctrl-C stopped a solve (status kind INTERRUPTED, the bound proved before it kept)."""
    start = time.perf_counter()
    try:
        return _exact_stages(X, k, time_limit, solver, constraints, diagnostics, progress,
                             start)
    except KeyboardInterrupt:
        _say(progress, start, "exact", "interrupted (Ctrl-C)")
        return None, None, diagnostics.get("proved_errors", 0.0), Status(Kind.INTERRUPTED, "interrupted (Ctrl-C)")


def _exact_stages(X, k, time_limit, solver, constraints, diagnostics, progress, start):
    Xr, weights, rows, cols = reduce_duplicates(X)
    diagnostics["reduced_shape"] = list(Xr.shape)
    if Xr.size == 0:
        z = np.zeros
        return z((X.shape[0], k), np.int64), z((k, X.shape[1]), np.int64), 0.0, \
            Status(Kind.OK, "optimal")
    kk = min(k, min(Xr.shape))          # more terms than distinct rows cannot help
    def left():
        return None if time_limit is None else max(time_limit - (time.perf_counter() - start),
                                                   0.05)
    _say(progress, start, "exact", f"decision program (0 errors?) on the reduced "
         f"{Xr.shape[0]}x{Xr.shape[1]}, k={kk}")
    decision = boolean_model(Xr, kk, weights=weights, solver=solver, constraints=constraints,
                             zero_errors=True)
    A, B, err, _, status = decision.solve(time_limit=left())
    if A is not None:
        _say(progress, start, "exact", "0 errors: optimal")
        W, H = _expand(A, B, rows, cols, k)
        return W, H, 0.0, Status(Kind.OK, "optimal")
    lower = float(weights.min()) if status.kind is Kind.FAILED else 0.0   # infeasible: ≥ 1 error
    diagnostics["decision"] = str(status)
    diagnostics["proved_errors"] = lower
    _say(progress, start, "exact", f"decision: {status}; the error-minimising program runs"
         if status.kind is not Kind.TIME_LIMIT else f"decision: {status}")
    if status.kind is Kind.TIME_LIMIT:
        return None, None, lower, status
    model = boolean_model(Xr, kk, weights=weights, solver=solver, constraints=constraints)
    A, B, err, bound, status = model.solve(time_limit=left())
    lower = max(lower, math.ceil(bound - 1e-6))   # errors are integers
    _say(progress, start, "exact", f"error-minimising program: {status}, "
         f"{'no solution' if A is None else f'{err:g} weighted errors'}, bound {lower:g}")
    if A is None:
        return None, None, lower, status
    W, H = _expand(A, B, rows, cols, k)
    return W, H, lower, status


def boolean_nmf(X, k: int, *, method: str = "exact", time_limit: float | None = 60,
                random_state=0, tau: float | None = None, solver: str | None = None,
                constraints: Callable | None = None,
                progress: float | None = None) -> BooleanFactorization:
    """Boolean MF of 0/1 data X with k terms by the exact integer program, ASSO or
    thresholded NMF (module docstring).

    Parameters
    ----------
    X : (m, n) 0/1 array (anything else is a named error)
    k : int in [1, min(m, n)]
    method : {"exact", "asso", "threshold"}
    time_limit : seconds for the exact method's solves (None: no limit)
    random_state : seed of the NMF in "threshold"
    tau : ASSO's confidence threshold (None: the best of 0.1, …, 1.0)
    solver : MILP solver for "exact" (SCIP by default, or HIGHS)
    constraints : ``constraints(A)`` on the reduced m'×k Variable A ("exact" only)
    progress : seconds between progress lines on stderr (None: silent): "exact" prints one
        at each program's start and end (SCIP, called through CVXPY, offers no callback
        during a solve), "asso" after a τ, "threshold" the NMF's sweeps and the chosen
        thresholds.

    Ctrl-C returns the last complete answer with status "interrupted (gap g)": the NMF's
    last sweep thresholded, ASSO's best τ so far, or, for "exact" (whose solver keeps no
    incumbent through an interrupt), ASSO's answer with the bound proved before the stop.
    """
    X = check_binary_matrix(X)
    k = check_rank(k, X.shape)
    method = check_choice(method, "method", METHODS)
    time_limit = check_nonnegative_real(time_limit, "time_limit", allow_none=True)
    check_random_state(random_state)
    if constraints is not None and method != "exact":
        raise NMFInputError("constraints= needs method='exact'")
    start = time.perf_counter()
    diagnostics: dict = {}
    lower = 0.0
    interrupted = Status(Kind.INTERRUPTED, "interrupted (Ctrl-C)")
    if method == "exact":
        W, H, lower, status = _exact(X, k, time_limit, solver, constraints, diagnostics,
                                     progress)
        if status.kind in (Kind.TIME_LIMIT, Kind.INTERRUPTED):
            # Stopped early: the better of the MIP's incumbent and ASSO's answer, with the
            # MIP's bound.
            Wa, Ha, diagnostics["tau"] = asso(X, k)
            if W is None or boolean_errors(X, Wa, Ha) < boolean_errors(X, W, H):
                W, H = Wa, Ha
                diagnostics["incumbent"] = "asso (better than the MIP's incumbent in time)"
    elif method == "asso":
        W, H, diagnostics["tau"], stopped = _asso(X, k, tau, 1.0, 1.0, progress, start)
        status = interrupted if stopped else None
    else:
        W, H, diagnostics["thresholds"], stopped = _threshold_nmf(
            X, k, random_state, 25, 500, progress, start)
        status = interrupted if stopped else None
    errors = boolean_errors(X, W, H)
    lower = min(lower, errors)
    gap = relative_gap(errors, lower)
    if gap == 0.0:
        final = Status(Kind.OK, "optimal")
    elif status is not None and status.kind is Kind.TIME_LIMIT:
        final = Status(Kind.TIME_LIMIT, f"time limit (gap {format_gap(gap)})")
    elif status is not None and status.kind is Kind.INTERRUPTED:
        final = Status(Kind.INTERRUPTED, f"interrupted (gap {format_gap(gap)})")
    else:
        final = Status(Kind.STOPPED, f"heuristic (gap {format_gap(gap)} to the best bound)")
    return BooleanFactorization(W=np.asarray(W, np.int64), H=np.asarray(H, np.int64),
                                errors=errors, lower_bound=float(lower), gap=gap, status=final,
                                method=method, seconds=time.perf_counter() - start,
                                diagnostics=diagnostics)


def boolean_rank(X, *, time_limit: float | None = 60, solver: str | None = None):
    """The Boolean rank of 0/1 X by the exact program: the smallest k whose decision version
    (Z = X in :func:`~nnmf_research.models.integer.boolean_model`, on the reduced matrix) is
    feasible. Returns (rank or None, W, H, status): None with a "time limit" status when a
    decision did not finish within what is left of ``time_limit`` (the rank is then larger
    than every k proved infeasible, which the status names).
    """
    X = check_binary_matrix(X)
    time_limit = check_nonnegative_real(time_limit, "time_limit", allow_none=True)
    start = time.perf_counter()
    Xr, weights, rows, cols = reduce_duplicates(X)
    if Xr.size == 0:
        return 0, np.zeros((X.shape[0], 0), np.int64), np.zeros((0, X.shape[1]), np.int64), \
            Status(Kind.OK, "optimal")
    for k in range(1, min(Xr.shape) + 1):
        left = None if time_limit is None else time_limit - (time.perf_counter() - start)
        if left is not None and left <= 0:
            break
        A, B, _, _, status = boolean_model(Xr, k, weights=weights, solver=solver,
                                           zero_errors=True).solve(time_limit=left)
        if A is not None:
            W, H = _expand(A, B, rows, cols, k)
            return k, W, H, Status(Kind.OK, "optimal")
        if status.kind is Kind.TIME_LIMIT:
            break
    proved = k - 1
    return None, None, None, Status(Kind.TIME_LIMIT,
                                    f"time limit: the Boolean rank is > {proved}")
