"""Separable NMF: anchors by SPA or by linear programs, then H by exact NNLS.

A non-negative X (m×n) is r-separable when X = X[:, 𝒦] H with |𝒦| = r columns (the anchors)
and H ≥ 0; near-separable with noise N added. ``spa`` finds the anchors greedily;
``separable_nmf`` finds them by SPA, the Gillis–Luce LP or Hottopixx
(:mod:`nnmf_research.models.separable`), then solves

    minimize_H ‖X − X[:, 𝒦] H‖²_F   subject to H ≥ 0      (exact NNLS per column)

SPA (Successive Projection Algorithm; Araújo et al., Chemometr. Intell. Lab. Syst. 57, 2001;
Gillis & Vavasis, IEEE TPAMI 36(4), 2014): repeat r times: j = argmax ‖R(:,j)‖₂ (ties
broken by the largest original norm), u = R(:,j)/‖R(:,j)‖, R ← (I − uuᵀ)R, with R = X at the
start. Here R is never formed: the chosen directions u₁, u₂, … are orthonormal, so
‖R(:,j)‖² decreases by (uₜᵀX(:,j))² at step t, and uₜ comes from one Gram–Schmidt step on the
chosen column. Each step costs one product Xᵀu (O(mn)), so SPA costs O(mnr) time and O(mr + n)
extra memory. It stops early (fewer than r anchors, said in ``stop_reason``) when every
residual norm² falls below 1e-9·max‖X(:,j)‖²: X then has fewer than r independent directions.

Example
-------
>>> import numpy as np
>>> X = np.array([[1.0, 0.0, 0.5, 0.2], [0.0, 1.0, 0.5, 0.8]])
>>> [int(j) for j in spa(X, 2)]
[0, 1]
"""

from __future__ import annotations

import time

import numpy as np

from .checks import (NMFInputError, check_choice, check_matrix, check_nonnegative_real,
                     check_positive_int)
from .datasets.synthetic import planted_separable
from .kernels import ANLS
from .results import SeparableFactorization

__all__ = ["spa", "spa_with_norms", "separable_nmf", "planted_separable", "SEPARABLE_METHODS"]

SEPARABLE_METHODS = ("spa", "gillis_luce", "hottopixx")

_STOP = 1e-9
_TIE = 1e-10


def _check_r(r, n: int) -> int:
    if isinstance(r, (int, np.integer)) and not isinstance(r, bool) and r > n:
        raise NMFInputError(f"r={r} is larger than the number of columns n={n}")
    return check_positive_int(r, "r", low=1, high=n)


def spa_with_norms(X, r: int, *, normalize: bool = False) -> tuple[np.ndarray, np.ndarray, str]:
    """SPA (module docstring): (anchors, residual norms² after the last step, stop reason)."""
    X = check_matrix(X, allow_zero=False)
    m, n = X.shape
    r = _check_r(r, n)
    if normalize:
        s = X.sum(axis=0)
        X = X / np.where(s > 0, s, 1.0)
    norms0 = np.einsum("ij,ij->j", X, X)
    res = norms0.copy()
    top = float(norms0.max())
    U = np.empty((m, 0))
    anchors: list[int] = []
    reason = f"{r} anchors found"
    for t in range(r):
        best = float(res.max())
        if best <= _STOP * top:
            reason = (f"stopped after {t} anchors: every residual norm² <= {_STOP:g}·max norm², "
                      f"X has fewer than r={r} independent directions")
            break
        ties = np.flatnonzero(res >= best * (1 - _TIE))
        j = int(ties[np.argmax(norms0[ties])])
        v = X[:, j] - U @ (U.T @ X[:, j])
        v -= U @ (U.T @ v)  # a second Gram–Schmidt pass keeps U orthonormal to rounding
        u = v / np.linalg.norm(v)
        proj = X.T @ u
        res = np.maximum(res - proj * proj, 0.0)
        res[j] = 0.0
        anchors.append(j)
        U = np.column_stack([U, u])
    return np.array(anchors, dtype=int), res, reason


def spa(X, r: int, *, normalize: bool = False) -> np.ndarray:
    """Anchor columns of a near-separable non-negative X by SPA (module docstring).

    Returns the indices (in the order chosen; fewer than r only when X has fewer than r
    independent directions). ``normalize=True`` first scales each column to sum 1.
    Raises :class:`~nnmf_research.checks.NMFInputError` for negative or non-finite entries
    and for r outside [1, n].
    """
    return spa_with_norms(X, r, normalize=normalize)[0]


def separable_nmf(X, r: int, *, method: str = "spa", noise: float = 0.0, rho: float = 1.0,
                  normalize: bool | None = None, random_state=None,
                  solver: str | None = None) -> SeparableFactorization:
    """Separable NMF X ≈ X[:, 𝒦] H, H ≥ 0, with the r anchors 𝒦 chosen by ``method``.

    ``"spa"`` (Gillis & Vavasis 2014), ``"gillis_luce"`` (the robust LP of Gillis & Luce,
    JMLR 2014, ρ-absolute model with ε = ``noise``: ‖X(:,j) − X X(:,j)‖₁ ≤ ρ·noise) or
    ``"hottopixx"`` (Bittorf et al., NIPS 2012, ‖·‖₁ ≤ 2·noise on columns scaled to sum 1,
    tr X = r). LP anchors are the r largest diagonal entries of the LP's X; the LPs are
    solved by HiGHS (:mod:`nnmf_research.models.separable`). Then H by exact NNLS on the
    anchors. ``normalize`` (column sums to 1 before choosing anchors) defaults to True for
    Hottopixx, which assumes it, and False otherwise.
    """
    start = time.perf_counter()
    X = check_matrix(X, allow_zero=False)
    m, n = X.shape
    r = _check_r(r, n)
    method = check_choice(method, "method", SEPARABLE_METHODS)
    noise = check_nonnegative_real(noise, "noise")
    normalize = (method == "hottopixx") if normalize is None else bool(normalize)
    diagnostics: dict = {}
    if method == "spa":
        anchors, res, reason = spa_with_norms(X, r, normalize=normalize)
        diagnostics["residual_norms2"] = res
    else:
        from .models.separable import gillis_luce_model, hottopixx_model

        s = X.sum(axis=0)
        M = X / np.where(s > 0, s, 1.0) if normalize else X
        if method == "hottopixx":
            model = hottopixx_model(m, n, r, random_state=random_state, solver=solver)
        else:
            model = gillis_luce_model(m, n, rho=rho, random_state=random_state, solver=solver)
        C = model(M, noise)
        d = np.diag(C).copy()
        anchors = np.argsort(-d, kind="stable")[:r]
        diagnostics.update(diagonal=d, trace=float(d.sum()), status=model.last_status)
        reason = (f"{method} LP {model.last_status} ({model.solver}); r={r} largest diagonal "
                  f"entries, trace {d.sum():.4g}")
    W = X[:, anchors]
    H = ANLS()(X, W, np.zeros((len(anchors), n)))
    R = X - W @ H
    loss = float(np.vdot(R, R))
    return SeparableFactorization(
        W=W, H=H, anchors=tuple(int(a) for a in anchors), loss=loss,
        relative_error=float(np.sqrt(loss / np.vdot(X, X))), method=method,
        stop_reason=reason, seconds=time.perf_counter() - start, diagnostics=diagnostics)
