"""SDP lower bounds on rank₊: nonnegative nuclear norm and τ₊^sos (nnmf_research.bounds.sdp).

Where the values come from. From the paper (Fawzi & Parrilo, "Self-scaled bounds for atomic
cone ranks", Math. Program. 158, 2016): τ₊^sos of the regular hexagon's slack matrix ≈ 4.69,
the one value of this file taken from a paper. Computed by this project (two SDP solvers,
CLARABEL and SCS, agreeing to ±1e-3; not published values): τ₊^sos pentagon → 5, heptagon →
5.030, octagon → 5.150, decagon → 5.446, J − I (n×n) → 4(n−1)/n; nuclear: hexagon → 3.200,
pentagon → 2.835, J − I → 4(n−1)/n. Equal to rank₊ proved otherwise (so the bound can only be
that value or below): Thomas 4×4 → 4 (both bounds), 3-cube → 6.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nnmf_research.bounds import sdp
from nnmf_research.bounds.sdp import (certify_nuclear_dual, certify_tau_sos_dual,
                                      nuclear_norm_bound, tau_sos_bound, tau_sos_model)
from nnmf_research.checks import NMFInputError, SolverUnavailableError
from nnmf_research.datasets import j_minus_i, ngon_slack, thomas_4x4


def cube_slack() -> np.ndarray:
    """Slack matrix of the 3-cube: vertices (±1,±1,±1) × facets ±x_i ≤ 1, S = 1 − a·v
    (entries 0 or 2; each vertex on 3 facets). rank₊ = 6 (6 facets; τ₊^sos = 6 proves it)."""
    V = np.array(list(itertools.product([-1.0, 1.0], repeat=3)))
    A = np.vstack([np.eye(3), -np.eye(3)])
    return 1.0 - V @ A.T


def _check_lower(r, method, expected_value, tol=1e-3):
    assert r.method == method and r.kind == "lower"
    assert r.certified, r.status
    assert r.value == pytest.approx(expected_value, abs=tol)
    assert r.bound == int(np.ceil(expected_value - 1e-3))


# --------------------------------------------------------------------------------------
# τ₊^sos: known values
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, X, expected", [
    ("thomas", thomas_4x4().X, 4.0),
    ("pentagon", ngon_slack(5).X, 5.0),
    ("hexagon", ngon_slack(6).X, 4.692),
    ("heptagon", ngon_slack(7).X, 5.030),
    ("octagon", ngon_slack(8).X, 5.150),
    ("cube", cube_slack(), 6.0),
])
def test_tau_sos_known_values(name, X, expected):
    r = tau_sos_bound(X)
    _check_lower(r, "tau_sos", expected)


@pytest.mark.parametrize("n", [4, 5, 6])
def test_tau_sos_j_minus_i(n):
    r = tau_sos_bound(j_minus_i(n).X)
    _check_lower(r, "tau_sos", 4 * (n - 1) / n)
    assert r.bound <= n


def test_tau_sos_j_minus_i_3():
    """n = 3 is an exception to 4(n−1)/n = 8/3: the naive model, the structured model and
    SCS all give 3, and the verified dual certificate proves τ₊^sos ≥ 3 − 1e-8 > 8/3."""
    r = tau_sos_bound(j_minus_i(3).X)
    _check_lower(r, "tau_sos", 3.0)
    naive = tau_sos_bound(j_minus_i(3).X, exploit_structure=False)
    assert naive.value == pytest.approx(3.0, abs=1e-5)


def test_tau_sos_integer_optimum_rounds_to_itself():
    """τ = 5 exactly on the pentagon: the certified value is a hair below 5 and the margin
    must not push the bound down to 4 — nor above 5."""
    r = tau_sos_bound(ngon_slack(5).X)
    assert r.bound == 5 and r.value <= 5.0 + 1e-9


@pytest.mark.slow
def test_tau_sos_decagon():
    r = tau_sos_bound(ngon_slack(10).X)
    _check_lower(r, "tau_sos", 5.446)
    assert r.bound == 6 <= ngon_slack(10).meta["rank_plus"]


@pytest.mark.slow
def test_tau_sos_dense_10x10_clarabel_and_default_agree():
    """Dense positive 10×10 (PSD order 101): the default picks SCS (a few seconds); the full
    Clarabel interior-point solve takes ~40 s here. τ₊^sos ≈ 3.64479."""
    X = np.random.default_rng(0).uniform(0.1, 1, (10, 10))
    a = tau_sos_bound(X, solver="CLARABEL")
    b = tau_sos_bound(X)
    assert a.certified and b.certified and a.bound == b.bound == 4
    assert a.value == pytest.approx(3.64479, abs=1e-4)
    assert b.value == pytest.approx(a.value, abs=1e-4)
    assert b.value <= a.certificate["stats"]["primal"] + 1e-6


# --------------------------------------------------------------------------------------
# τ₊^sos: structured model == naive model; solver routes
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape, seed", [((4, 4), 0), ((5, 5), 1), ((4, 5), 2)])
def test_structured_equals_naive_positive(shape, seed):
    X = np.random.default_rng(seed).uniform(0.1, 1.0, shape)
    a = tau_sos_bound(X)
    b = tau_sos_bound(X, exploit_structure=False)
    assert a.certified and b.bound is not None
    assert a.certificate["stats"]["primal"] == pytest.approx(b.certificate["stats"]["primal"],
                                                             abs=1e-6)
    assert a.value == pytest.approx(b.value, abs=1e-6)


def test_structured_equals_naive_with_zeros():
    """Zero entries: the structured model drops them; the naive model keeps them (and is
    then not strictly feasible, hence a little less accurate: 1e-5)."""
    X = np.array([[1, 0, 2, 1], [0, 1, 1, 3], [2, 1, 0, 1], [1, 1, 1, 0.0]])
    a = tau_sos_bound(X)
    b = tau_sos_bound(X, exploit_structure=False)
    assert a.certified and b.bound == a.bound
    assert a.value == pytest.approx(b.value, abs=1e-5)


def test_structured_equals_naive_thomas():
    a = tau_sos_bound(thomas_4x4().X)
    b = tau_sos_bound(thomas_4x4().X, exploit_structure=False)
    assert a.bound == b.bound == 4
    assert a.value == pytest.approx(b.value, abs=1e-5)


def test_cvxpy_structured_route_matches_direct():
    X = ngon_slack(6).X
    model = tau_sos_model(X / X.max())
    via_cvxpy = sdp.solve_cvxpy_structured(model, "CLARABEL", None)
    direct = sdp.solve_clarabel_direct(model, None)
    assert via_cvxpy.primal == pytest.approx(direct.primal, abs=1e-6)


def test_scs_route_certified():
    r = tau_sos_bound(ngon_slack(6).X, solver="SCS")
    assert r.certified and r.bound == 5
    assert r.value == pytest.approx(4.692, abs=1e-3)


def test_model_drops_zeros_and_counts_classes():
    """Hexagon: 36 − 12 zero positions are dropped; a dense m×n matrix has
    C(m+1,2)·C(n+1,2) classes (row pair with repetition × column pair with repetition)."""
    model = tau_sos_model(ngon_slack(6).X)
    assert model.p == 24 and model.order == 25
    dense = tau_sos_model(np.ones((3, 4)))
    assert dense.p == 12 and dense.n_classes == 6 * 10


# --------------------------------------------------------------------------------------
# τ₊^sos: invariance and soundness
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("X", [ngon_slack(5).X, ngon_slack(6).X,
                               np.random.default_rng(3).uniform(0.1, 1.0, (4, 5))],
                         ids=["pentagon", "hexagon", "random4x5"])
def test_tau_sos_invariant_under_permutation_and_scaling(X, rng):
    m, n = X.shape
    Y = (X[rng.permutation(m)][:, rng.permutation(n)]
         * rng.uniform(0.2, 5.0, m)[:, None] * rng.uniform(0.2, 5.0, n)[None, :])
    a, b = tau_sos_bound(X), tau_sos_bound(Y)
    assert a.bound == b.bound
    assert a.value == pytest.approx(b.value, abs=1e-5)


def test_bounds_never_exceed_known_rank_plus():
    cases = [(thomas_4x4().X, 4), (cube_slack(), 6)]
    cases += [(ngon_slack(k).X, ngon_slack(k).meta["rank_plus"]) for k in (4, 5, 6, 7, 8)]
    cases += [(j_minus_i(k).X, k) for k in (3, 4, 5)]
    for X, rank_plus in cases:
        for f in (tau_sos_bound, nuclear_norm_bound):
            r = f(X)
            assert r.bound is not None and r.bound <= rank_plus, (f.__name__, X.shape, r)


def test_tau_sos_certificate_sound_for_perturbed_dual(rng):
    """Any symmetric S gives a valid bound: perturbing the optimal dual can only lower it."""
    X = ngon_slack(6).X
    model = tau_sos_model(X / X.max())
    res = sdp.solve_clarabel_direct(model, None)
    tau = res.primal
    for scale in (1e-6, 1e-3, 1e-1):
        E = rng.normal(size=res.S.shape) * scale
        value, _ = certify_tau_sos_dual(model, res.S + E + E.T)
        assert value is None or value <= tau + 1e-7
    value, _ = certify_tau_sos_dual(model, -np.eye(model.order))
    assert value <= tau                      # valid (if useless): S + εI ≈ tiny·I
    value, info = certify_tau_sos_dual(model, np.zeros((model.order, model.order)))
    assert value is None and info["reason"] == "s00 <= 0"


def test_nuclear_certificate_sound_for_perturbed_dual(rng):
    X = thomas_4x4().X
    nu = 4.0 * np.sqrt(2.0)                  # ν of Thomas: (ν/‖X‖_F)² = 4, ‖X‖_F² = 8
    model = sdp.NuclearModel(X)
    Lam = rng.normal(size=X.shape)
    value, _ = certify_nuclear_dual(model, (Lam, None))
    assert value <= nu + 1e-9


# --------------------------------------------------------------------------------------
# failures, time limits, input errors
# --------------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:Solution may be inaccurate")
def test_time_limited_solve_gives_no_bound():
    X = np.random.default_rng(1).uniform(0.1, 1.0, (6, 6))
    r = tau_sos_bound(X, time_limit=1e-9)
    assert r.bound is None and r.status.startswith("time limit")
    r = nuclear_norm_bound(X, time_limit=1e-9)
    assert r.bound is None and r.status.startswith("time limit")


def test_failed_solve_gives_no_bound(monkeypatch):
    def broken(model, time_limit, direct_solve_method=None):
        return sdp.SolveResult(status="NumericalError", primal=4.7, dual=1.0, S=None,
                               r_prim=1.0, r_dual=1.0, iterations=3, solve_time=0.0, t=4.7)

    monkeypatch.setattr(sdp.tau_sos, "solve_clarabel_direct", broken)
    r = tau_sos_bound(ngon_slack(6).X, symmetry=None)
    assert r.bound is None and "NumericalError" in r.status and not r.certified


def test_inaccurate_solve_without_certificate_gives_no_bound(monkeypatch):
    def sloppy(model, time_limit, direct_solve_method=None):
        return sdp.SolveResult(status="AlmostSolved", primal=4.7, dual=4.6, S=None,
                               r_prim=1e-3, r_dual=1e-3, iterations=3, solve_time=0.0, t=4.7)

    monkeypatch.setattr(sdp.tau_sos, "solve_clarabel_direct", sloppy)
    r = tau_sos_bound(ngon_slack(6).X, symmetry=None)
    assert r.bound is None and "AlmostSolved" in r.status


def test_uncertified_value_is_rounded_with_margin(monkeypatch):
    """A 'Solved' status with an unusable dual: the primal value is rounded after a margin of
    10 × (gap + residuals), so 5.00001 with gap 1e-4 gives 5, not 6."""
    def no_dual(model, time_limit, direct_solve_method=None):
        return sdp.SolveResult(status="Solved", primal=5.00001, dual=4.99991, S=None,
                               r_prim=0.0, r_dual=0.0, iterations=3, solve_time=0.0, t=5.0)

    monkeypatch.setattr(sdp.tau_sos, "solve_clarabel_direct", no_dual)
    r = tau_sos_bound(ngon_slack(6).X, symmetry=None)
    assert not r.certified and r.bound == 5 and "uncertified" in r.status


def test_input_errors():
    with pytest.raises(NMFInputError):
        tau_sos_bound(np.array([[1.0, -1.0], [0.0, 1.0]]))
    with pytest.raises(NMFInputError):
        nuclear_norm_bound(np.array([1.0, 2.0]))
    with pytest.raises(SolverUnavailableError):
        tau_sos_bound(np.eye(2), solver="NO_SUCH_SOLVER")


def test_zero_matrix():
    assert tau_sos_bound(np.zeros((2, 3))).bound == 0
    assert nuclear_norm_bound(np.zeros((2, 3))).bound == 0


# --------------------------------------------------------------------------------------
# nonnegative nuclear norm
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, X, expected", [
    ("thomas", thomas_4x4().X, 4.0),
    ("hexagon", ngon_slack(6).X, 3.200),
    ("pentagon", ngon_slack(5).X, 2.835),
] + [(f"jmi{n}", j_minus_i(n).X, 4 * (n - 1) / n) for n in (3, 4, 5, 6)])
def test_nuclear_known_values(name, X, expected):
    _check_lower(nuclear_norm_bound(X), "nuclear_norm", expected)


def test_nuclear_not_invariant_under_diagonal_scaling_but_tau_is():
    X = ngon_slack(6).X
    d = np.array([1.0, 3.0, 1.0, 0.3, 1.0, 2.0])
    Y = d[:, None] * X
    assert abs(nuclear_norm_bound(X).value - nuclear_norm_bound(Y).value) > 1e-2
    assert tau_sos_bound(X).value == pytest.approx(tau_sos_bound(Y).value, abs=1e-5)


def test_nuclear_invariant_under_scalar_and_transpose():
    X = ngon_slack(5).X
    a = nuclear_norm_bound(X)
    b = nuclear_norm_bound(7.0 * X.T)
    assert a.value == pytest.approx(b.value, abs=1e-6) and a.bound == b.bound


# --------------------------------------------------------------------------------------
# τ₊^sos: cyclic symmetry reduction and solver selection
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("k", [6, 7, 8])
def test_symmetry_reduction_matches_full_solve(k):
    X = ngon_slack(k).X
    a = tau_sos_bound(X)                               # auto: circulant → reduced
    b = tau_sos_bound(X, symmetry=None)
    assert a.certificate["stats"]["symmetry"]["group_order"] == k
    assert b.certificate["stats"].get("symmetry") is None
    assert a.certified and b.certified and a.bound == b.bound
    assert a.value == pytest.approx(b.value, abs=1e-3)


def test_symmetry_reduced_blocks_are_exact():
    """For any invariant (t, w), the reduced cone slacks equal T_kᵀ M T_k computed densely."""
    X = ngon_slack(7).X
    model = tau_sos_model(X / X.max())
    sym = sdp.find_cyclic_symmetry(X / X.max())
    perm, L, orbits = sdp.position_orbits(model, *sym)
    orbit_id, n_orbits = sdp.class_orbit_ids(model, *sym)
    blocks = sdp.fourier_blocks(orbits, L, model.order)
    q, A, b, n_nn = sdp.symmetric_clarabel_data(model, orbit_id, n_orbits, blocks)
    z = np.random.default_rng(0).normal(size=q.size)
    y = z[1 + orbit_id[model.pair_class]]
    M = np.zeros((model.order, model.order))
    M[0, 0] = z[0]
    M[0, 1:] = M[1:, 0] = model.x
    M[1 + model.pairs_a, 1 + model.pairs_b] = y
    M[1 + model.pairs_b, 1 + model.pairs_a] = y
    T = np.hstack(blocks)
    np.testing.assert_allclose(T.T @ T, np.eye(model.order), atol=1e-12)
    full = T.T @ M @ T
    s, off, start = b - A @ z, n_nn, 0
    for Tk in blocks:
        d = Tk.shape[1]
        blk = sdp.smat(s[off:off + d * (d + 1) // 2], d)
        np.testing.assert_allclose(blk, full[start:start + d, start:start + d], atol=1e-12)
        off, start = off + d * (d + 1) // 2, start + d
    mask = np.zeros_like(full, dtype=bool)
    start = 0
    for Tk in blocks:
        d = Tk.shape[1]
        mask[start:start + d, start:start + d] = True
        start += d
    assert np.abs(full[~mask]).max() < 1e-12      # invariant M is block diagonal


def test_explicit_symmetry_checked():
    X = ngon_slack(6).X
    shift2 = np.roll(np.arange(6), -2)
    r = tau_sos_bound(X, symmetry=(shift2, shift2))
    assert r.certificate["stats"]["symmetry"]["group_order"] == 3
    assert r.value == pytest.approx(4.692, abs=1e-3)
    with pytest.raises(NMFInputError):
        tau_sos_bound(X, symmetry=(np.arange(6), shift2))
    with pytest.raises(NMFInputError):
        tau_sos_bound(X, symmetry="sometimes")
    assert sdp.find_cyclic_symmetry(np.random.default_rng(0).random((5, 5))) is None


def test_inaccurate_reduced_solve_falls_back_to_full_solve(monkeypatch):
    def sloppy(model, sym, orbit_data, time_limit):
        return sdp.SolveResult(status="AlmostSolved", primal=4.7, dual=4.6, S=None,
                               r_prim=1e-3, r_dual=1e-3, iterations=3, solve_time=0.0, t=4.7)

    monkeypatch.setattr(sdp.tau_sos, "solve_clarabel_symmetric", sloppy)
    r = tau_sos_bound(ngon_slack(6).X)
    assert r.certified and r.bound == 5
    assert "re-solved" in r.certificate["stats"]["fallback"]


def test_auto_uses_scs_above_order_60():
    X = np.random.default_rng(4).uniform(0.1, 1.0, (8, 8))      # PSD order 65
    a = tau_sos_bound(X)
    b = tau_sos_bound(X, solver="SCS")
    assert a.certified and a.value == pytest.approx(b.value, abs=1e-9)


@pytest.mark.slow
def test_scs_and_clarabel_agree_on_8x8():
    X = np.random.default_rng(4).uniform(0.1, 1.0, (8, 8))
    a = tau_sos_bound(X, solver="SCS")
    b = tau_sos_bound(X, solver="CLARABEL")
    assert a.certified and b.certified and a.bound == b.bound
    assert a.value == pytest.approx(b.value, abs=1e-4)


def test_tau_sos_refuses_a_psd_block_no_solver_here_can_finish():
    X = np.random.default_rng(0).uniform(size=(20, 30))
    b = tau_sos_bound(X, time_limit=5)
    assert b.bound is None and "PSD block has order 601" in b.status
