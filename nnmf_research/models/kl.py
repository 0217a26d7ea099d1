"""One-factor generalized-KL model (H with W fixed), in CVXPY.

With Parameters X (m×n, ≥ 0) and W (m×k, ≥ 0):

    minimize    Σ_ij kl_div(X_ij, (WH)_ij) + penalty(H)
    subject to  H ≥ 0,  constraints(H)

where kl_div(x, y) = x log(x/y) − x + y (0 log 0 = 0): the generalized KL divergence
D(X‖WH) of Lee & Seung (2001, NIPS 13), solved exactly (exponential cone; CLARABEL or SCS).
Data enter as atom arguments, ``kl_div(X, W@H)``, which keeps the model DPP (a Parameter
multiplying ``log(W@H)`` would not be: Agrawal, Amos, Barratt, Boyd, Diamond & Kolter,
"Differentiable convex optimization layers", NeurIPS 2019, which defines the DPP rules).

Size: the model has one exponential cone per entry of X, so it is refused (with the reason)
above ``KL_MAX_ENTRIES`` entries: measured here, CLARABEL solves a 100×64 slice of the
digits in seconds and fails on 200×64; the multiplicative updates (method "mu") handle KL at
any size.

Sparse form (``support=`` a scipy.sparse matrix, or any matrix, whose non-zeros fix the
pattern): exponential cones only on the non-zero entries t = (r_t, c_t) of X,

    minimize    Σ_t kl_div(x_t, y_t) + Σ_ij (WH)_ij − Σ_t y_t,    y_t = W_{r_t,:} H_{:,c_t}

which equals D(X‖WH) (on X = 0 the divergence is (WH)_ij), with the Parameter x (nnz) and
Σ_ij (WH)_ij = colsum(W)·H·1 — no m×n expression at all, so the model has nnz cones and
O(nnz·k) terms, and stays DPP (every Parameter enters an atom argument or multiplies a
Variable affinely). Its size limit counts the non-zeros. The W-model is built on Xᵀ's pattern.

PLSI (Hofmann 1999) is this model plus simplex constraints on the factor, the equivalence
of Ding, Li & Peng (2008): ``kl_model(k, m, n, constraints=lambda H: [cp.sum(H, axis=0) == 1])``.

Example
-------
>>> import numpy as np
>>> model = kl_model(k=2, m=2, n=2)
>>> X = np.array([[1.0, 2.0], [3.0, 4.0]])
>>> bool(np.allclose(model(X, np.eye(2), np.ones((2, 2))), X, atol=1e-5))
True
"""

from __future__ import annotations

from typing import Callable, Mapping

import cvxpy as cp
import numpy as np

import scipy.sparse as sp

from ..checks import NMFInputError, check_positive_int
from ..sparse_support import support as stored_entries
from .subproblem import Subproblem, extra_constraints, extra_penalty

__all__ = ["KLModel", "kl_model", "check_kl_size", "KL_MAX_ENTRIES"]

KL_MAX_ENTRIES = 8000
"""The largest m·n the dense KL model is built for (one exponential cone per entry)."""


def check_kl_size(m: int, n: int, nnz: int | None = None) -> None:
    """Refuse an m×n KL model too large for the conic solvers, saying why and what fits
    (``nnz``: the sparse form's cone count)."""
    cones = m * n if nnz is None else nnz
    if cones > KL_MAX_ENTRIES:
        what = "entry" if nnz is None else "non-zero entry"
        raise NMFInputError(
            f"the CVXPY KL model of a {m}×{n} matrix has {cones} exponential cones (one per "
            f"{what}); the conic solvers handle up to {KL_MAX_ENTRIES} entries here (CLARABEL "
            "fails on 200×64), so use method 'mu' for the KL loss at this size")


def _pattern(support, m: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-major (rows, cols) of the non-zeros of ``support`` (m×n), as X will be read."""
    S = sp.csr_matrix(support) if sp.issparse(support) else sp.csr_matrix(np.asarray(support))
    if S.shape != (m, n):
        raise NMFInputError(f"support= has shape {S.shape}, expected {(m, n)}")
    S.sum_duplicates()
    S.eliminate_zeros()
    S.sort_indices()
    rows, cols, _ = stored_entries(S)
    if rows.size == 0:
        raise NMFInputError("support= has no non-zero entries")
    return rows, cols


class KLModel(Subproblem):
    """A compiled KL H-subproblem; call it as ``model(X, W, H, stats=None)``."""

    loss = "kl"
    eps = 0.0

    def __init__(self, k, m, n, *, constraints=None, penalty=None, solver=None,
                 solver_options=None, support=None):
        k = check_positive_int(k, "k")
        m = check_positive_int(m, "m")
        n = check_positive_int(n, "n")
        H = cp.Variable((k, n), nonneg=True, name="H")
        Wp = cp.Parameter((m, k), nonneg=True, name="W")
        if support is None:
            check_kl_size(m, n)
            self.pattern = None
            Xp = cp.Parameter((m, n), nonneg=True, name="X")
            fit = cp.sum(cp.kl_div(Xp, Wp @ H))
            name = f"kl(k={k}, m={m}, n={n})"
        else:
            rows, cols = self.pattern = _pattern(support, m, n)
            check_kl_size(m, n, rows.size)
            Xp = cp.Parameter(rows.size, nonneg=True, name="X")
            y = cp.sum(cp.multiply(Wp[rows, :], H[:, cols].T), axis=1)
            fit = cp.sum(cp.kl_div(Xp, y)) + cp.sum(cp.sum(Wp, axis=0) @ H) - cp.sum(y)
            name = f"kl(k={k}, m={m}, n={n}, nnz={rows.size})"
        objective = fit + extra_penalty(penalty, H)
        problem = cp.Problem(cp.Minimize(objective), extra_constraints(constraints, H))
        super().__init__(problem, {"X": Xp, "W": Wp}, H, name=name,
                         solver=solver, solver_options=solver_options)
        self.sparse = self.pattern is not None   # reads a sparse X on its non-zeros

    def _values_on_pattern(self, X) -> np.ndarray:
        """X's entries on the model's pattern, refusing an X with non-zeros off it."""
        rows, cols = self.pattern
        A = sp.csr_matrix(X)
        A.sum_duplicates()
        A.eliminate_zeros()
        A.sort_indices()
        r, c, values = stored_entries(A)
        if r.size == rows.size and np.array_equal(r, rows) and np.array_equal(c, cols):
            return values
        on = np.asarray(A[rows, cols]).ravel()
        if not np.isclose(on.sum(), values.sum(), rtol=1e-12, atol=0.0):
            raise NMFInputError(f"X has non-zeros outside the support model {self.name!r} "
                                "was built for; build it with support=X")
        return on

    def __call__(self, X, W, H, stats=None) -> np.ndarray:
        """Solve for H with W fixed (the one-factor update signature)."""
        if self.pattern is not None:
            return self.solve(warm_start=H, X=self._values_on_pattern(X), W=W)
        if sp.issparse(X):
            raise NMFInputError(f"model {self.name!r} is the dense KL model; for a sparse X "
                                "build kl_model(..., support=X)")
        return self.solve(warm_start=H, X=X, W=W)


def kl_model(
    k: int,
    m: int,
    n: int,
    *,
    constraints: Callable | None = None,
    penalty: Callable | None = None,
    solver: str | None = None,
    solver_options: Mapping | None = None,
    support=None,
) -> KLModel:
    """Build the KL H-subproblem for X of shape m×n and H of shape k×n (module docstring);
    ``support`` (a matrix whose non-zeros are X's) builds the sparse form."""
    return KLModel(k, m, n, constraints=constraints, penalty=penalty, solver=solver,
                   solver_options=solver_options, support=support)
