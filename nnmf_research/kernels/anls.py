"""ANLS: exact non-negative least squares for every column of H, all columns at once.

min_{H ≥ 0} ‖W H − X‖²_F splits into one problem per column, min_{h ≥ 0} ‖W h − x‖². With
W = QR (thin QR), ‖Wh − x‖² = ‖Rh − Qᵀx‖² + const exactly, so every column is a k-variable
problem on the triangular factor R (and cond(R) = cond(W); the Gram matrix WᵀW would square it).

Block principal pivoting (Kim & Park, "Fast nonnegative matrix factorization: an active-set-like
method and comparisons", SIAM J. Sci. Comput. 33(6):3261–3281, 2011, Algorithm 2). For one
column, a passive set F ⊆ {1..k} gives the candidate h_F = argmin ‖R_F h_F − d‖ (h = 0 off F)
and the gradient y = Rᵀ(R h − d) (y_F = 0). The pair is the NNLS solution exactly when it is
complementary and feasible: h_F ≥ 0 and y_G ≥ 0 on G = complement of F (the KKT conditions).
Each round exchanges the infeasible indices V = {i ∈ F : h_i < 0} ∪ {i ∈ G : y_i < 0} between
F and G all at once while |V| keeps decreasing, allows three rounds without decrease, and then
falls back to exchanging only the largest infeasible index (Murty's rule, finite). Columns are
solved together: the columns sharing a passive set share one least-squares factorization.

Block pivoting needs R of full column rank (then every problem is strictly convex and its
minimiser unique); with cond(R) above ``PIVOTING_MAX_COND`` the columns are solved by
Lawson–Hanson (``scipy.optimize.nnls``) instead, and so are any columns still infeasible after
``max_rounds`` rounds: the update is exact NNLS in every case.

Regularization (``l1``, ``l2``: min ½‖Wh − x‖² + l1·1ᵀh + ½ l2‖h‖², scikit-learn's scaled
penalty). The ridge term is exact in the least-squares form: ‖Wh − x‖² + l2‖h‖² =
‖[W; √l2 I] h − [x; 0]‖², so R is the triangular factor of the stacked matrix (full rank for
l2 > 0). The l1 term is linear: ‖Rh − d‖² + 2 l1 1ᵀh = ‖Rh − d'‖² + const with
d' = d − l1 R⁻ᵀ1 (Rᵀd' = Rᵀd − l1·1), which needs R non-singular; where it is not
(cond(R) > ``PIVOTING_MAX_COND``, l2 = 0) the kernel says so (``solvable``) and ``factorize``
solves that step as the QP of the CVXPY Frobenius model with the penalty hook.
A scipy.sparse X is read only through QᵀX (a sparse-dense product).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.optimize import nnls

from ..checks import NMFInputError
from .base import OneFactorKernel

__all__ = ["ANLS", "nnls_block_pivoting", "NORMAL_EQUATIONS_MAX_COND", "PIVOTING_MAX_COND"]


NORMAL_EQUATIONS_MAX_COND = 1e3
"""Largest cond(R) at which the passive-set systems are solved through the Gram matrix RᵀR
(its condition number is cond(R)², so ≤ 1e6 here: solutions to ~1e-10 relative); above it,
by the batched QR of the module docstring."""


PIVOTING_MAX_COND = 1e8
"""Largest cond(R) for block pivoting. Above it (W near rank deficient, as on Swimmer, where
cond ~ 1e17) the passive-set solutions lose too many digits for their signs to be trusted, and
every column is solved by Lawson–Hanson (``scipy.optimize.nnls``), which selects columns with
its own tolerance."""


def _solve_passive(R, D, F, cols, H, Y, gram=None, cross=None):
    """h_F = argmin ‖R_F h_F − d‖, h_G = 0 and y = Rᵀ(R h − d) (y_F = 0) for the columns
    ``cols``.

    With ``gram = RᵀR`` and ``cross = RᵀD`` (well-conditioned R), one batched solve of the
    systems [G_FF 0; 0 I] h = [c_F; 0], one k×k system per column. Otherwise one batched QR:
    column j solves the least-squares problem [R·diag(F_j); diag(G_j)] h = [d_j; 0], whose
    solution is h_G = 0 and h_F as above (the identity rows pin the G entries without squaring
    any condition number; cond(R_F) ≤ cond(R), which the caller bounds)."""
    k = R.shape[1]
    passive = F[:, cols].T                                       # c × k
    if gram is not None:
        both = passive[:, :, None] & passive[:, None, :]
        M = np.where(both, gram[None, :, :], 0.0)
        M[:, np.arange(k), np.arange(k)] += ~passive
        h = np.linalg.solve(M, (cross[:, cols].T * passive)[:, :, None])[:, :, 0].T
        h[~passive.T] = 0.0
        H[:, cols] = h
        y = gram @ h - cross[:, cols]
        y[passive.T] = 0.0
        Y[:, cols] = y
        return
    A = np.concatenate([R[None, :, :] * passive[:, None, :],
                        np.eye(k)[None, :, :] * ~passive[:, None, :]], axis=1)
    rhs = np.concatenate([D[:, cols].T, np.zeros((cols.size, k))], axis=1)[:, :, None]
    Qb, Rb = np.linalg.qr(A)
    h = np.linalg.solve(Rb, np.swapaxes(Qb, 1, 2) @ rhs)[:, :, 0].T
    h[~passive.T] = 0.0
    H[:, cols] = h
    y = R.T @ (R @ h - D[:, cols])
    y[passive.T] = 0.0
    Y[:, cols] = y


def nnls_block_pivoting(R: np.ndarray, D: np.ndarray, passive: np.ndarray | None = None,
                        max_rounds: int | None = None) -> np.ndarray:
    """argmin_{H ≥ 0} ‖R H − D‖²_F column by column, by block principal pivoting (module
    docstring). R is p×k, D is p×n; returns the k×n minimiser (entries ≥ 0 exactly).

    ``passive`` (k×n bool) is the starting guess of the passive sets, e.g. the support of the
    previous iterate in ANLS (Kim & Park's warm start); the minimiser does not depend on it
    when R has full column rank (then it is unique), only the number of rounds does."""
    k, n = R.shape[1], D.shape[1]
    if max_rounds is None:
        max_rounds = 5 * k + 10
    H = np.zeros((k, n))
    sv = np.linalg.svd(R, compute_uv=False)
    cond = sv[0] / sv[-1] if sv.size == k and sv[-1] > 0 else np.inf
    if not cond <= PIVOTING_MAX_COND:           # (near) rank deficient: Lawson–Hanson
        return np.column_stack([nnls(R, D[:, j])[0] for j in range(n)]) if n else H
    well = cond <= NORMAL_EQUATIONS_MAX_COND
    extra = {"gram": R.T @ R, "cross": R.T @ D} if well else {}
    if passive is None or not passive.any():
        F = np.zeros((k, n), dtype=bool)        # passive sets, one column per problem
        Y = -(R.T @ D)                          # the gradient at h = 0
    else:
        F = np.array(passive, dtype=bool)
        Y = np.empty((k, n))
        _solve_passive(R, D, F, np.arange(n), H, Y, **extra)
    alpha = np.full(n, 3)
    beta = np.full(n, k + 1)
    todo = np.arange(n)
    for _ in range(max_rounds):
        infeasible = (F[:, todo] & (H[:, todo] < 0)) | (~F[:, todo] & (Y[:, todo] < 0))
        count = infeasible.sum(axis=0)
        active = count > 0
        todo, infeasible, count = todo[active], infeasible[:, active], count[active]
        if todo.size == 0:
            break
        fewer = count < beta[todo]
        beta[todo[fewer]] = count[fewer]
        alpha[todo[fewer]] = 3
        patient = ~fewer & (alpha[todo] >= 1)
        alpha[todo[patient]] -= 1
        backup = ~fewer & ~patient              # Murty's rule: only the largest index
        if backup.any():
            cols = np.flatnonzero(backup)
            last = k - 1 - np.argmax(infeasible[::-1, cols], axis=0)
            single = np.zeros((k, cols.size), dtype=bool)
            single[last, np.arange(cols.size)] = True
            infeasible[:, cols] = single
        F[:, todo] ^= infeasible
        _solve_passive(R, D, F, todo, H, Y, **extra)
    else:
        infeasible = (F[:, todo] & (H[:, todo] < 0)) | (~F[:, todo] & (Y[:, todo] < 0))
        for j in todo[infeasible.any(axis=0)]:
            H[:, j] = nnls(R, D[:, j])[0]
    np.maximum(H, 0.0, out=H)                   # -0.0 and nothing else: h_F >= 0 at the end
    return H


@dataclass(frozen=True)
class ANLS(OneFactorKernel):
    """Exact NNLS for every column of H (alternating non-negative least squares), by block
    principal pivoting on the triangular factor of W (module docstring)."""

    loss: ClassVar[str] = "frobenius"
    sparse: ClassVar[bool] = True
    eps: float = 0.0
    l1: float = 0.0
    l2: float = 0.0

    def _factor(self, W):
        m, k = W.shape
        A = np.vstack([W, np.sqrt(self.l2) * np.eye(k)]) if self.l2 else W
        Q, R = np.linalg.qr(A)
        return Q[:m], R

    def solvable(self, W) -> bool:
        """Whether this kernel solves the step for W exactly (module docstring): always,
        unless l1 > 0 and the (stacked) triangular factor is near singular."""
        if not self.l1:
            return True
        sv = np.linalg.svd(self._factor(W)[1], compute_uv=False)
        return sv.size == W.shape[1] and sv[-1] > 0 and sv[0] / sv[-1] <= PIVOTING_MAX_COND

    def __call__(self, X, W, H, stats=None):
        # QR, not the Gram statistics: with W = QR, ‖Wh − x‖² = ‖Rh − Qᵀx‖² + const exactly,
        # and cond(R) = cond(W). Going through WᵀW squares the condition number; on Swimmer
        # (rank-deficient factors, cond ~ 1e17) that made the exact step raise the loss.
        Q, R = self._factor(W)
        D = np.asarray((X.T @ Q).T if hasattr(X, "tocsr") else Q.T @ X)
        if self.l1:
            if not self.solvable(W):
                raise NMFInputError(
                    "ANLS with an l1 penalty needs W of full column rank (or l2 > 0); this W "
                    "is near rank deficient: use method='cvxpy' (factorize does so itself)")
            D = D - self.l1 * np.linalg.solve(R.T, np.ones(R.shape[1]))[:, None]
        return nnls_block_pivoting(R, D, passive=np.asarray(H) > 0)
