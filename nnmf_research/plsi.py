"""PLSI by EM, its exact conversions to and from KL-NMF, and the identity between their objectives.

Probabilistic latent semantic indexing (Hofmann, "Probabilistic latent semantic indexing",
SIGIR 1999; "Unsupervised learning by probabilistic latent semantic analysis", Mach. Learn.
42, 2001) models a word × document count matrix X (m×n, N = Σ_ij X_ij) as

    P(w_i, d_j) = Σ_z P(z) P(w_i|z) P(d_j|z)          maximize  L = Σ_ij X_ij log P(w_i, d_j)

EM (Hofmann 2001, eqs. 4–6), with the E-step folded into the M-step so only the stored entries
of X are visited: with P_t = P(w_r, d_c) on each non-zero t = (r, c) and R = X/P there,

    A = P(w|z)·diag P(z) ∘ (R P(d|z))     (m×k)      B = P(d|z) ∘ (Rᵀ P(w|z) diag P(z))   (n×k)
    P(w|z) ← A / colsum(A),   P(d|z) ← B / colsum(B),   P(z) ← colsum(A)/N   (colsum A = colsum B)

Time O(nnz·k) per iteration, memory O(nnz + (m + n)k) (:mod:`nnmf_research.sparse_support`):
a scipy.sparse X is never densified. The three distributions are the blocks of the one
block-coordinate loop (:func:`nnmf_research.drivers.block_coordinate.block_coordinate`), in the
order P(w|z), P(d|z), P(z); the first update does the E-step and keeps its statistics keyed by
the identity of the state it read, so the other two use that same E-step — Hofmann's EM
exactly — and recompute it (an ECM step, Meng & Rubin 1993) only when handed another state.
Either way each sweep never decreases L (EM's monotonicity, Dempster, Laird & Rubin 1977).

Equivalence with KL-NMF (Ding, Li & Peng, AAAI 2006; Comput. Stat. Data Anal. 52(8):3913–3927,
2008; Gaussier & Goutte, SIGIR 2005). For W ≥ 0 (m×k), H ≥ 0 (k×n) with a_z = Σ_i W_iz,
b_z = Σ_j H_zj and S = Σ_ij (WH)_ij = Σ_z a_z b_z:

    nmf_to_plsi:  P(w|z) = W_:z / a_z,   P(d|z) = H_z: / b_z,   P(z) = a_z b_z / S
    plsi_to_nmf:  W = P(w|z) diag(S·P(z)),   H = P(d|z)ᵀ          (so WH = S·P(w, d) exactly)

and for the I-divergence J(W, H) = Σ X log(X/WH) − X + WH, with P = WH/S,

    J(W, H) = −L(P) + Σ_ij X_ij log(X_ij/N) + [S − N − N log(S/N)],

the bracket being ≥ 0 and 0 exactly when S = N. KL-NMF's multiplicative updates give S = N
after every step (:mod:`nnmf_research.kernels.multiplicative`) and so at their fixed points, and a PLSI
model has S = N by construction: there J = −L + Σ X log(X/N), the same objective up to a
constant (:func:`kl_plsi_identity` returns both sides).

Example
-------
>>> import numpy as np, scipy.sparse as sp
>>> X = sp.csr_matrix(np.array([[4, 0, 1], [3, 1, 0], [0, 5, 2], [1, 4, 3]]))
>>> model = plsi(X, 2, random_state=0, max_iter=200)
>>> bool(np.isclose(model.p_z.sum(), 1.0)), model.p_w_given_z.shape, model.p_d_given_z.shape
(True, (4, 2), (3, 2))
>>> W, H = plsi_to_nmf(model)
>>> check = kl_plsi_identity(X, W, H)
>>> bool(check.relative_gap < 1e-12)
True
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import xlogy

from .checks import (NMFInputError, check_factor, check_matrix, check_nonnegative_real,
                     check_positive_int, check_random_state, check_sparse_matrix)
from .drivers.block_coordinate import block_coordinate
from .drivers.hybrid import HybridResult, hybrid
from .losses import kl
from .sparse_support import product_on_support, product_total, support, with_values

__all__ = ["PLSIModel", "KLPLSIIdentity", "plsi", "plsi_to_nmf", "nmf_to_plsi",
           "kl_plsi_identity", "check_counts", "plsi_log_likelihood", "hybrid_plsi_nmf",
           "NMF_METHODS"]

NMF_METHODS = ("mu", "cd")
"""KL-NMF one-factor updates the hybrid can run: Lee–Seung MU or Hsieh–Dhillon CD."""

_TINY = np.finfo(np.float64).tiny


@dataclass(frozen=True)
class PLSIModel:
    """A PLSI model P(w, d) = Σ_z P(z) P(w|z) P(d|z) and how it was fitted.

    Attributes
    ----------
    p_z : (k,) the topic probabilities, summing to 1
    p_w_given_z : (m, k) column z is P(w|z), summing to 1
    p_d_given_z : (n, k) column z is P(d|z), summing to 1
    total : N, the mass the model is scaled to in :func:`plsi_to_nmf` (Σ X for a fit; Σ WH
        for a model converted from NMF)
    log_likelihood : L = Σ X log P(w, d) on the data it was fitted to (NaN if none)
    history : L after each EM iteration (``history[0]`` at the start): non-decreasing
    times, n_iter, stop_reason, seconds : as in :class:`~nnmf_research.results.Factorization`
    """

    p_z: np.ndarray
    p_w_given_z: np.ndarray
    p_d_given_z: np.ndarray
    total: float
    log_likelihood: float = float("nan")
    history: tuple[float, ...] = ()
    times: tuple[float, ...] = ()
    n_iter: int = 0
    stop_reason: str = ""
    seconds: float = 0.0

    @property
    def k(self) -> int:
        return int(self.p_z.shape[0])

    def summary(self) -> dict:
        """A JSON-ready summary (no distributions)."""
        return {"shape": [int(self.p_w_given_z.shape[0]), int(self.p_d_given_z.shape[0])],
                "k": self.k, "total": float(self.total),
                "log_likelihood": float(self.log_likelihood), "n_iter": int(self.n_iter),
                "stop_reason": self.stop_reason, "seconds": float(self.seconds)}


@dataclass(frozen=True)
class KLPLSIIdentity:
    """Both sides of J(W, H) = −L + Σ X log(X/N) + mass_gap (module docstring).

    ``kl`` is J(W, H) computed by :func:`nnmf_research.losses.kl`; ``plsi_side`` is
    −L(nmf_to_plsi(W, H)) + Σ X log(X/N); ``mass_gap`` = S − N − N log(S/N) ≥ 0 (0 iff
    S = Σ WH equals N = Σ X); ``relative_gap`` = |kl − plsi_side| / kl; ``mass_ratio`` = S/N.
    """

    kl: float
    plsi_side: float
    mass_gap: float
    relative_gap: float
    mass_ratio: float


def check_counts(X, name: str = "X", *, real_weights: bool = False) -> sp.csr_matrix:
    """X as a canonical CSR float64 count matrix: non-negative, finite, not all zero and —
    unless ``real_weights`` — integer-valued (PLSI's likelihood is over counts); errors name
    the first offending entry. A dense X is converted to CSR (its zeros are not stored)."""
    if sp.issparse(X):
        A = check_sparse_matrix(X, name, allow_zero=False)
    else:
        A = sp.csr_matrix(check_matrix(X, name, allow_zero=False))
    if not real_weights:
        frac = A.data != np.round(A.data)
        if frac.any():
            t = int(np.argmax(frac))
            row = int(np.searchsorted(A.indptr, t, side="right") - 1)
            raise NMFInputError(
                f"{name} entry {(row, int(A.indices[t]))} is {A.data[t]:.6g}, not a count; PLSI "
                "models integer counts (pass real_weights=True to fit real weights such as "
                "tf-idf, whose 'likelihood' is then a weighted one)")
    return A


def _normalize_columns(A: np.ndarray, previous: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A / colsum(A), keeping ``previous``'s column where the sum is 0 (a topic with no mass)."""
    sums = A.sum(axis=0)
    live = sums > 0
    out = previous.copy()
    out[:, live] = A[:, live] / sums[live]
    return out, sums


class _PLSIBlocks:
    """The blocks (P(w|z), P(d|z), P(z)) of PLSI as block updates and a loss (−L)."""

    def __init__(self, X: sp.csr_matrix):
        self.X = X
        self.rows, self.cols, self.x = support(X)
        self.N = float(self.x.sum())
        self._joint = (None, None)   # ((pw, pd, pz), P on the support)
        self._estep = (None, None)   # ((pw, pd, pz), (A, B, new pw, new pd))

    def joint(self, pw, pd, pz) -> np.ndarray:
        key = self._joint[0]
        if key is not None and key[0] is pw and key[1] is pd and key[2] is pz:
            return self._joint[1]
        P = product_on_support(pw * pz, pd.T, self.rows, self.cols)
        self._joint = ((pw, pd, pz), P)
        return P

    def estep(self, pw, pd, pz):
        """A and B of the module docstring at the state (pw, pd, pz)."""
        P = np.maximum(self.joint(pw, pd, pz), _TINY)
        R = with_values(self.X, self.x / P)
        pwz = pw * pz
        A = pwz * np.asarray(R @ pd)
        B = pd * np.asarray(R.T @ pwz)
        self._estep = ((pw, pd, pz), (A, B))
        return A, B

    def _stats_for(self, blocks, replaced: tuple[int, ...], outputs) -> tuple:
        """The E-step of the sweep's start state when ``blocks`` differ from it only in the
        ``replaced`` positions, by the very arrays this sweep's updates returned; else a
        fresh E-step at ``blocks``."""
        key, stats = self._estep
        if key is not None:
            same = all(blocks[i] is (outputs[i] if i in replaced else key[i]) for i in range(3))
            if same:
                return stats
        return self.estep(*blocks)

    def update_pw(self, blocks):
        A, _ = self.estep(*blocks)
        new, _ = _normalize_columns(A, blocks[0])
        self._out = {0: new}
        return new

    def update_pd(self, blocks):
        _, B = self._stats_for(blocks, (0,), self._out)
        new, _ = _normalize_columns(B, blocks[1])
        self._out[1] = new
        return new

    def update_pz(self, blocks):
        A, _ = self._stats_for(blocks, (0, 1), self._out)
        return A.sum(axis=0) / self.N

    def neg_log_likelihood(self, blocks) -> float:
        P = self.joint(*blocks)
        if np.any(P <= 0):
            return float("inf")
        return -float(np.dot(self.x, np.log(P)))


def plsi_log_likelihood(X, model: PLSIModel) -> float:
    """L = Σ_ij X_ij log P(w_i, d_j) of ``model`` on counts X (sparse: stored entries only;
    −inf when some X_ij > 0 has P = 0)."""
    A = check_counts(X, real_weights=True)
    rows, cols, x = support(A)
    P = product_on_support(model.p_w_given_z * model.p_z, model.p_d_given_z.T, rows, cols)
    if np.any(P <= 0):
        return float("-inf")
    return float(np.dot(x, np.log(P)))


def _check_model(model: PLSIModel, m: int, n: int, k: int) -> PLSIModel:
    if not isinstance(model, PLSIModel):
        raise NMFInputError(f"init must be a PLSIModel, a (W, H) pair or None, got "
                            f"{type(model).__name__}")
    if model.p_w_given_z.shape != (m, k) or model.p_d_given_z.shape != (n, k) \
            or model.p_z.shape != (k,):
        raise NMFInputError(
            f"the initial model has P(w|z) {model.p_w_given_z.shape}, P(d|z) "
            f"{model.p_d_given_z.shape}, P(z) {model.p_z.shape}; expected {(m, k)}, {(n, k)}, "
            f"{(k,)}")
    return model


def _random_model(m: int, n: int, k: int, random_state) -> PLSIModel:
    rng = check_random_state(random_state)
    pw = rng.random((m, k)) + 1e-3
    pd = rng.random((n, k)) + 1e-3
    return PLSIModel(np.full(k, 1.0 / k), pw / pw.sum(axis=0), pd / pd.sum(axis=0), 1.0)


def plsi(counts, k: int, *, init=None, random_state=None, max_iter: int = 500,
         tol: float = 1e-7, time_limit: float | None = None, real_weights: bool = False,
         callback=None, progress: float | None = None) -> PLSIModel:
    """Fit PLSI to a word × document count matrix by EM (module docstring).

    Parameters
    ----------
    counts : (m, n) scipy.sparse or array_like of non-negative integers (kept sparse)
    k : number of topics, 1 <= k <= min(m, n)
    init : None (uniform P(z), random P(w|z), P(d|z) from ``random_state``), a
        :class:`PLSIModel`, or a pair (W, H) of NMF factors (converted by :func:`nmf_to_plsi`)
    max_iter, tol, time_limit, progress : the block-coordinate loop's rules, on −L
    real_weights : accept non-integer weights (otherwise they are refused by name)
    callback : ``callback(iteration, model_blocks, -L)``; return True to stop

    Returns
    -------
    PLSIModel (``total`` = Σ counts)

    Empty documents (all-zero columns) and unused words get probability 0, not NaN.
    """
    start = time.perf_counter()
    X = check_counts(counts, real_weights=real_weights)
    m, n = X.shape
    k = check_positive_int(k, "k", low=1, high=min(m, n))
    max_iter = check_positive_int(max_iter, "max_iter", low=0)
    tol = check_nonnegative_real(tol, "tol")
    if init is None:
        model = _random_model(m, n, k, random_state)
    elif isinstance(init, tuple):
        W = check_factor(init[0], (m, k), "W")
        model = nmf_to_plsi(W, check_factor(init[1], (k, n), "H"))
    else:
        model = _check_model(init, m, n, k)
    blocks = _PLSIBlocks(X)
    run = block_coordinate(
        (model.p_w_given_z, model.p_d_given_z, model.p_z),
        (blocks.update_pw, blocks.update_pd, blocks.update_pz),
        blocks.neg_log_likelihood, max_iter=max_iter, tol=tol, time_limit=time_limit,
        callback=callback, progress=progress, loss_name="PLSI -log-likelihood")
    pw, pd, pz = run.blocks
    history = tuple(-h for h in run.history)
    return PLSIModel(p_z=pz, p_w_given_z=pw, p_d_given_z=pd, total=blocks.N,
                     log_likelihood=history[-1], history=history, times=run.times,
                     n_iter=run.n_iter, stop_reason=run.stop_reason,
                     seconds=time.perf_counter() - start)


def plsi_to_nmf(model: PLSIModel) -> tuple[np.ndarray, np.ndarray]:
    """W = P(w|z) diag(N·P(z)) (m×k), H = P(d|z)ᵀ (k×n), N = ``model.total``: WH = N·P(w, d)."""
    if not isinstance(model, PLSIModel):
        raise NMFInputError(f"plsi_to_nmf needs a PLSIModel, got {type(model).__name__}")
    W = model.p_w_given_z * (model.total * model.p_z)
    H = np.ascontiguousarray(model.p_d_given_z.T)
    return W, H


def nmf_to_plsi(W, H, X=None) -> PLSIModel:
    """The PLSI model with S·P(w, d) = WH, S = Σ WH (module docstring); exact both ways.

    A component with a_z·b_z = 0 adds nothing to WH and gets P(z) = 0 (its conditionals
    uniform). With counts ``X``, ``log_likelihood`` is L on X; otherwise NaN.
    """
    W = check_matrix(W, "W")
    H = check_matrix(H, "H")
    if H.shape[0] != W.shape[1]:
        raise NMFInputError(f"H has {H.shape[0]} rows, but W has {W.shape[1]} columns")
    a, b = W.sum(axis=0), H.sum(axis=1)
    mass = a * b
    S = float(mass.sum())
    if S <= 0:
        raise NMFInputError("W·H is zero: there is no distribution to convert")
    live_a, live_b = a > 0, b > 0
    pw = np.full(W.shape, 1.0 / W.shape[0])
    pw[:, live_a] = W[:, live_a] / a[live_a]
    pd = np.full(H.T.shape, 1.0 / H.shape[1])
    pd[:, live_b] = (H[live_b] / b[live_b, None]).T
    model = PLSIModel(p_z=mass / S, p_w_given_z=pw, p_d_given_z=pd, total=S,
                      stop_reason="converted from NMF factors")
    if X is not None:
        model = PLSIModel(**{**model.__dict__, "log_likelihood": plsi_log_likelihood(X, model)})
    return model


def kl_plsi_identity(X, W, H) -> KLPLSIIdentity:
    """Both sides of J(W, H) = −L(nmf_to_plsi(W, H)) + Σ X log(X/N) + mass_gap, on counts (or
    weights) X, dense or sparse (never densified)."""
    A = check_counts(X, real_weights=True)
    W = check_matrix(W, "W")
    if W.shape[0] != A.shape[0]:
        raise NMFInputError(f"W has {W.shape[0]} rows, but X has {A.shape[0]}")
    H = check_factor(H, (W.shape[1], A.shape[1]), "H")
    N = float(A.data.sum())
    S = product_total(W, H)
    L = plsi_log_likelihood(A, nmf_to_plsi(W, H))
    constant = float(np.sum(xlogy(A.data, A.data / N)))
    plsi_side = -L + constant
    divergence = kl(A, W, H)
    gap = S - N - N * np.log(S / N)
    return KLPLSIIdentity(kl=divergence, plsi_side=plsi_side, mass_gap=float(gap),
                          relative_gap=abs(divergence - plsi_side) / max(abs(divergence), _TINY),
                          mass_ratio=S / N)


def _kl_nmf_update(method: str):
    from .kernels import KERNELS

    return KERNELS[(method, "kl")]()


def hybrid_plsi_nmf(counts, k: int, *, random_state=None, W=None, H=None,
                    nmf_method: str = "mu", max_iter: int = 1000, tol: float = 1e-7,
                    max_rounds: int = 20, improve_tol: float = 1e-6,
                    real_weights: bool = False) -> HybridResult:
    """Ding, Li & Peng's hybrid: KL-NMF and PLSI alternately, each from the other's optimum.

    From (W, H) (given, or ``initialize(X, k, "random", random_state)``), round 0 runs KL-NMF
    (``nmf_method``: "mu" multiplicative updates or "cd" coordinate descent, through
    :func:`~nnmf_research.drivers.alternating.alternate`) and PLSI's EM (from
    :func:`nmf_to_plsi` of the same start) each alone to convergence (``max_iter``, ``tol``);
    then :func:`nnmf_research.drivers.hybrid.hybrid` continues from the better one with the
    other algorithm, converting with :func:`nmf_to_plsi` / :func:`plsi_to_nmf`, until neither
    lowers the I-divergence D(X‖WH) by more than ``improve_tol`` (relative).

    Returns
    -------
    HybridResult with ``state`` = (W, H), ``objective`` = D(X‖WH), ``alone`` =
    {"nmf": ..., "plsi": ...} (each alone from the same start) and ``steps`` (which algorithm
    made each improvement). The objective is never above ``min(alone.values())``.
    """
    from .drivers.alternating import alternate_checked
    from .init import initialize
    from .checks import check_choice

    X = check_counts(counts, real_weights=real_weights)
    m, n = X.shape
    k = check_positive_int(k, "k", low=1, high=min(m, n))
    check_choice(nmf_method, "nmf_method", NMF_METHODS)
    if (W is None) != (H is None):
        raise NMFInputError("give both initial factors W and H, or neither")
    if W is None:
        W, H = initialize(X, k, method="random", random_state=random_state)
    else:
        W, H = check_factor(W, (m, k), "W"), check_factor(H, (k, n), "H")
    update = _kl_nmf_update(nmf_method)

    def run_nmf(state):
        fit = alternate_checked(X, state[0], state[1], update, loss="kl", max_iter=max_iter,
                                tol=tol)
        return (fit.W, fit.H), fit.n_iter

    def run_plsi(state):
        model = plsi(X, k, init=nmf_to_plsi(*state), max_iter=max_iter, tol=tol,
                     real_weights=True)
        return plsi_to_nmf(model), model.n_iter

    return hybrid((W, H), {"nmf": run_nmf, "plsi": run_plsi}, lambda s: kl(X, *s),
                  max_rounds=max_rounds, tol=improve_tol)
