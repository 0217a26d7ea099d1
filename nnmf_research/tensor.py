"""``ntf``: n-way non-negative tensor factorization (Shashua & Hazan, ICML 2005).

Given an n-way array T ≥ 0 (n ≥ 2, shape I₁×…×Iₙ) and k ≥ 1, find factor matrices
A_r ≥ 0 (I_r×k) minimising

    L(T, [[A₁, …, Aₙ]]),     [[A₁, …, Aₙ]] = Σ_{j=1..k} a_j⁽¹⁾ ⊗ a_j⁽²⁾ ⊗ … ⊗ a_j⁽ⁿ⁾,

with L = ‖·‖²_F of the difference (``loss="frobenius"``, no ½) or the generalized KL
divergence Σ T log(T/Y) − T + Y (``loss="kl"``). This is the non-negative CP/PARAFAC model of
A. Shashua & T. Hazan, "Non-negative tensor factorization with applications to statistics and
computer vision", ICML 2005, pp. 792–799; n = 2 is NMF, T ≈ A₁A₂ᵀ.

Every method runs on the toolkit's one loop,
:func:`nnmf_research.drivers.block_coordinate.block_coordinate`: the blocks are (A₁, …, Aₙ),
one sweep updates the modes in the order 1, …, n (as TensorLy does), and the loop owns
stopping, history, callback, progress and Ctrl-C.

Mode-r statistics (unfolding T_(r) in C order, K_r the Khatri–Rao product of the other
factors in increasing mode order):

    M_r = T_(r) K_r  (the MTTKRP, I_r×k),     V_r = K_rᵀK_r = ⊛_{m≠r} A_mᵀA_m  (k×k).

Methods
-------
``"mu"``   Shashua & Hazan's multiplicative update (their eq. for u^r_{s,l}; Lee–Seung for the
           unfolded problem): A_r ← max(eps, A_r ⊙ M_r / (A_r V_r)); for KL,
           A_r ← max(eps, A_r ⊙ [(T/Y)_(r) K_r] / (1ᵀK_r)) with 1ᵀK_r = Π_{m≠r} 1ᵀA_m.
           Each step minimises a majoriser, so the loss never increases.
``"hals"`` accelerated HALS (Cichocki & Phan 2009; Gillis & Glineur 2012) on the mode-r
           non-negative least-squares problem, which reads only (M_r, V_r): the toolkit's
           :class:`~nnmf_research.kernels.HALS` on the statistics. Frobenius only. For
           n >= 3 by default at most 5 inner sweeps a mode (:data:`HALS_MAX_SWEEPS`) and a
           line search between sweeps (:class:`LineSearch`: the extrapolated point
           C + β(C − P) of the last two sweep results, kept only when it lowers the loss;
           Bro 1998; Ang & Gillis 2019), which takes CP's slow "swamps" in a few steps,
           and a term whose columns drift more than 2^30 apart is rescaled to the same
           model with balanced columns (:func:`balance_components`: the floor eps is
           absolute, so a term with a column at the floor cannot otherwise reach zeros).
``"cvxpy"`` the Gram-form CVXPY model :func:`nnmf_research.models.tensor.tensor_mode_model`
           (Parameters √V_r and M_r: its size is independent of the other modes' lengths),
           one compiled model per mode; for KL, the toolkit's ``kl_model`` on the unfolded
           problem, which needs K_r explicitly: the log term reads every entry of the model,
           so KL has no Gram form (see ``_CvxpyKL``).

The numpy MU and HALS steps are the toolkit's matrix kernels
(:class:`~nnmf_research.kernels.MultiplicativeFrobenius`, :class:`~nnmf_research.kernels.HALS`)
fed the tensor statistics, so for n = 2 ``ntf(T, ...)`` makes the same iterates as
``factorize``/``alternate`` on X = Tᵀ with W = A₂, H = A₁ᵀ (the matrix driver updates H first).

In a sweep, :class:`SweepMTTKRP` computes the n MTTKRPs from two partial contractions (a
dimension tree split at :func:`tree_split`), so a sweep does two large matrix products, not n.

MTTKRP without the Khatri–Rao product: :func:`mttkrp` contracts a contiguous block of the
other modes (before or after r, so T is only reshaped, never copied) by one matrix product
with that block's Khatri–Rao product, then the remaining modes one at a time, diagonally in
the rank index. It picks the block with the smallest peak memory and forms the full K_r only
when that is no larger (a cubic 3-way tensor: no saving; a 25×25×100 image stack, mode 1:
625k instead of 2500k numbers).

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> A, B, C = rng.random((6, 2)), rng.random((5, 2)), rng.random((4, 2))
>>> T = np.einsum("ir,jr,kr->ijk", A, B, C)
>>> fit = ntf(T, 2, method="hals", max_iter=2000, tol=0, random_state=0)
>>> fit.relative_error < 1e-6
True
"""

from __future__ import annotations

import time
from math import prod
from typing import Callable, Mapping, Sequence

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from . import kernels
from .balance import max_exponents
from .checks import NMFInputError, check_choice, check_positive_int, check_random_state
from .drivers.block_coordinate import block_coordinate
from .gram import FrobeniusStats
from .losses import LOSSES, kl_divergence
from .results import TensorFactorization
from .threads import blas_threads

__all__ = [
    "NTF_METHODS",
    "check_tensor",
    "unfold",
    "khatri_rao",
    "mttkrp",
    "tree_split",
    "SweepMTTKRP",
    "hadamard_grams",
    "cp_to_tensor",
    "tensor_loss",
    "TensorMU",
    "TensorHALS",
    "HALS_MAX_SWEEPS",
    "TensorMultiplicativeKL",
    "LineSearch",
    "balance_components",
    "BALANCE_SPREAD",
    "random_factors",
    "ntf",
    "load_tensor",
    "save_ntf",
]

NTF_METHODS = ("mu", "hals", "cvxpy")

_TINY = np.finfo(np.float64).tiny

_DIRECT_BELOW = 1e-8
"""Below this fraction of ‖T‖²_F the Frobenius loss is computed directly (a full
reconstruction, as costly as an MTTKRP): the Gram identity's rounding would otherwise stall
near-exact fits. Measured |identity − direct| ≤ 1e-15·‖T‖²_F (planted 100³ rank-10 and the
faces tensor, over 200 HALS sweeps), so above 1e-8·‖T‖²_F (relative error 1e-4) the identity
gives the loss to ~1e-7 of itself."""


# --- input -------------------------------------------------------------------------------

def check_tensor(T, name: str = "T") -> np.ndarray:
    """Return ``T`` as a finite, non-negative float64 array of order ≥ 2 with no empty mode.

    Raises :class:`~nnmf_research.checks.NMFInputError` naming the problem: an order-0/1
    array, a mode of length 0, a NaN/inf or a negative entry (with its index and value).
    """
    if np.iscomplexobj(T):
        raise NMFInputError(f"{name} has complex entries; NTF needs real non-negative data")
    try:
        A = np.asarray(T, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise NMFInputError(f"{name} is not a numeric array: {exc}") from None
    if A.ndim < 2:
        raise NMFInputError(
            f"{name} must have at least 2 modes (an order-n array, n >= 2), got an order-"
            f"{A.ndim} array of shape {A.shape}"
        )
    empty = [r for r, length in enumerate(A.shape) if length == 0]
    if empty:
        raise NMFInputError(
            f"{name} mode {empty[0]} has length 0 (shape {A.shape}); every mode needs at "
            "least one entry"
        )
    finite = np.isfinite(A)
    if not finite.all():
        idx = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise NMFInputError(f"{name} entry {idx} is not finite: {A[idx]}")
    negative = A < 0
    if negative.any():
        idx = tuple(int(i) for i in np.argwhere(negative)[0])
        raise NMFInputError(
            f"{name} entry {idx} is negative: {A[idx]:.6g} "
            f"({int(negative.sum())} negative entries in all)"
        )
    return A


def _check_factors(factors, shape: tuple[int, ...], k: int) -> tuple[np.ndarray, ...]:
    factors = list(factors)
    if len(factors) != len(shape):
        raise NMFInputError(
            f"an order-{len(shape)} tensor needs {len(shape)} initial factors, got {len(factors)}")
    out = []
    for r, F in enumerate(factors):
        A = check_tensor(F, f"factor {r}")
        if A.shape != (shape[r], k):
            raise NMFInputError(f"factor {r} has shape {A.shape}, expected {(shape[r], k)}")
        out.append(A)
    return tuple(out)


# --- statistics --------------------------------------------------------------------------

def unfold(T: np.ndarray, mode: int) -> np.ndarray:
    """The mode-``mode`` unfolding T_(r) (I_r × Π_{m≠r} I_m), other modes in C order."""
    return np.moveaxis(T, mode, 0).reshape(T.shape[mode], -1)


def khatri_rao(matrices: Sequence[np.ndarray]) -> np.ndarray:
    """Column-wise Kronecker product, row index (i₁, i₂, …) with the last varying fastest.

    With it T_(r) = A_r K_rᵀ for T = [[A₁, …, Aₙ]] and :func:`unfold`'s C order.
    """
    out = matrices[0]
    for A in matrices[1:]:
        out = (out[:, None, :] * A[None, :, :]).reshape(-1, A.shape[1])
    return out


def _peak(shape, block) -> int:
    """Numbers held by :func:`mttkrp` (per rank index) when ``block`` goes first by matmul."""
    size = prod(shape[m] for m in block)
    return prod(shape) // size + (size if len(block) > 1 else 0)


def _contract_block(T: np.ndarray, factors: Sequence[np.ndarray], block) -> tuple:
    """T contracted with the Khatri–Rao product of a contiguous ``block`` of modes (a suffix
    or a prefix of 0..n−1) by one matrix product of a reshaped T (a view, no copy).

    Returns (Y, kept): Y has the axes ``kept`` (the other modes, in order) and a last rank
    axis, Y[i_kept, j] = Σ_{i_block} T[i] Π_{m∈block} A_m[i_m, j].
    """
    n = T.ndim
    k = factors[block[0]].shape[1]
    size = prod(T.shape[m] for m in block)
    kr = khatri_rao([factors[m] for m in block])
    if block[-1] == n - 1:       # a suffix: T viewed as (rest, block)
        Y = (T.reshape(-1, size) @ kr).reshape(*T.shape[:block[0]], k)
        return Y, list(range(block[0]))
    Y = (kr.T @ T.reshape(size, -1)).reshape(k, *T.shape[block[-1] + 1:])  # a prefix
    return np.moveaxis(Y, 0, -1), list(range(block[-1] + 1, n))


def _contract_rest(Y: np.ndarray, kept: list, factors: Sequence[np.ndarray],
                   mode: int) -> np.ndarray:
    """Contract every axis of Y (axes ``kept`` + rank) but ``mode``'s with its factor,
    diagonally in the rank index: the rest of the MTTKRP after :func:`_contract_block`."""
    kept = list(kept)
    for m in [m for m in kept if m != mode][::-1]:
        axis = kept.index(m)
        subs = list(range(len(kept))) + [len(kept) + 1]
        out = [a for a in subs if a != axis]
        Y = np.einsum(Y, subs, factors[m], [axis, len(kept) + 1], out)
        kept.remove(m)
    return Y


def mttkrp(T: np.ndarray, factors: Sequence[np.ndarray], mode: int) -> np.ndarray:
    """M_r = T_(r) K_r (I_r×k), without forming K_r unless that is the cheapest way.

    A contiguous block of other modes (a suffix after ``mode`` or a prefix before it) is
    contracted first by one matrix product of the reshaped T (a view) with the block's
    Khatri–Rao product; the rest are contracted one mode at a time, diagonally in the rank
    index (``einsum``). The block with the smallest peak memory is chosen.
    """
    n = T.ndim
    candidates = [tuple(range(s, n)) for s in range(mode + 1, n)]
    candidates += [tuple(range(0, e)) for e in range(1, mode + 1)]
    block = min(candidates, key=lambda b: (_peak(T.shape, b), -len(b)))
    return _contract_rest(*_contract_block(T, factors, block), factors, mode)


def tree_split(shape: Sequence[int]) -> int:
    """Where the sweep's dimension tree splits the modes, h (1 <= h < n): the one that
    minimises the two partial contractions' sizes Π_{r<h} I_r + Π_{r>=h} I_r."""
    n = len(shape)
    return min(range(1, n), key=lambda h: (prod(shape[:h]) + prod(shape[h:]), -h))


class SweepMTTKRP:
    """The MTTKRPs of one sweep (modes updated in the order 0, …, n−1) by a two-leaf
    dimension tree: two large matrix products a sweep instead of n.

    With the split h of :func:`tree_split`, modes r < h read T contracted with the right
    block's factors A_h, …, A_{n−1} — which no update of r < h changes, so it is computed
    once a sweep — and modes r >= h read T contracted with the (already updated) left block
    A_0, …, A_{h−1}. Each M_r is then the rest of the contraction, on an array of
    Π(block's complement)·k numbers. The partial contractions are cached keyed by the
    identity of the factors they came from (the block-coordinate contract), so the result
    equals :func:`mttkrp` up to rounding for any order of calls. (Phan, Tichavský & Cichocki
    2013, IEEE TSP 61(19), "Fast alternating LS algorithms for high order CANDECOMP/PARAFAC
    tensor factorizations", §III; for n = 3 the saving is one of three MTTKRP products.)
    """

    def __init__(self, T: np.ndarray):
        self.T = T
        self.h = tree_split(T.shape)
        self._cache = {}    # side -> (the factors it came from, (Y, kept))

    def __call__(self, factors: Sequence[np.ndarray], mode: int) -> np.ndarray:
        if self.T.ndim == 2:
            return mttkrp(self.T, factors, mode)
        n, h = self.T.ndim, self.h
        block = tuple(range(h, n)) if mode < h else tuple(range(h))
        source = tuple(factors[m] for m in block)
        seen = self._cache.get(block)
        if seen is None or any(a is not b for a, b in zip(seen[0], source)):
            seen = self._cache[block] = (source, _contract_block(self.T, factors, block))
        return _contract_rest(*seen[1], factors, mode)


def hadamard_grams(grams: Sequence[np.ndarray], mode: int) -> np.ndarray:
    """V_r = ⊛_{m≠r} G_m, the Hadamard product of the other modes' Grams G_m = A_mᵀA_m
    (``grams[mode]`` is not read and may be None)."""
    others = [G for m, G in enumerate(grams) if m != mode]
    V = others[0].copy()
    for G in others[1:]:
        V *= G
    return V


def cp_to_tensor(factors: Sequence[np.ndarray]) -> np.ndarray:
    """The full array [[A₁, …, Aₙ]] = Σ_j a_j⁽¹⁾ ⊗ … ⊗ a_j⁽ⁿ⁾."""
    shape = tuple(A.shape[0] for A in factors)
    return (factors[0] @ khatri_rao(list(factors[1:])).T).reshape(shape)


HALS_MAX_SWEEPS = 5
"""Default cap on HALS's inner sweeps per mode update for n >= 3 (TensorLy's too;
``kernel_options={"max_sweeps": 0}`` lifts it; n = 2 stays the matrix HALS). Measured on the faces tensor (25×25×100, k = 20, 150 sweeps
with the line search, 20 starts): with the cap ours ended below TensorLy's HALS in 17 of 20
starts, without it (up to floor(1 + 0.5·rho) ≈ 100 sweeps) in 13; solving each mode's
subproblem further before the other modes move settles on worse local minima there."""


_SLAB = 2**17
"""Entries of the model held at once by :func:`tensor_loss` (1 MiB of float64)."""


def tensor_loss(name: str, T: np.ndarray, factors: Sequence[np.ndarray]) -> float:
    """The named loss of [[A₁, …, Aₙ]] against T, computed directly (not by the Gram
    identity). Frobenius: Σ over slabs of mode 1 of ‖T_(1)[s] − A₁[s] K₁ᵀ‖²_F, K₁ the
    Khatri–Rao product of the other factors, so the model is never held whole (at most
    ``_SLAB`` entries of it besides K₁). KL needs the whole model (its log reads every entry)."""
    check_choice(name, "loss", LOSSES)
    if name == "kl":
        return kl_divergence(T, cp_to_tensor(factors))
    K = khatri_rao(list(factors[1:]))
    T1 = T.reshape(T.shape[0], -1)
    rows = min(T1.shape[0], max(1, _SLAB // T1.shape[1]))
    slab = np.empty((rows, T1.shape[1]))
    total = 0.0
    for s in range(0, T1.shape[0], rows):
        R = slab[:min(rows, T1.shape[0] - s)]
        np.matmul(factors[0][s:s + rows], K.T, out=R)
        R -= T1[s:s + rows]
        total += float(np.vdot(R, R))
    return total


# --- one-mode updates: update(M, V, A) -> A_new (Frobenius), see the module docstring ----

class _MatrixKernelOnStats:
    """A toolkit matrix kernel run on the mode statistics: H = A_rᵀ, (WᵀX, WᵀW) = (M_rᵀ, V_r).

    ``rows`` is Π_{m≠r} I_m, the m of the unfolded problem (HALS's acceleration reads it);
    it is passed as a zero-memory broadcast array of the right shape.
    """

    def __init__(self, kernel):
        self.kernel = kernel
        self.eps = kernel.eps
        self.loss = kernel.loss

    def __call__(self, M, V, A, rows: int = 1):
        shape_only = np.broadcast_to(np.float64(0.0), (rows, A.shape[0]))
        return self.kernel(shape_only, None, A.T, FrobeniusStats(M.T, V)).T


class TensorMU(_MatrixKernelOnStats):
    """Shashua–Hazan multiplicative update A ← max(eps, A ⊙ M / (A V))."""

    def __init__(self, eps: float = kernels.EPS):
        super().__init__(kernels.MultiplicativeFrobenius(eps=eps))


class TensorHALS(_MatrixKernelOnStats):
    """Accelerated HALS on the mode subproblem min_{A ≥ 0} −2⟨M, A⟩ + ⟨V, AᵀA⟩, at most
    ``max_sweeps`` inner sweeps (None or 0: no cap; ``ntf`` caps at :data:`HALS_MAX_SWEEPS`
    for n >= 3)."""

    def __init__(self, max_sweeps: int | None = None, **options):
        if max_sweeps:
            max_sweeps = check_positive_int(max_sweeps, "max_sweeps")
        super().__init__(kernels.HALS(max_sweeps=max_sweeps, **options))   # 0/None: no cap


class TensorMultiplicativeKL:
    """KL multiplicative update of one mode: A ← max(eps, A ⊙ [(T/Y)_(r)K_r] / (1ᵀK_r)).

    Lee & Seung (2001) Theorem 2 on the unfolded problem T_(r) ≈ A K_rᵀ; 1ᵀK_r is the
    product of the other factors' column sums, so K_r is never formed.
    """

    loss = "kl"

    def __init__(self, eps: float = kernels.EPS):
        self.eps = eps

    def __call__(self, T, factors, mode):
        Y = cp_to_tensor(factors)
        np.maximum(Y, _TINY, out=Y)
        ratio = np.divide(T, Y, out=Y)
        numer = mttkrp(ratio, factors, mode)
        denom = np.ones(factors[0].shape[1])
        for m, A in enumerate(factors):
            if m != mode:
                denom *= A.sum(axis=0)
        A_new = factors[mode] * numer
        A_new /= np.maximum(denom, _TINY)
        np.maximum(A_new, self.eps, out=A_new)
        return A_new


# --- the blocks for the block-coordinate loop -------------------------------------------

class LineSearch:
    """Extrapolation between sweeps, kept only when it lowers the loss (a line search in the
    style of Bro 1998, §4.4, "Multi-way analysis in the food industry", PhD thesis; the
    adaptive step of Ang & Gillis 2019, Neural Computation 31(2):417, "Accelerating
    nonnegative matrix factorization algorithms using extrapolation").

    Before sweep t + 1, from the last two sweep results C = (A_r⁽ᵗ⁾) and P = (A_r⁽ᵗ⁻¹⁾),

        E_r = max(eps, C_r + β (C_r − P_r)),      r = 1, …, n,

    and the sweep starts from E if L(E) < L(C), else from C. The sweep's own updates then do
    not increase the loss, so the history stays monotone. β starts at ``beta``; it grows by
    ``grow`` (to at most ``beta_max``) after a kept step and shrinks by ``shrink`` after a
    refused one. L(E) is the Gram identity ‖T‖² − 2⟨M₁(E), E₁⟩ + ⟨V₁(E), E₁ᵀE₁⟩ with the
    mode-1 MTTKRP that the sweep from E needs anyway (a kept step reuses its partial
    contraction of T, so it costs little more than a plain sweep; a refused one costs that
    contraction once more), or directly (a full reconstruction) near an exact fit.
    """

    def __init__(self, beta: float = 0.5, grow: float = 1.2, shrink: float = 2.0,
                 beta_max: float = 1.0):
        self.beta, self.grow, self.shrink, self.beta_max = beta, grow, shrink, beta_max
        self.kept = self.refused = 0


BALANCE_SPREAD = 30
"""``ntf``'s HALS rescales a term (:func:`balance_components`) only when its columns' maxima
are more than 2^30 (~1e9) apart, so only the degenerate terms described there, and every
other iterate and line-search step stays as it was (rebalancing every sweep moved the
exponents by 1 now and then, and the line search's C − P then read the jump as a step: on a
planted 10×10×8 rank-3 tensor that cost it 18× in final loss after 25 sweeps). Measured
over 150 sweeps from 10 starts: it fired once in 3 of the faces runs (25×25×100, k = 20), 9
of the digits runs (8×8×300, k = 10) and 1 of the Swimmer runs (32×32×256, k = 16), never
twice in a run."""


def balance_components(factors: Sequence[np.ndarray],
                       spread: int = 0) -> tuple[np.ndarray, ...]:
    """The same CP model with each rank-one term whose column-maximum exponents span more than
    ``spread`` (all terms with the default 0) rescaled by powers of two so that its columns'
    maxima agree to within a factor of 4.

    CP is scale-indeterminate: (λ₁a_j⁽¹⁾) ⊗ … ⊗ (λₙa_j⁽ⁿ⁾) = a_j⁽¹⁾ ⊗ … ⊗ a_j⁽ⁿ⁾ whenever
    Π_r λ_r = 1 (Kolda & Bader 2009, SIAM Review 51(3):455, §3). With column-maximum
    exponents e_rj (2^e_rj ≤ max_i A_r[i, j] < 2^(e_rj+1), :func:`~nnmf_research.balance.
    max_exponents`), column j of A_r is multiplied by 2^s_rj, s_rj = t_j − e_rj with
    t_j = round(mean_r e_rj), and the shifts' sum S_j (|S_j| ≤ n/2) is taken back one unit from
    each of the first |S_j| modes, so Σ_r s_rj = 0 and every new exponent is t_j or t_j ∓ 1.
    Powers of two change only exponents, so the model is *exactly* the same in float64
    (unless an entry leaves the normal range, far outside what a fit produces). An all-zero
    column counts as exponent 0.

    Why HALS needs it (Cichocki & Phan 2009, IEICE Trans. E92-A(3):708, normalise the
    components of all but one mode for NTF): HALS is scale-covariant except for its floor
    max(eps, ·), which is absolute. Once a term's column in one mode drops to the floor
    eps = 1e-16, the next mode's exact update grows its column by ~1/eps to compensate, the
    term's scale in the first mode stays ~eps (each mode's update keeps the others' scales),
    and the floor holds entries that should be 0 at a sizeable fraction of that column's
    maximum. Measured on 300 digits (8×8×300, k = 10, plain HALS, 150 sweeps): one term with
    column maxima 1.6e-15, 8.2e15 and 1.3, four of its eight mode-1 entries at the floor,
    i.e. at 1/16 of the column's maximum instead of at 0; loss 1.2866e5 against 1.2313e5
    balanced. Balanced, the floor is again ~1e-16 of every column's scale.
    """
    return _rescale(factors, _balancing_shifts(factors, spread))


def _balancing_shifts(factors, spread: int = 0) -> np.ndarray:
    """The n × k power-of-two exponents of :func:`balance_components` (0 for a term whose
    exponents span at most ``spread``)."""
    e = np.array([max_exponents(A, axis=0) for A in factors])     # n × k
    shift = np.rint(e.mean(axis=0)).astype(np.int64)[None, :] - e
    total = shift.sum(axis=0)
    shift -= (np.arange(len(factors))[:, None] < np.abs(total)[None, :]) * np.sign(total)
    shift[:, e.max(axis=0) - e.min(axis=0) <= spread] = 0
    return shift


def _rescale(factors, shift) -> tuple[np.ndarray, ...]:
    return tuple(np.ldexp(A, s[None, :]) if s.any() else A for A, s in zip(factors, shift))


class _TensorBlocks:
    """The blocks (A₁, …, Aₙ) as block updates and a loss for :func:`block_coordinate`.

    Grams are cached keyed by the identity of their factor (the loop's contract: no array is
    modified in place); the last mode's (M, V) give the Frobenius loss in O(I_n k + k²).
    With a :class:`LineSearch`, the first mode's update decides whether this sweep starts
    from the extrapolated point E; if so the sweep's updates read E's factors for the modes
    not yet updated in it (so the sweep is an ordinary sweep from E). With ``balance`` a
    sweep starts from :func:`balance_components` of that start (the same model) whenever a
    term's columns are more than 2^:data:`BALANCE_SPREAD` apart; the line search's previous
    point is rescaled alike, so its next step C + β(C − P) compares like with like.
    """

    def __init__(self, T, mode_updates, loss_name, kl_update=None, line_search=None,
                 balance=False):
        self.T = T
        self.n = T.ndim
        self.rows = [T.size // T.shape[r] for r in range(self.n)]
        self.mode_updates = mode_updates
        self.kl_update = kl_update
        self.loss_name = loss_name
        self.norm_t2 = float(np.vdot(T, T))
        self._grams = [(None, None)] * self.n
        self._last = None    # (mode, blocks it was computed from, M, V)
        self.mttkrp = SweepMTTKRP(T)
        self.line_search = line_search
        self.balance = balance
        self._previous = None   # the state the last sweep started from (before extrapolation)
        self._scored = (None, None)   # (blocks, their loss), as the loop last asked
        self._start = None      # this sweep's extrapolated start E, if kept

    def gram(self, m, A):
        if self._grams[m][0] is not A:
            self._grams[m] = (A, A.T @ A)
        return self._grams[m][1]

    def _identity_loss(self, blocks, M, V, mode):
        """L(blocks) by the Gram identity from mode's (M, V); None near an exact fit."""
        A = blocks[mode]
        value = max(self.norm_t2 - 2.0 * float(np.vdot(M, A))
                    + float(np.vdot(V, self.gram(mode, A))), 0.0)
        return value if not value < _DIRECT_BELOW * self.norm_t2 else None

    def _extrapolate(self, blocks):
        """The start of this sweep: E (see :class:`LineSearch`) if it beats ``blocks``."""
        search, previous = self.line_search, self._previous
        self._previous = blocks
        seen, current = self._scored
        if previous is None or seen is None or any(a is not b for a, b in zip(seen, blocks)):
            return blocks
        eps = self.mode_updates[0].eps
        E = tuple(np.maximum(C + search.beta * (C - P), eps) for C, P in zip(blocks, previous))
        M = self.mttkrp(E, 0)
        V = hadamard_grams([None] + [self.gram(m, A) for m, A in enumerate(E) if m > 0], 0)
        value = self._identity_loss(E, M, V, 0)
        if value is None:
            value = tensor_loss("frobenius", self.T, E)
        if value < current:
            search.kept += 1
            search.beta = min(search.beta * search.grow, search.beta_max)
            return E
        search.refused += 1
        search.beta /= search.shrink
        return blocks

    def update(self, mode):
        def step(blocks):
            if self.kl_update is not None:
                return self.kl_update(self.T, blocks, mode)
            if self.line_search is not None or self.balance:
                if mode == 0:
                    start = blocks if self.line_search is None else self._extrapolate(blocks)
                    if self.balance:
                        shift = _balancing_shifts(start, BALANCE_SPREAD)
                        if shift.any():
                            start = _rescale(start, shift)
                            if self._previous is not None:
                                self._previous = _rescale(self._previous, shift)
                    self._start = start
                # the modes this sweep has not updated yet come from its start
                blocks = blocks[:mode] + self._start[mode:]
            M = self.mttkrp(blocks, mode)
            V = hadamard_grams(
                [None if m == mode else self.gram(m, A) for m, A in enumerate(blocks)], mode)
            self._last = (mode, blocks, M, V)
            return self.mode_updates[mode](M, V, blocks[mode], rows=self.rows[mode])
        return step

    def loss(self, blocks):
        value = None
        if self.loss_name == "frobenius" and self._last is not None:
            mode, seen, M, V = self._last
            if all(a is b for m, (a, b) in enumerate(zip(seen, blocks)) if m != mode):
                value = self._identity_loss(blocks, M, V, mode)
        if value is None:
            value = tensor_loss(self.loss_name, self.T, blocks)
        self._scored = (blocks, value)
        return value


class _CvxpyMode:
    """A compiled Gram-form mode model behind the ``update(M, V, A, rows)`` signature."""

    def __init__(self, model):
        self.model = model
        self.eps = 0.0

    def __call__(self, M, V, A, rows=1):
        return self.model(M, V, A)


class _CvxpyKL:
    """``kl_model`` on the unfolded mode problem T_(r)ᵀ ≈ K_r A_rᵀ (forms K_r).

    K_r cannot be avoided here: the KL objective Σ T log(T/Y) − T + Y has no sufficient
    statistics of the other modes. Its linear part Σ Y = Σ_j (1ᵀa_j)·Π_{m≠r} 1ᵀa_j⁽ᵐ⁾ needs
    only column sums, but the log part needs every entry Y_ic = Σ_j A_ij K_cj where T_ic > 0,
    i.e. all of K_r for a dense T (the model has one exponential cone per entry of T). K_r has
    Π_{m≠r} I_m·k numbers, k/I_r times the T_(r) Parameter the model holds anyway, and
    ``kl_model`` refuses more than ``KL_MAX_ENTRIES`` (8000) entries, so K_r stays small.
    """

    eps = 0.0

    def __init__(self, models):
        self.models = models

    def __call__(self, T, factors, mode):
        K = khatri_rao([A for m, A in enumerate(factors) if m != mode])
        return self.models[mode](unfold(T, mode).T, K, factors[mode].T).T


def _make_updates(method, loss_name, shape, k, solver, solver_options, kernel_options):
    n = len(shape)
    if method == "hals" and loss_name != "frobenius":
        raise NMFInputError(
            f"method 'hals' supports loss 'frobenius' only; for loss {loss_name!r} use one of: "
            "mu, cvxpy")
    if method != "cvxpy" and (solver is not None or solver_options):
        raise NMFInputError(f"solver= applies to method='cvxpy' only, got method={method!r}")
    if method == "cvxpy" and kernel_options:
        raise NMFInputError("kernel_options apply to the NumPy methods, not method='cvxpy'")
    try:
        if method == "mu":
            if loss_name == "kl":
                return None, TensorMultiplicativeKL(**dict(kernel_options or {}))
            return [TensorMU(**dict(kernel_options or {}))] * n, None
        if method == "hals":   # n = 2 is the matrix HALS, uncapped
            options = {"max_sweeps": HALS_MAX_SWEEPS if n >= 3 else None,
                       **dict(kernel_options or {})}
            return [TensorHALS(**options)] * n, None
    except TypeError as exc:
        raise NMFInputError(f"bad kernel_options for method {method!r}: {exc}") from None
    common = {"solver": solver, "solver_options": solver_options}
    if loss_name == "kl":
        from .models.kl import kl_model
        rows = [prod(shape) // shape[r] for r in range(n)]
        return None, _CvxpyKL([kl_model(k, rows[r], shape[r], **common) for r in range(n)])
    from .models.tensor import tensor_mode_model
    return [_CvxpyMode(tensor_mode_model(k, shape[r], **common)) for r in range(n)], None


def random_factors(T: np.ndarray, k: int, random_state=None) -> tuple[np.ndarray, ...]:
    """Initial factors A_r = a·|N(0, 1)| (I_r×k), drawn for r = 1, …, n from one Generator.

    a = (mean(T)/k)^(1/n), so each entry of [[A₁, …, Aₙ]] has mean (2/π)^(n/2)·mean(T): the
    scale of T (the tensor version of the toolkit's ``initialize(method="random")``).
    """
    rng = check_random_state(random_state)
    scale = (float(T.mean()) / k) ** (1.0 / T.ndim)
    if scale == 0.0:
        scale = 1.0
    return tuple(scale * np.abs(rng.standard_normal((length, k))) for length in T.shape)


def ntf(
    T,
    k: int,
    *,
    method: str = "hals",
    loss: str = "frobenius",
    random_state=None,
    factors: Sequence | None = None,
    max_iter: int = 200,
    tol: float = 1e-4,
    time_limit: float | None = None,
    callback: Callable | None = None,
    progress: float | None = None,
    solver: str | None = None,
    solver_options: Mapping | None = None,
    kernel_options: Mapping | None = None,
    line_search: "bool | LineSearch | None" = None,
    balance: bool | None = None,
    threads: int | None = None,
    check_every: int = 1,
) -> TensorFactorization:
    """Non-negative tensor factorization T ≈ [[A₁, …, Aₙ]] (see the module docstring).

        minimize_{A_r ≥ 0}  L(T, Σ_j a_j⁽¹⁾ ⊗ … ⊗ a_j⁽ⁿ⁾)

    Parameters
    ----------
    T : array_like of order n >= 2, non-negative, no mode of length 0
    k : number of rank-one terms, k >= 1 (may exceed the mode lengths)
    method : "hals" | "mu" | "cvxpy"
    loss : "frobenius" | "kl" (HALS: frobenius only)
    random_state : None, int or numpy Generator (seeds :func:`random_factors`)
    factors : optional initial factors (A₁, …, Aₙ), A_r of shape (I_r, k); not modified
    max_iter, tol, time_limit, callback, progress : see :func:`block_coordinate`;
        ``callback(iteration, factors, loss)`` returns True to stop
    solver, solver_options : CVXPY solver for method="cvxpy"
    kernel_options : options of the NumPy update (e.g. ``{"alpha": 0}`` for plain HALS)
    line_search : extrapolate between sweeps, keeping a step only when it lowers the loss
        (:class:`LineSearch`); Frobenius ``hals`` or ``mu`` only. None (the default) means on
        for ``hals`` on tensors of order n >= 3 and off otherwise, so ``mu`` stays TensorLy's
        iteration and n = 2 the matrix NMF's. A :class:`LineSearch` sets its steps (and
        counts the steps kept and refused).
    balance : start a sweep from :func:`balance_components` of its start (the same model, a
        term's columns rescaled by powers of two) when a term's columns are more than
        2^:data:`BALANCE_SPREAD` apart, so a term with a column at the floor stays well scaled. None (the default) means on for ``hals`` on tensors of order n >= 3
        and off otherwise (``mu`` is not scale-invariant: it stays TensorLy's iteration).
    threads : BLAS threads for the whole fit, as in :func:`~nnmf_research.factorize.factorize`
        (None: the current default, 1 unless an enclosing
        :func:`~nnmf_research.threads.blas_threads` says otherwise)
    check_every : evaluate the loss after every ``check_every``-th sweep only (and the last),
        as in :func:`~nnmf_research.factorize.factorize`; the iterates are the same (the
        line search reads every sweep's loss, so it refuses check_every > 1)

    Returns
    -------
    TensorFactorization
    """
    start = time.perf_counter()
    T = check_tensor(T)
    k = check_positive_int(k, "k")
    check_choice(method, "method", NTF_METHODS)
    check_choice(loss, "loss", LOSSES)
    mode_updates, kl_update = _make_updates(method, loss, T.shape, k, solver, solver_options,
                                            kernel_options)
    if factors is None:
        factors = random_factors(T, k, random_state)
    else:
        factors = _check_factors(factors, T.shape, k)
    eps = (kl_update or mode_updates[0]).eps
    factors = tuple(np.maximum(A, eps) for A in factors)

    if line_search is None:
        line_search = method == "hals" and T.ndim >= 3
    if line_search and (method == "cvxpy" or loss != "frobenius"):
        raise NMFInputError(
            f"line_search applies to loss 'frobenius' with method 'hals' or 'mu', got method="
            f"{method!r}, loss={loss!r}")
    if line_search is True:
        line_search = LineSearch()
    if line_search and check_every != 1:
        raise NMFInputError("check_every > 1 needs line_search=False: the line search keeps "
                            "a step by comparing it with the loss of every sweep")
    if balance is None:
        balance = method == "hals" and T.ndim >= 3
    if balance and loss != "frobenius":
        raise NMFInputError(f"balance applies to loss 'frobenius', got loss={loss!r}")
    blocks = _TensorBlocks(T, mode_updates, loss, kl_update, line_search or None,
                           bool(balance))
    with blas_threads(threads):
        run = block_coordinate(
            factors, [blocks.update(r) for r in range(T.ndim)], blocks.loss,
            max_iter=max_iter, tol=tol, time_limit=time_limit, callback=callback,
            progress=progress, loss_scale=blocks.norm_t2, loss_name=loss,
            check_every=check_every)
    final = tuple(run.blocks)
    residual = tensor_loss("frobenius", T, final)
    norm_t = np.sqrt(blocks.norm_t2)
    return TensorFactorization(
        factors=final,
        loss=residual if loss == "frobenius" else tensor_loss(loss, T, final),
        loss_name=loss,
        method=method,
        n_iter=run.n_iter,
        stop_reason=run.stop_reason,
        history=run.history,
        times=run.times,
        history_iterations=run.iterations,
        relative_error=float(np.sqrt(residual) / norm_t) if norm_t > 0 else 0.0,
        seconds=time.perf_counter() - start,
    )


# --- files ----------------------------------------------------------------------------------

def load_tensor(path, name: str = "T") -> np.ndarray:
    """Read an array of any order from ``path`` (``.npy``, or ``.npz`` holding one array; other
    :func:`~nnmf_research.io.read_matrix` formats give matrices) and validate it with
    :func:`check_tensor`; errors are prefixed with the path."""
    from .io import read_matrix

    A = read_matrix(path)
    try:
        return check_tensor(A.toarray() if sp.issparse(A) else A, name)
    except NMFInputError as exc:
        raise NMFInputError(f"{path}: {exc}") from None


def save_ntf(fit: TensorFactorization, out, summary: Mapping | None = None) -> list[Path]:
    """Write ``A1.npy`` … ``An.npy`` and ``summary.json`` (``fit.summary()`` updated with
    ``summary``) into the folder ``out``, each file atomically; returns the paths written."""
    from .io import save_json, save_matrix

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for r, A in enumerate(fit.factors, start=1):
        save_matrix(out / f"A{r}.npy", A)
        paths.append(out / f"A{r}.npy")
    save_json(out / "summary.json", {**fit.summary(), **dict(summary or {})})
    return paths + [out / "summary.json"]
