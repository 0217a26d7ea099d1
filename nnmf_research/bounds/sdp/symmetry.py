"""Cyclic symmetry of τ₊^sos: detect it, block-diagonalize the SDP, solve the reduced one.

A pair of permutations (σ, π) with X[σ(i), π(j)] = X[i, j] (regular-polygon slack matrices)
acts on the positive entries; when it acts freely, the SDP may be restricted to invariant Y and
block-diagonalized by a real Fourier basis (``fourier_blocks``), one PSD block per frequency.
The dual is rebuilt at full size and averaged over the group before the certificate (always
on the unreduced problem) checks it. See :mod:`nnmf_research.bounds.sdp`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ...checks import NMFInputError
from .model import _SQRT2, TauSosModel, _svec_index, smat
from .solve import _clarabel_solve


SYMMETRY_TOL = 1e-12


def find_cyclic_symmetry(X: np.ndarray, symmetry="auto"):
    """A pair of permutations (σ, π) with X[σ(i), π(j)] = X[i, j], or None.

    ``"auto"`` tries the simultaneous shift i → i+1, j → j+1 of a square matrix (circulant
    matrices, e.g. regular-polygon slack matrices); a given pair is checked. The zero pattern
    must be exactly invariant and the values up to 1e-12·max X (the solve uses the group
    average of X; the certificate is checked against X itself, so this tolerance cannot
    affect soundness)."""
    if symmetry is None or symmetry == "none":
        return None
    m, n = X.shape
    if isinstance(symmetry, str):
        if symmetry != "auto":
            raise NMFInputError(f"symmetry={symmetry!r} must be 'auto', 'none' (or None) or "
                                "(row_perm, col_perm)")
        if m != n or m < 3:
            return None
        sigma = pi = np.roll(np.arange(m), -1)
        explicit = False
    else:
        sigma, pi = (np.asarray(s, dtype=np.int64) for s in symmetry)
        if sorted(sigma.tolist()) != list(range(m)) or sorted(pi.tolist()) != list(range(n)):
            raise NMFInputError("symmetry must be a pair (row_perm, col_perm) of permutations "
                                f"of range({m}) and range({n})")
        explicit = True
    Y = X[np.ix_(sigma, pi)]
    ok = np.array_equal(Y > 0, X > 0) and np.abs(Y - X).max() <= SYMMETRY_TOL * X.max()
    if not ok and explicit:
        raise NMFInputError("symmetry does not map X to itself: X[row_perm][:, col_perm] != X")
    return (sigma, pi) if ok else None


def position_orbits(model: TauSosModel, sigma, pi):
    """The permutation g of the kept positions, its order L and its orbits (each of length L,
    listed as a, g a, g² a, …), or None when g does not act freely on P."""
    m, n = model.shape
    grid = -np.ones((m, n), dtype=np.int64)
    rows, cols = model.positions[:, 0], model.positions[:, 1]
    grid[rows, cols] = np.arange(model.p)
    perm = grid[sigma[rows], pi[cols]]
    cur, L = perm.copy(), 1
    while not np.array_equal(cur, np.arange(model.p)):
        if np.any(cur == np.arange(model.p)) or L > model.p:
            return None                                    # a short cycle: not free
        cur, L = perm[cur], L + 1
    if L == 1:
        return None
    seen = np.zeros(model.p, dtype=bool)
    orbits = []
    for a in range(model.p):
        if not seen[a]:
            orb = [a]
            for _ in range(L - 1):
                orb.append(int(perm[orb[-1]]))
            seen[orb] = True
            orbits.append(np.array(orb))
    return perm, L, orbits


def fourier_blocks(orbits, L: int, order: int) -> list[np.ndarray]:
    """Real orthonormal bases T_k (order × d_k) of the isotypic components of the cyclic
    group Z_L acting freely on the indices 1..p of M (index 0, for t, is fixed): for
    frequency k the vectors cos(2πku/L) and sin(2πku/L) along each orbit. Any invariant M
    satisfies T_kᵀ M T_l = 0 for k ≠ l, so M ⪰ 0 ⇔ every T_kᵀ M T_k ⪰ 0."""
    u = np.arange(L)
    blocks = []
    for k in range(L // 2 + 1):
        waves = [np.cos(2 * np.pi * k * u / L)]
        if 0 < k < L / 2:
            waves.append(np.sin(2 * np.pi * k * u / L))
        cols = []
        if k == 0:
            e0 = np.zeros(order)
            e0[0] = 1.0
            cols.append(e0)
        for w in waves:
            w = w / np.linalg.norm(w)
            for orb in orbits:
                v = np.zeros(order)
                v[1 + orb] = w
                cols.append(v)
        blocks.append(np.column_stack(cols))
    return blocks


def class_orbit_ids(model: TauSosModel, sigma, pi) -> tuple[np.ndarray, int]:
    """Orbit id of every class under (σ, π) (classes map to classes since X is invariant)."""
    m, n = model.shape

    def keys(i, j, k, l):
        return ((np.minimum(i, k) * m + np.maximum(i, k)) * n + np.minimum(j, l)) * n \
            + np.maximum(j, l)

    r, c = model.positions[:, 0], model.positions[:, 1]
    a, b = model.pairs_a, model.pairs_b
    key = keys(r[a], c[a], r[b], c[b])
    uniq = np.unique(key)
    image = np.searchsorted(uniq, keys(sigma[r[a]], pi[c[a]], sigma[r[b]], pi[c[b]]))
    cperm = np.empty(model.n_classes, dtype=np.int64)
    cperm[model.pair_class] = image
    label, cur = np.arange(model.n_classes), cperm.copy()
    while not np.array_equal(cur, np.arange(model.n_classes)):
        label = np.minimum(label, cur)
        cur = cperm[cur]
    _, orbit_id = np.unique(label, return_inverse=True)
    return orbit_id.ravel(), int(orbit_id.max()) + 1


def symmetric_clarabel_data(model: TauSosModel, orbit_id, n_orbits, blocks):
    """Clarabel data for the invariant model: z = (t, w) with one w per class orbit;
    cones R₊^(diagonal orbits) × Π_k S₊^(d_k) with blocks T_kᵀ M(z) T_k."""
    p = model.p
    nv = 1 + n_orbits
    # nonnegative part: one row per orbit of diagonal classes (x_a² is constant on it)
    dvar, first = np.unique(orbit_id[model.diag_class], return_index=True)
    A_nn = sp.csc_matrix((np.ones(dvar.size), (np.arange(dvar.size), 1 + dvar)),
                         shape=(dvar.size, nv))
    b_nn = model.x[first] ** 2
    # entries (r, c), r ≤ c, of M: t, the constant x column, and the Y variables
    er = np.r_[0, np.zeros(p, dtype=np.int64), 1 + model.pairs_a]
    ec = np.r_[0, 1 + np.arange(p), 1 + model.pairs_b]
    evar = np.r_[0, -np.ones(p, dtype=np.int64), 1 + orbit_id[model.pair_class]]
    econst = np.r_[0.0, model.x, np.zeros(model.pairs_a.size)]
    is_var = evar >= 0
    Vmap = sp.csr_matrix((np.ones(is_var.sum()), (evar[is_var], np.flatnonzero(is_var))),
                         shape=(nv, er.size))
    A_parts, b_parts = [A_nn], [b_nn]
    for T in blocks:
        d = T.shape[1]
        ur, uc = np.triu_indices(d)
        order_ = np.argsort(_svec_index(ur, uc))               # Clarabel's column-major order
        ur, uc = ur[order_], uc[order_]
        scale = np.where(ur == uc, 1.0, _SQRT2)
        Tr, Tc = T[er], T[ec]
        val = Tr[:, ur] * Tc[:, uc] + (er != ec)[:, None] * Tc[:, ur] * Tr[:, uc]
        val *= scale
        val[np.abs(val) < 1e-13] = 0.0                         # cancellation noise (cos·sin)
        A_parts.append(-sp.csc_matrix((Vmap @ val).T))
        b_parts.append(econst @ val)
    A = sp.vstack(A_parts, format="csc")
    A.eliminate_zeros()
    b = np.concatenate(b_parts)
    q = np.zeros(nv)
    q[0] = 1.0
    return q, A, b, dvar.size


def solve_clarabel_symmetric(model_sym: TauSosModel, sym, orbit_data, time_limit):
    """Solve the cyclically reduced model with Clarabel; returns its :class:`SolveResult` with the
    dual S rebuilt at full size (Σ_k T_k S_k T_kᵀ) and averaged over the group (PSD is kept
    by averaging, and the average is dual feasible class by class)."""
    import clarabel

    sigma, pi = sym
    perm, L, orbits = orbit_data
    blocks = fourier_blocks(orbits, L, model_sym.order)
    orbit_id, n_orbits = class_orbit_ids(model_sym, sigma, pi)
    q, A, b, n_nn = symmetric_clarabel_data(model_sym, orbit_id, n_orbits, blocks)
    cones = [clarabel.NonnegativeConeT(n_nn)] + [clarabel.PSDTriangleConeT(T.shape[1])
                                                 for T in blocks]
    sol, res = _clarabel_solve(q, A, b, cones, time_limit)
    z = np.asarray(sol.z)
    S = None
    if z.size == A.shape[0] and np.all(np.isfinite(z)):
        S = np.zeros((model_sym.order, model_sym.order))
        off = n_nn
        for T in blocks:
            d = T.shape[1]
            Sk = smat(z[off:off + d * (d + 1) // 2], d)
            off += d * (d + 1) // 2
            S += T @ Sk @ T.T
        idx = np.r_[0, 1 + np.arange(model_sym.p)]
        S_avg = np.zeros_like(S)
        for _ in range(L):
            S_avg += S[np.ix_(idx, idx)]
            idx = np.r_[0, 1 + perm[idx[1:] - 1]]
        S = S_avg / L
    res.S = S
    res.symmetry = {"group_order": L, "orbits": len(orbits), "variables": q.size,
                       "blocks": [T.shape[1] for T in blocks]}
    return res
