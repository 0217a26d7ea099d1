"""Exact NMF heuristics: find W ≥ 0 (m×r), H ≥ 0 (r×n) with X = WH, the upper-bound half of
computing the nonnegative rank rank₊(X).

Deciding whether rank₊(X) ≤ r is NP-hard (Vavasis 2009), so this module searches
numerically and never over-claims. "Exact" in the sense of Vandaele, Gillis, Glineur &
Tuyttens, "Heuristics for exact nonnegative matrix factorization", J. Global Optim. 65
(2016) 369–400, is a relative error ‖X − WH‖_F/‖X‖_F below ``tol`` = 1e-6; a found factorization
is then polished (more inner iterations until the error stops falling, usually to ~1e-15) so
that :mod:`nnmf_research.bounds.certificates` can turn it into an exact-arithmetic proof.

Heuristics (their recipes, with their default parameters):

multistart  ``ms``: random starts (uniform, or the sparse "one 1 per column" start) each
            followed by local improvement; keep the best.
rank_by_rank ``rbr``: start from the dominant rank-one term (|u₁|√σ₁, |v₁|√σ₁); for
            i = 2..r try K = 10 random new columns/rows, run N = 50 inner iterations on the
            rank-i problem, keep the best; then local improvement.
annealing   ``sa``: temperatures logspace(T₀, T_f, β) = logspace(−1, −4, 20); at each, K = 50
            times re-initialise J = 2 random columns of W and rows of H, run N = 100 inner
            iterations, accept a better error always and a worse one with probability
            exp(−Δ/T) (Δ in relative error); then local improvement.
hybrid      rank-by-rank, then (if not exact) annealing from its result, then local
            improvement.

Local improvement repeats chunks of inner iterations and stops when the error is below
``tol``, when a chunk did not lower it by the factor 0.99, or at the time limit. The inner
solver is any one-factor update (default: the toolkit's accelerated HALS); annealing and
multi-start also accept CVXPY models, rank-by-rank needs a size-agnostic update.

Special cases need no search: r ≥ min(m, n) has the trivial factorization (X·I or I·X);
rank(X) ≤ 2 has rank₊ = rank (Cohen & Rothblum 1993) and the factorization is built from the
extreme rays of the cone of the columns.

Every run ends with the best relative error found, the rank, the time spent and a status:
"numerically exact (< tol)" or "not found" here; "certified exact" only after
:func:`nnmf_research.bounds.certificates.certify` verified it in exact arithmetic.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from .. import losses
from ..checks import NMFInputError, check_choice, check_matrix, check_positive_int
from ..drivers.alternating import alternate
from ..drivers.restarts import checkpoint_for, restart_seed, run_restarts
from ..kernels import HALS
from ..status import Kind, kind_of

__all__ = ["HEURISTICS", "ExactNMFResult", "exact_nmf", "trivial_factorization",
           "rank_two_factorization"]

HEURISTICS = ("multistart", "rank_by_rank", "annealing", "hybrid")
NOT_FOUND = "not found"
NUMERICAL = "numerically exact (< tol)"


@dataclass(frozen=True)
class ExactNMFResult:
    """The outcome of an exact-NMF search at inner dimension r."""

    W: np.ndarray
    H: np.ndarray
    r: int
    relative_error: float
    status: str
    heuristic: str
    seconds: float
    attempts: int = 0
    notes: str = ""
    errors: tuple[float, ...] = field(default=(), repr=False)

    @property
    def found(self) -> bool:
        return self.status != NOT_FOUND

    def summary(self) -> dict:
        return {"r": self.r, "relative_error": self.relative_error, "status": self.status,
                "heuristic": self.heuristic, "seconds": self.seconds,
                "attempts": self.attempts, "notes": self.notes}


def _relerr(X, W, H, norm_x):
    return float(np.sqrt(losses.frobenius(X, W, H))) / norm_x


def trivial_factorization(X: np.ndarray, r: int) -> tuple[np.ndarray, np.ndarray]:
    """X = X·I (r ≥ n) or I·X (r ≥ m), zero-padded to inner dimension r."""
    m, n = X.shape
    if r >= n:
        W = np.zeros((m, r))
        W[:, :n] = X
        H = np.zeros((r, n))
        H[:n] = np.eye(n)
        return W, H
    if r >= m:
        W = np.zeros((m, r))
        W[:, :m] = np.eye(m)
        H = np.zeros((r, n))
        H[:m] = X
        return W, H
    raise NMFInputError(f"r={r} < min(m, n)={min(m, n)}: no trivial factorization")


def rank_two_factorization(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact NMF with inner dimension rank(X) for rank(X) ≤ 2 (Cohen & Rothblum 1993).

    rank 1: X = |u|√σ (|v|√σ)ᵀ. rank 2: the non-zero columns span a pointed 2-D cone; its
    two extreme rays are data columns x_a, x_b, and every column is a non-negative
    combination of them: W = [x_a, x_b], H = the (non-negative) coordinates.
    """
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    rank = int(np.sum(s > s[0] * max(X.shape) * np.finfo(float).eps)) if s[0] > 0 else 0
    if rank == 0:
        raise NMFInputError("X is all zeros")
    if rank == 1:
        return (np.abs(U[:, :1]) * np.sqrt(s[0]), np.abs(Vt[:1]) * np.sqrt(s[0]))
    if rank > 2:
        raise NMFInputError(f"rank(X) = {rank} > 2")
    C = U[:, :2].T @ X  # 2-D coordinates of the columns
    norms = np.linalg.norm(C, axis=0)
    live = norms > 0
    d = (C[:, live] / norms[live]).sum(axis=1)  # a direction inside the cone
    angle = np.arctan2(d[0] * C[1] - d[1] * C[0], d @ C)
    angle[~live] = 0.0
    a, b = int(np.argmin(np.where(live, angle, np.inf))), int(np.argmax(np.where(live, angle,
                                                                                 -np.inf)))
    W = X[:, [a, b]].copy()
    H, *_ = np.linalg.lstsq(W, X, rcond=None)
    return W, np.maximum(H, 0.0)


class _Search:
    """Shared state of one heuristic run: inner solver, clock, best so far."""

    def __init__(self, X, r, update, tol, time_limit, rng):
        self.X, self.r, self.update, self.tol = X, r, update, tol
        self.norm_x = float(np.linalg.norm(X))
        self.deadline = time.perf_counter() + time_limit
        self.rng = rng
        self.errors: list[float] = []

    def out_of_time(self) -> bool:
        return time.perf_counter() >= self.deadline

    def iterate(self, W, H, n_iter):
        pair = self.update if isinstance(self.update, tuple) else (self.update, "same")
        # the deadline binds inside a chunk too: a chunk of 1000 CVXPY sweeps takes ~40 s
        left = max(0.0, self.deadline - time.perf_counter())
        fit = alternate(self.X, W, H, *pair, max_iter=n_iter, tol=0, time_limit=left)
        if kind_of(fit.stop_reason) is Kind.INTERRUPTED:
            # the loop turned Ctrl-C into a partial result; a search stops on it (a finished
            # restart is saved, this one is not)
            raise KeyboardInterrupt
        return fit.W, fit.H, fit.relative_error

    def random_start(self, r, sparse: bool):
        m, n = self.X.shape
        if sparse:  # "sparse10": one 1 per column of W and of H
            W = np.zeros((m, r))
            W[self.rng.integers(0, m, r), np.arange(r)] = 1.0
            H = np.zeros((r, n))
            H[self.rng.integers(0, r, n), np.arange(n)] = 1.0
        else:
            W, H = self.rng.random((m, r)), self.rng.random((r, n))
        scale = np.sqrt(self.norm_x / max(np.linalg.norm(W @ H), 1e-300))
        return W * scale, H * scale

    def local_improvement(self, W, H, chunk=1000, factor=0.99):
        err = _relerr(self.X, W, H, self.norm_x)
        while err >= self.tol and not self.out_of_time():
            W, H, new = self.iterate(W, H, chunk)
            stalled = new > factor * err
            err = new
            if stalled:
                break
        return W, H, err

    def polish(self, W, H, chunk=500):
        """Keep iterating while the error still falls by 10% a chunk (towards ~1e-15)."""
        err = _relerr(self.X, W, H, self.norm_x)
        for _ in range(40):
            if self.out_of_time() and err < self.tol:
                break
            W2, H2, new = self.iterate(W, H, chunk)
            if new < err:
                W, H = W2, H2
            if not new < 0.9 * err or new < 1e-14:
                err = min(err, new)
                break
            err = new
        return W, H, err

    # -- heuristics -----------------------------------------------------------------------
    def multistart(self, attempts=10, sparse=True):
        best = None
        for _ in range(attempts):
            W, H = self.random_start(self.r, sparse)
            W, H, err = self.local_improvement(W, H)
            self.errors.append(err)
            if best is None or err < best[2]:
                best = (W, H, err)
            if err < self.tol or self.out_of_time():
                break
        return best

    def rank_by_rank(self, tries=10, n_iter=50):
        U, s, Vt = np.linalg.svd(self.X, full_matrices=False)
        W = np.abs(U[:, :1]) * np.sqrt(s[0])
        H = np.abs(Vt[:1]) * np.sqrt(s[0])
        m, n = self.X.shape
        for i in range(2, self.r + 1):
            best = None
            for _ in range(tries):
                scale = np.sqrt(self.norm_x / (m * n)) + 1e-300
                Wi = np.hstack([W, scale * self.rng.random((m, 1))])
                Hi = np.vstack([H, scale * self.rng.random((1, n))])
                Wi, Hi, err = self.iterate(Wi, Hi, n_iter)
                if best is None or err < best[2]:
                    best = (Wi, Hi, err)
                if self.out_of_time():
                    break
            W, H = best[0], best[1]
        W, H, err = self.local_improvement(W, H)
        self.errors.append(err)
        return W, H, err

    def annealing(self, start=None, T0=-1.0, Tf=-4.0, levels=20, tries=50, n_iter=100,
                  perturbed=2):
        if start is None:
            W, H = self.random_start(self.r, sparse=True)
            W, H, err = self.iterate(W, H, n_iter)
        else:
            W, H, err = start
        best = (W, H, err)
        m, n = self.X.shape
        for T in np.logspace(T0, Tf, levels):
            for _ in range(tries):
                if best[2] < self.tol or self.out_of_time():
                    break
                cols = self.rng.choice(self.r, size=min(perturbed, self.r), replace=False)
                W2, H2 = W.copy(), H.copy()
                Wn, Hn = self.random_start(self.r, sparse=False)
                W2[:, cols], H2[cols] = Wn[:, cols], Hn[cols]
                W2, H2, e2 = self.iterate(W2, H2, n_iter)
                if e2 < err or self.rng.random() < np.exp(-(e2 - err) / T):
                    W, H, err = W2, H2, e2
                    if err < best[2]:
                        best = (W, H, err)
        W, H, err = self.local_improvement(*best[:2])
        self.errors.append(err)
        return W, H, err

    def hybrid(self):
        W, H, err = self.rank_by_rank()
        if err >= self.tol and not self.out_of_time():
            W, H, err = self.annealing(start=(W, H, err))
        if err >= self.tol and not self.out_of_time():
            W, H, err = self.local_improvement(W, H)
        return W, H, err


def _run_heuristic(X, r, heuristic, tol, time_limit, seed, update, attempts, polish):
    search = _Search(X, r, update or HALS(), tol, time_limit, np.random.default_rng(seed))
    if heuristic == "multistart":
        W, H, err = search.multistart(attempts=attempts)
    elif heuristic == "rank_by_rank":
        W, H, err = search.rank_by_rank()
    elif heuristic == "annealing":
        W, H, err = search.annealing()
    else:
        W, H, err = search.hybrid()
    if polish and err < tol:
        W, H, err = search.polish(W, H)
    return W, H, err, len(search.errors)


def _restart(X, r, heuristic, tol, time_limit, seed, index, update, attempts, polish):
    """One independent restart, seeded by (seed, index) (:func:`restart_seed`)."""
    W, H, err, n = _run_heuristic(X, r, heuristic, tol, time_limit, restart_seed(seed, index),
                                  update, attempts, polish)
    return {"W": W, "H": H, "err": err, "attempts": n}


def exact_nmf(X, r: int, *, heuristic: str = "hybrid", tol: float = 1e-6,
              time_limit: float = 60.0, random_state: int = 0, update=None,
              attempts: int = 10, restarts: int = 1, n_jobs: int = 1,
              checkpoint_dir=None, polish: bool = True) -> ExactNMFResult:
    """Search for an exact NMF X = WH with inner dimension ``r`` (see the module docstring).

    Parameters
    ----------
    X : (m, n) non-negative matrix
    r : inner dimension, 1 <= r <= min(m, n); r = min(m, n) returns the trivial factorization
    heuristic : "multistart" | "rank_by_rank" | "annealing" | "hybrid"
    tol : relative error below which a factorization counts as numerically exact
    time_limit : seconds for each restart
    random_state : int seed (the same seed gives the same search)
    update : one-factor update for the inner iterations (default: accelerated HALS), or a
        pair (update_H, update_W) such as two CVXPY models built for r×n and r×m, which
        lets the search respect extra constraints (multi-start and annealing only:
        rank-by-rank changes the inner dimension, so it needs a size-agnostic update)
    attempts : starts inside one multi-start run
    restarts : independent runs of the heuristic (seeds (random_state, i)); with
        ``n_jobs > 1`` they run in parallel through joblib, otherwise one after another
        until one succeeds
    checkpoint_dir : folder where each finished restart is saved atomically; a rerun with the
        same X and options (r, heuristic, tol, time_limit, random_state, attempts, update,
        polish: everything that can change a restart) loads them
        (:mod:`nnmf_research.drivers.restarts`). An update without a faithful fingerprint (a
        CVXPY model, a plain function) disables the cache with a ``CheckpointWarning`` and
        the reason in ``notes``.
    polish : after success, iterate on towards machine precision

    Returns
    -------
    ExactNMFResult with status "numerically exact (< tol)" or "not found".
    """
    start = time.perf_counter()
    X = check_matrix(X)
    m, n = X.shape
    r = check_positive_int(r, "r", low=1, high=min(m, n))
    check_choice(heuristic, "heuristic", HEURISTICS)
    restarts = check_positive_int(restarts, "restarts")
    seed = check_positive_int(random_state, "random_state", low=0)
    norm_x = float(np.linalg.norm(X))
    if norm_x == 0:
        raise NMFInputError("X is all zeros")

    def result(W, H, how, notes="", attempts_done=0, errors=()):
        err = _relerr(X, W, H, norm_x)
        status = NUMERICAL if err < tol else NOT_FOUND
        return ExactNMFResult(W, H, r, err, status, how, time.perf_counter() - start,
                              attempts_done, notes, tuple(errors))

    if r == min(m, n):
        W, H = trivial_factorization(X, r)
        return result(W, H, "trivial", "r = min(m, n): X·I or I·X")
    from .rank import matrix_rank

    rank = matrix_rank(X)   # ≤ the exact rank of the stored values; invariant under scaling
    if rank <= 2 and r >= rank:
        W, H = rank_two_factorization(X)
        W = np.hstack([W, np.zeros((m, r - W.shape[1]))])
        H = np.vstack([H, np.zeros((r - H.shape[0], n))])
        return result(W, H, "rank<=2", "rank(X) <= 2: extreme rays (Cohen & Rothblum 1993)")
    if r < rank:
        return result(np.zeros((m, r)), np.zeros((r, n)), "rank",
                      f"r = {r} < rank(X) = {rank}: no exact NMF exists")

    update = update or HALS()
    checkpoint, disabled = checkpoint_for(
        checkpoint_dir, ("W", "H", "err", "attempts"), X=X, r=r, heuristic=heuristic, tol=tol,
        time_limit=time_limit, seed=seed, attempts=attempts, update=update, polish=polish)
    runs = run_restarts(
        partial(_restart, X, r, heuristic, tol, time_limit, seed, update=update,
                attempts=attempts, polish=polish),
        restarts, accept=lambda run: run["err"] < tol, n_jobs=n_jobs, checkpoint=checkpoint)
    best = min(runs, key=lambda run: float(run["err"]))
    notes = f"{len(runs)} restart(s)" + (f"; {disabled}" if disabled else "")
    return result(best["W"], best["H"], heuristic, notes=notes,
                  attempts_done=sum(int(run["attempts"]) for run in runs),
                  errors=[float(run["err"]) for run in runs])
