"""n-way NTF (Shashua & Hazan 2005): the MTTKRP against its definition, planted exact tensors
recovered by HALS, MU never increasing the loss, n = 2 equal to the matrix NMF iterate for
iterate, TensorLy's MU equal to ours from the same start, and named errors for bad input."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest

from nnmf_research import NMFInputError, TensorFactorization, factorize, ntf
from nnmf_research.tensor import (cp_to_tensor, hadamard_grams, khatri_rao, mttkrp,
                                  random_factors, tensor_loss, unfold)


def planted(shape, k, seed=0):
    rng = np.random.default_rng(seed)
    factors = [rng.random((length, k)) for length in shape]
    return cp_to_tensor(factors), factors


def noisy(shape, k, seed=0, level=0.05):
    T, _ = planted(shape, k, seed)
    rng = np.random.default_rng(seed + 100)
    return T + level * T.mean() * rng.random(shape)


# --- statistics ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(4, 5), (4, 5, 6), (3, 4, 5, 6), (25, 25, 30), (2, 3, 4, 2, 3)])
def test_mttkrp_equals_the_unfolding_times_the_khatri_rao_product_in_every_mode(shape):
    rng = np.random.default_rng(1)
    T = rng.random(shape)
    factors = [rng.random((length, 3)) for length in shape]
    for mode in range(len(shape)):
        K = khatri_rao([A for m, A in enumerate(factors) if m != mode])
        expected = unfold(T, mode) @ K
        got = mttkrp(T, factors, mode)
        assert got.shape == (shape[mode], 3)
        assert np.max(np.abs(got - expected)) <= 1e-12 * np.max(np.abs(expected))


@pytest.mark.parametrize("shape", [(5, 6, 7), (25, 25, 30), (3, 4, 5, 6), (2, 3, 4, 2, 3)])
def test_the_sweep_dimension_tree_gives_each_mode_its_mttkrp_as_factors_change(shape):
    """SweepMTTKRP reuses a partial contraction while the factors it came from are the same
    objects; through a sweep in which every mode's factor is replaced (and a call out of
    order), each M_r must still be T_(r) K_r of the current factors."""
    from nnmf_research.tensor import SweepMTTKRP

    rng = np.random.default_rng(2)
    T = rng.random(shape)
    factors = [rng.random((length, 3)) for length in shape]
    sweep = SweepMTTKRP(T)
    for mode in [*range(len(shape)), *range(len(shape)), 0, len(shape) - 1, 0]:
        expected = unfold(T, mode) @ khatri_rao([A for m, A in enumerate(factors) if m != mode])
        np.testing.assert_allclose(sweep(factors, mode), expected, rtol=1e-12)
        factors[mode] = rng.random(factors[mode].shape)   # the update: a new array


def test_cp_to_tensor_is_the_sum_of_outer_products_and_unfolds_as_a_times_k_transposed():
    rng = np.random.default_rng(2)
    A, B, C, D = (rng.random((n, 2)) for n in (3, 4, 2, 5))
    T = cp_to_tensor([A, B, C, D])
    assert np.allclose(T, np.einsum("ir,jr,kr,lr->ijkl", A, B, C, D), rtol=1e-14, atol=0)
    assert np.allclose(unfold(T, 2), C @ khatri_rao([A, B, D]).T, rtol=1e-14, atol=0)


def test_the_direct_loss_is_the_residual_norm_and_never_holds_the_whole_model():
    rng = np.random.default_rng(4)
    factors = [rng.random((80, 3)) for _ in range(3)]
    T = rng.random((80, 80, 80))                        # 4.1 MB; the model is as large
    expected = float(np.sum((T - np.einsum("ir,jr,kr->ijk", *factors)) ** 2))
    tracemalloc.start()
    try:
        got = tensor_loss("frobenius", T, factors)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == pytest.approx(expected, rel=1e-12)
    assert peak < 1.5 * 2**20                           # a 1 MiB slab and K (150 kB)


def test_hadamard_of_the_other_grams_is_the_gram_of_the_khatri_rao_product():
    rng = np.random.default_rng(3)
    factors = [rng.random((n, 3)) for n in (3, 4, 5)]
    grams = [A.T @ A for A in factors]
    K = khatri_rao([factors[0], factors[2]])
    assert np.allclose(hadamard_grams(grams, 1), K.T @ K, rtol=1e-13, atol=0)


def test_mttkrp_of_an_image_stack_holds_less_than_the_khatri_rao_product():
    """25×25×100, k = 10, mode 0: K_0 has 2500×10 entries; contracting mode 2 first holds 625×10."""
    rng = np.random.default_rng(4)
    T = rng.random((25, 25, 100))
    factors = [rng.random((n, 10)) for n in T.shape]
    kr_bytes = 25 * 100 * 10 * 8
    tracemalloc.start()
    mttkrp(T, factors, 0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.5 * kr_bytes


# --- what must be true ---------------------------------------------------------------------

@pytest.mark.parametrize("shape, k", [((12, 10, 8), 3), ((6, 5, 4, 3), 2)])
def test_hals_reaches_relative_error_below_1e_6_on_planted_exact_tensors(shape, k):
    T, _ = planted(shape, k)
    fit = ntf(T, k, method="hals", max_iter=5000, tol=0, random_state=0)
    assert fit.relative_error < 1e-6, fit.stop_reason
    assert all(np.all(A >= 0) and A.shape == (n, k) for A, n in zip(fit.factors, shape))
    assert np.linalg.norm(fit.to_tensor() - T) <= 1e-6 * np.linalg.norm(T)


@pytest.mark.parametrize("loss", ["frobenius", "kl"])
@pytest.mark.parametrize("shape, k", [((12, 10, 8), 3), ((6, 5, 4, 3), 2)])
def test_multiplicative_updates_never_increase_the_loss(shape, k, loss):
    T = noisy(shape, k)
    direct = []
    fit = ntf(T, k, method="mu", loss=loss, max_iter=150, tol=0, random_state=1,
              callback=lambda it, blocks, value: direct.append(tensor_loss(loss, T, blocks)))
    scale = float(np.vdot(T, T)) if loss == "frobenius" else fit.history[0]
    assert np.all(np.diff(fit.history) <= 1e-12 * scale)
    assert np.all(np.diff(direct) <= 1e-13 * scale)
    assert direct[-1] < 0.5 * fit.history[0]          # and it does decrease


@pytest.mark.parametrize("method", ["hals", "mu"])
@pytest.mark.parametrize("shape, k", [((12, 10, 8), 3), ((6, 5, 4, 3), 2)])
def test_the_line_search_keeps_the_loss_monotone(shape, k, method):
    """A step is kept only when it lowers the loss, and a sweep from the kept point does not
    raise it: the history stays monotone (checked against the direct loss too)."""
    from nnmf_research.tensor import LineSearch

    T = noisy(shape, k)
    scale = float(np.vdot(T, T))
    search, direct = LineSearch(), []
    fit = ntf(T, k, method=method, max_iter=60, tol=0, random_state=1, line_search=search,
              callback=lambda it, blocks, value: direct.append(tensor_loss("frobenius", T,
                                                                             blocks)))
    assert np.all(np.diff(fit.history) <= 1e-12 * scale)
    assert np.all(np.diff(direct) <= 1e-12 * scale)
    np.testing.assert_allclose(fit.history[1:], direct, rtol=1e-9)
    assert search.kept > 0 and search.kept + search.refused == 59   # every sweep but the 1st


def test_a_kept_step_is_an_ordinary_sweep_from_the_extrapolated_point():
    """Two sweeps with the line search = one plain sweep C1 from the start C0, then E =
    max(eps, C1 + beta (C1 - C0)) kept when L(E) < L(C1), then one plain sweep from E."""
    from nnmf_research.kernels import EPS
    from nnmf_research.tensor import LineSearch

    T = noisy((9, 8, 7), 3, seed=4)
    C0 = ntf(T, 3, max_iter=10, tol=0, random_state=5, line_search=False).factors
    search = LineSearch(beta=0.7)
    fit = ntf(T, 3, factors=C0, max_iter=2, tol=0, line_search=search)
    C1 = ntf(T, 3, factors=C0, max_iter=1, tol=0, line_search=False).factors
    E = [np.maximum(c1 + 0.7 * (c1 - c0), EPS) for c0, c1 in zip(C0, C1)]
    assert tensor_loss("frobenius", T, E) < tensor_loss("frobenius", T, C1)   # so it is kept
    assert search.kept == 1 and search.beta == pytest.approx(0.7 * search.grow)
    C2 = ntf(T, 3, factors=E, max_iter=1, tol=0, line_search=False).factors
    for got, expected in zip(fit.factors, C2):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_a_refused_step_leaves_the_plain_iterates():
    """beta = 0 gives E = C: kept or refused (their two losses differ by rounding only),
    the iterates are those of the run without the line search."""
    from nnmf_research.tensor import LineSearch

    T = noisy((8, 7, 6), 2, seed=3)
    search = LineSearch(beta=0.0)
    fit = ntf(T, 2, max_iter=20, tol=0, random_state=2, line_search=search)
    plain = ntf(T, 2, max_iter=20, tol=0, random_state=2, line_search=False)
    assert search.kept + search.refused == 19
    for got, expected in zip(fit.factors, plain.factors):
        np.testing.assert_allclose(got, expected, rtol=1e-13)


def test_the_inner_sweep_cap_bounds_hals_sweeps():
    """A cap of 1 inner sweep is plain HALS (alpha = 0: one sweep, no cap needed); the
    default cap (5) is what ntf uses for n >= 3; 0 lifts it."""
    from nnmf_research.kernels import HALS
    from nnmf_research.tensor import HALS_MAX_SWEEPS

    T = noisy((8, 7, 6), 2, seed=3)
    one = ntf(T, 2, max_iter=10, tol=0, random_state=2, kernel_options={"max_sweeps": 1})
    plain = ntf(T, 2, max_iter=10, tol=0, random_state=2,
                kernel_options={"alpha": 0, "max_sweeps": 0})
    for a, b in zip(one.factors, plain.factors):
        np.testing.assert_allclose(a, b, rtol=1e-13)
    assert HALS(max_sweeps=5).max_inner_sweeps(10**4, 100, 10) == 5
    assert HALS().max_inner_sweeps(10**4, 100, 10) == 501    # floor(1 + 0.5 * 1001)
    default = ntf(T, 2, max_iter=10, tol=0, random_state=2)
    capped = ntf(T, 2, max_iter=10, tol=0, random_state=2,
                 kernel_options={"max_sweeps": HALS_MAX_SWEEPS})
    np.testing.assert_allclose(default.factors[0], capped.factors[0], rtol=1e-13)


def test_the_line_search_is_on_by_default_for_hals_on_three_way_tensors_only():
    T = noisy((8, 7, 6), 2, seed=3)
    on = ntf(T, 2, max_iter=15, tol=0, random_state=2)
    assert np.allclose(on.factors[0], ntf(T, 2, max_iter=15, tol=0, random_state=2,
                                          line_search=True).factors[0], rtol=1e-13)
    assert not np.allclose(on.factors[0], ntf(T, 2, max_iter=15, tol=0, random_state=2,
                                              line_search=False).factors[0], rtol=1e-6)


@pytest.mark.parametrize("options", [{"method": "mu", "loss": "kl"},
                                     {"method": "cvxpy", "loss": "frobenius"}])
def test_the_line_search_is_refused_where_it_has_no_loss_identity(options):
    with pytest.raises(NMFInputError, match="line_search applies to loss 'frobenius'"):
        ntf(noisy((4, 3, 3), 2), 2, line_search=True, max_iter=2, **options)


def test_balancing_keeps_the_model_exactly_and_brings_each_terms_columns_within_4x():
    from nnmf_research.tensor import balance_components

    rng = np.random.default_rng(1)
    F = [rng.random((5, 3)), rng.random((4, 3)), rng.random((6, 3)), rng.random((3, 3))]
    F[0][:, 1] *= 1e-16
    F[1][:, 1] *= 1e16
    F[2][:, 2] *= 2.0**-600
    F[3][:, 2] *= 2.0**600
    B = balance_components(F)
    np.testing.assert_array_equal(cp_to_tensor(B), cp_to_tensor(F))   # powers of two: exact
    tops = np.array([A.max(axis=0) for A in B])
    assert np.all(tops.max(axis=0) / tops.min(axis=0) < 4.0)
    # a spread threshold leaves the terms within it untouched (term 0 spans a few powers)
    kept = balance_components(F, spread=30)
    for A, A_kept in zip(F, kept):
        np.testing.assert_array_equal(A_kept[:, 0], A[:, 0])
    assert np.all(np.array([A.max(axis=0) for A in kept])[:, 1:].max(axis=0)
                  / np.array([A.max(axis=0) for A in kept])[:, 1:].min(axis=0) < 4.0)


def test_a_term_scaled_down_to_the_floor_recovers_the_planted_tensor_only_balanced():
    """The same model as a balanced start, one term's mode-1 column scaled by 2^-50 (its
    entries ~1e-15, the floor 1e-16) and its mode-2 column by 2^50. The planted factors have
    zeros in mode 1, which the floored term can only approximate to ~1e-16 / 1e-15 of its
    scale: unbalanced, HALS stalls far from the exact fit; balanced, it recovers it."""
    rng = np.random.default_rng(0)
    true = [rng.uniform(0.1, 1.0, (length, 3)) for length in (8, 7, 6)]
    true[0][:4] = 0.0
    true[0][4:, 0] = 0.0
    T = cp_to_tensor(true)
    start = [A.copy() for A in random_factors(T, 3, np.random.default_rng(0))]
    start[0][:, 2] *= 2.0**-50
    start[1][:, 2] *= 2.0**50
    balanced = ntf(T, 3, factors=start, max_iter=1000, tol=0)      # the default for HALS
    assert balanced.relative_error < 1e-10
    assert ntf(T, 3, factors=start, max_iter=1000, tol=0,
               balance=False).relative_error > 1e-5


def test_balance_is_refused_for_the_kl_loss():
    with pytest.raises(NMFInputError, match="balance applies to loss 'frobenius'"):
        ntf(noisy((4, 3, 3), 2), 2, method="mu", loss="kl", balance=True, max_iter=2)


def _collect(store):
    """An ntf callback keeping a copy of every sweep's factors."""
    def callback(it, blocks, value):
        store.append([A.copy() for A in blocks])
    return callback


def _collect_matrix(store):
    """A factorize callback keeping a copy of every iteration's (W, H)."""
    def callback(it, W, H, value):
        store.append((W.copy(), H.copy()))
    return callback


@pytest.mark.parametrize("method, loss", [("mu", "frobenius"), ("mu", "kl"), ("hals", "frobenius")])
def test_two_way_ntf_makes_the_matrix_nmf_iterates_from_the_same_start(method, loss):
    """T ≈ A₁A₂ᵀ is X = Tᵀ ≈ WH with W = A₂, H = A₁ᵀ (the matrix driver updates H first)."""
    T = noisy((15, 12), 3, seed=5)
    A1, A2 = random_factors(T, 3, random_state=2)
    ours, matrix = [], []
    fit = ntf(T, 3, method=method, loss=loss, factors=(A1, A2), max_iter=60, tol=0,
              callback=_collect(ours))
    ref = factorize(T.T, 3, method=method, loss=loss, W=A2, H=A1.T, max_iter=60, tol=0,
                    callback=_collect_matrix(matrix), check_every=1)   # every iterate
    assert len(ours) == len(matrix) == 60
    for (a1, a2), (W, H) in zip(ours, matrix):
        assert np.max(np.abs(a1 - H.T)) <= 1e-12 * np.max(H)
        assert np.max(np.abs(a2 - W)) <= 1e-12 * np.max(W)
    # Both histories come from Gram identities, each rounded at about 1e-13·‖T‖²_F.
    assert np.allclose(fit.history, ref.history, rtol=0, atol=1e-12 * float(np.vdot(T, T)))
    assert fit.loss == pytest.approx(ref.loss, rel=1e-12)


def test_our_mu_equals_tensorly_non_negative_parafac_iterate_for_iterate():
    tl = pytest.importorskip(
        "tensorly", reason="tensorly is not installed (a 7.4 MB wheel, so not in the test "
        "extra); pip install tensorly to run this check")
    from tensorly.cp_tensor import CPTensor
    from tensorly.decomposition import non_negative_parafac

    T = noisy((12, 10, 8), 3, level=0.01)
    init = random_factors(T, 3, random_state=1)
    ours = []
    ntf(T, 3, method="mu", factors=init, max_iter=200, tol=0, callback=_collect(ours))
    for t in (1, 2, 3, 5, 10, 50, 200):
        theirs = non_negative_parafac(
            tl.tensor(T), 3, init=CPTensor((np.ones(3), [A.copy() for A in init])),
            n_iter_max=t, tol=0)
        for a, b in zip(ours[t - 1], theirs.factors):
            assert np.max(np.abs(a - b)) <= 1e-13 * np.max(np.abs(b)), t


# --- the record, the loop's rules, reproducibility -----------------------------------------

def test_the_record_is_frozen_and_its_summary_is_json():
    T, _ = planted((5, 4, 3), 2)
    fit = ntf(T, 2, method="mu", max_iter=5, tol=0, random_state=0)
    assert isinstance(fit, TensorFactorization)
    assert fit.shape == (5, 4, 3) and fit.k == 2 and fit.n_iter == 5
    assert len(fit.history) == 6 and fit.stop_reason == "max_iter=5 reached"
    assert fit.loss == pytest.approx(tensor_loss("frobenius", T, fit.factors), rel=1e-14)
    assert fit.relative_error == pytest.approx(np.sqrt(fit.loss) / np.linalg.norm(T), rel=1e-14)
    with pytest.raises(AttributeError):
        fit.loss = 0.0
    assert json.loads(json.dumps(fit.summary()))["shape"] == [5, 4, 3]


def test_the_same_seed_gives_the_same_factors_and_the_input_is_not_modified():
    T = noisy((6, 5, 4), 2)
    init = random_factors(T, 2, random_state=3)
    copies = [T.copy()] + [A.copy() for A in init]
    first = ntf(T, 2, method="hals", factors=init, max_iter=10)
    again = ntf(T, 2, method="hals", factors=init, max_iter=10)
    assert all(np.array_equal(a, b) for a, b in zip(first.factors, again.factors))
    assert all(np.array_equal(a, b) for a, b in zip([T, *init], copies))
    seeded = [ntf(T, 2, method="mu", random_state=7, max_iter=3).factors for _ in range(2)]
    assert all(np.array_equal(a, b) for a, b in zip(*seeded))


def test_callback_stop_and_ctrl_c_return_the_last_complete_sweep():
    T = noisy((6, 5, 4), 2)
    stopped = ntf(T, 2, method="mu", max_iter=50, tol=0, random_state=0,
                  callback=lambda it, blocks, value: it == 3)
    assert stopped.n_iter == 3 and stopped.stop_reason == "stopped by callback after 3 iterations"

    seen = {}

    def interrupt(it, blocks, value):
        seen[it] = [A.copy() for A in blocks]
        if it == 5:
            raise KeyboardInterrupt

    fit = ntf(T, 2, method="hals", max_iter=50, tol=0, random_state=0, callback=interrupt)
    assert fit.n_iter == 5 and fit.stop_reason.startswith("interrupted after 5 iterations")
    assert all(np.array_equal(a, b) for a, b in zip(fit.factors, seen[5]))


def test_cvxpy_sweeps_never_increase_the_frobenius_loss_beyond_solver_accuracy():
    T = noisy((6, 5, 4), 2)
    fit = ntf(T, 2, method="cvxpy", max_iter=8, tol=0, random_state=0)
    assert np.all(np.diff(fit.history) <= 1e-7 * float(np.vdot(T, T)))
    assert fit.history[-1] < 0.1 * fit.history[0]


# --- named errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("T, message", [
    (np.array([[[1.0, 2.0], [3.0, -0.5]]]), r"T entry \(0, 1, 1\) is negative: -0.5"),
    (np.ones(4), r"T must have at least 2 modes .* got an order-1 array of shape \(4,\)"),
    (np.float64(3.0), r"at least 2 modes .* order-0 array"),
    (np.ones((3, 0, 2)), r"T mode 1 has length 0 \(shape \(3, 0, 2\)\)"),
    (np.array([[1.0, np.nan], [1.0, 1.0]]), r"T entry \(0, 1\) is not finite: nan"),
])
def test_bad_tensors_get_a_named_error(T, message):
    with pytest.raises(NMFInputError, match=message):
        ntf(T, 2)


@pytest.mark.parametrize("k, message", [(0, r"k=0 is out of range \[1, inf\]"),
                                        (-2, r"k=-2 is out of range"),
                                        (1.5, r"k=1.5 must be an integer")])
def test_k_below_one_or_not_an_integer_is_refused(k, message):
    with pytest.raises(NMFInputError, match=message):
        ntf(np.ones((3, 3, 3)), k)


def test_options_that_do_not_fit_are_refused_by_name():
    T = np.ones((3, 4, 2))
    with pytest.raises(NMFInputError, match="method 'hals' supports loss 'frobenius' only"):
        ntf(T, 2, method="hals", loss="kl")
    with pytest.raises(NMFInputError, match="unknown method 'als'"):
        ntf(T, 2, method="als")
    with pytest.raises(NMFInputError, match=r"factor 1 has shape \(3, 2\), expected \(4, 2\)"):
        ntf(T, 2, factors=[np.ones((3, 2))] * 3)
    with pytest.raises(NMFInputError, match="needs 3 initial factors, got 2"):
        ntf(T, 2, factors=[np.ones((3, 2)), np.ones((4, 2))])
    with pytest.raises(NMFInputError, match="solver= applies to method='cvxpy' only"):
        ntf(T, 2, method="mu", solver="OSQP")


def test_k_may_exceed_every_mode_length():
    """Tensor rank can exceed the lengths (unlike matrix rank): k = 5 on 2×2×2 is allowed."""
    T = noisy((2, 2, 2), 1)
    fit = ntf(T, 5, method="hals", max_iter=20, random_state=0)
    assert all(A.shape == (2, 5) for A in fit.factors)


def test_the_readme_ntf_example_runs_as_pasted_and_fits_exactly(capsys):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("## Non-negative tensor factorization (NTF)"):]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["fit"].relative_error < 1e-6
    assert "[(12, 3), (10, 3), (8, 3)]" in capsys.readouterr().out


def test_a_tensor_file_round_trips_through_load_tensor_and_save_ntf(tmp_path):
    from nnmf_research.tensor import load_tensor, save_ntf

    T, _ = planted((4, 3, 5, 2), 2)
    np.save(tmp_path / "stack.npy", T)
    loaded = load_tensor(tmp_path / "stack.npy")
    assert loaded.shape == (4, 3, 5, 2) and np.array_equal(loaded, T)
    fit = ntf(loaded, 2, method="mu", max_iter=3, random_state=0)
    paths = save_ntf(fit, tmp_path / "run", {"input": "stack.npy"})
    assert [p.name for p in paths] == ["A1.npy", "A2.npy", "A3.npy", "A4.npy", "summary.json"]
    assert all(np.array_equal(np.load(p), A) for p, A in zip(paths, fit.factors))
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["input"] == "stack.npy" and summary["shape"] == [4, 3, 5, 2]
    np.save(tmp_path / "bad.npy", -T)
    with pytest.raises(NMFInputError, match=r"bad.npy: T entry \(0, 0, 0, 0\) is negative"):
        load_tensor(tmp_path / "bad.npy")


# --- experiment cells (reproduce/cells.py: the ntf and tensorly_ntf kinds) ----------------

def _cell(kind, X, k, params, rep_seed=0):
    from nnmf_research.reproduce.cells import run_method

    return run_method(kind, X, k, None, None, np.random.default_rng([rep_seed, 0, 1]), params)


def test_the_planted_tensor_loader_is_the_sum_of_its_outer_products():
    from nnmf_research.datasets import load_dataset

    data = load_dataset("planted_tensor", shape=[6, 5, 4], k=2, seed=3)
    gen = np.random.default_rng(3)
    factors = [gen.uniform(0.1, 1.0, (length, 2)) for length in (6, 5, 4)]
    np.testing.assert_allclose(data.X.reshape(6, 5, 4), cp_to_tensor(factors), rtol=1e-14)
    assert data.X.shape == (30, 4)


def test_the_ntf_cell_is_ntf_from_the_repetition_start_and_its_w_h_are_the_model():
    from nnmf_research.datasets import load_dataset

    X = load_dataset("planted_tensor", shape=[6, 6, 5], k=3, seed=1).X
    out = _cell("ntf", X, 3, {"method": "hals", "max_iter": 40, "tol": 0})
    T = X.reshape(6, 6, 5)
    fit = ntf(T, 3, method="hals", max_iter=40, tol=0,
              factors=random_factors(T, 3, np.random.default_rng([0, 0, 1])))
    # W = the rank-one images a_j ⊗ b_j, H = C^T: WH is the model, whatever the column order
    np.testing.assert_allclose(out.W @ out.H, fit.to_tensor().reshape(X.shape), rtol=1e-12,
                               atol=1e-14)
    assert out.n_iter == 40 and len(out.trace_loss) == len(out.trace_time) == 41
    np.testing.assert_allclose(out.trace_loss, fit.history, rtol=1e-12)
    assert out.extra["n_parameters"] == 3 * (6 + 6 + 5)


def test_matched_parameters_give_the_ntf_rank_with_the_nearest_count():
    from nnmf_research.reproduce.cells import _matched_rank

    X = np.ones((625, 100))   # faces: NMF at k has 725k parameters, NTF 150 k_T
    assert [_matched_rank(k, X, (25, 25, 100)) for k in (4, 10, 20, 49)] == [19, 48, 97, 237]


def test_time_to_relative_error_reads_the_first_trace_point_at_the_target():
    from nnmf_research.reproduce.cells import MethodOutput
    from nnmf_research.reproduce.metrics import METRICS

    X = np.full((10, 10), 0.1)       # ||X||^2 = 1: the loss is the relative error squared
    out = MethodOutput(trace_loss=np.array([1.0, 1e-4, 2e-6, 9e-7, 1e-8]),
                       trace_time=np.array([0.0, 1.0, 2.0, 3.0, 4.0]))
    ctx = {"X": X, "W": None, "H": None, "out": out}
    assert METRICS["time_to_relative_error_1e-3"](ctx) == 3.0
    assert METRICS["seconds_per_iteration"](ctx) == 1.0


def test_peak_memory_counts_what_numpy_allocates():
    from nnmf_research.reproduce.cells import _peak_memory_mb

    assert tracemalloc.is_tracing() is False
    peak = _peak_memory_mb(lambda: np.ones(2**20))          # 8 MiB
    assert 8.0 <= peak < 8.1 and tracemalloc.is_tracing() is False


def test_tensorly_cells_start_where_ours_do_and_their_mu_iterates_agree():
    pytest.importorskip(
        "tensorly", reason="tensorly is not installed (a benchmark-only peer); pip install "
        "tensorly to run this check")
    from nnmf_research.datasets import load_dataset

    X = load_dataset("planted_tensor", shape=[10, 10, 8], k=3, seed=2).X
    params = {"max_iter": 30, "blas_threads": 1, "memory_iterations": 2}
    ours = _cell("ntf", X, 3, {"method": "mu", "tol": 0, **params})
    theirs = _cell("tensorly_ntf", X, 3, {"algorithm": "mu", **params})
    np.testing.assert_allclose(theirs.W @ theirs.H, ours.W @ ours.H, rtol=1e-11)
    np.testing.assert_allclose(theirs.trace_loss, ours.trace_loss, rtol=1e-9)
    assert theirs.n_iter == ours.n_iter == 30
    for out in (ours, theirs):
        assert np.all(np.diff(out.trace_time) > 0)
        assert out.extra["blas_threads"] == 1.0 and out.extra["peak_memory_mb"] > 0
    hals = _cell("tensorly_ntf", X, 3, {"algorithm": "hals", **params})
    assert hals.n_iter == 30 and hals.trace_loss[-1] < 1e-3 * hals.trace_loss[0]


def test_the_ntf_cells_peer_runs_from_the_same_start_and_gives_the_pair_metrics():
    pytest.importorskip(
        "tensorly", reason="tensorly is not installed (a benchmark-only peer); pip install "
        "tensorly to run this check")
    from nnmf_research.datasets import load_dataset
    from nnmf_research.reproduce.metrics import METRICS, peer_final_loss_times

    X = load_dataset("planted_tensor", shape=[10, 10, 8], k=3, seed=2).X
    params = {"max_iter": 25, "blas_threads": 1}
    ours = _cell("ntf", X, 3, {"method": "hals", "tol": 0, "peer": "hals", **params})
    theirs = _cell("tensorly_ntf", X, 3, {"algorithm": "hals", **params})
    plain = _cell("ntf", X, 3, {"method": "hals", "tol": 0, **params})
    np.testing.assert_allclose(ours.trace_loss, plain.trace_loss, rtol=1e-12)  # ours as before
    # the peer in the cell is the tensorly_ntf cell's run: the same losses, its own times
    np.testing.assert_allclose(ours.extra["trace_peer_loss"], theirs.trace_loss, rtol=1e-12)
    assert len(ours.extra["trace_peer_time"]) == 26
    ctx = {"X": X, "W": ours.W, "H": ours.H, "out": ours}
    expected = peer_final_loss_times(ours.trace_loss, ours.trace_time,
                                     theirs.trace_loss, ours.extra["trace_peer_time"])
    assert expected[0] is not None
    assert [METRICS[m](ctx) for m in ("time_to_peer_final_loss", "peer_time_to_final_loss",
                                      "ratio_to_peer_final_loss")] == list(expected)


def test_the_per_column_near_zero_fraction_is_blind_to_each_columns_scale():
    from nnmf_research.reproduce.metrics import column_near_zero_fraction, near_zero_fraction

    A = np.array([[1.0, 1e-6], [1e-4, 1e-9], [0.5, 1e-6], [0.0, 0.0]])
    # column 0: 1e-4 and 0 are below 1e-3; column 1 (max 1e-6): 1e-9 and 0 are
    assert column_near_zero_fraction(A) == 0.5
    assert column_near_zero_fraction(A * [1.0, 1e6]) == 0.5
    assert near_zero_fraction(A) == 0.75          # the global rule counts all of column 1



def test_at_matched_parameters_ntf_rank_one_images_are_sparser_than_nmf_bases():
    """Shashua & Hazan's point at the experiment's [tiny] size (30 faces, NMF rank 4 vs NTF
    rank 33: 2620 vs 2640 parameters, 25 HALS sweeps each): the rank-one images a_j ⊗ b_j are
    sparser than NMF's basis images, by Hoyer and by the per-column near-zero fraction."""
    from nnmf_research.datasets import load_dataset
    from nnmf_research.init import initialize
    from nnmf_research.reproduce.cells import run_method
    from nnmf_research.reproduce.metrics import METRICS

    X = load_dataset("faces", n_images=30).X
    W0, H0 = initialize(X, 4, method="random", random_state=0)
    nmf = run_method("nmf", X, 4, W0, H0, np.random.default_rng(0),
                     {"method": "hals", "max_iter": 25, "tol": 0})
    ntf_out = _cell("ntf", X, 4, {"modes": [25, 25], "match_nmf_parameters": True,
                                  "method": "hals", "max_iter": 25, "tol": 0})
    value = {name: [METRICS[name]({"X": X, "W": o.W, "H": o.H, "out": o})
                    for o in (nmf, ntf_out)]
             for name in ("n_parameters", "n_terms", "hoyer_basis", "sparsity_basis_columns")}
    assert value["n_parameters"] == [4 * (625 + 30), 33 * (25 + 25 + 30)]
    assert value["n_terms"] == [4, 33]
    for name in ("hoyer_basis", "sparsity_basis_columns"):
        assert value[name][1] > value[name][0] + 0.1, (name, value[name])


def test_check_every_keeps_the_kl_iterates_and_threads_is_accepted():
    rng = np.random.default_rng(11)
    A = [rng.random((n, 3)) + 0.1 for n in (6, 5, 4)]
    T = np.einsum("ir,jr,kr->ijk", *A)
    full = ntf(T, 3, method="mu", loss="kl", random_state=0, max_iter=12, tol=0)
    sparse = ntf(T, 3, method="mu", loss="kl", random_state=0, max_iter=12, tol=0,
                 check_every=5, threads=1)
    for a, b in zip(full.factors, sparse.factors):
        np.testing.assert_array_equal(a, b)
    assert sparse.history_iterations == (0, 5, 10, 12)
    assert full.history_iterations == tuple(range(13))
    with pytest.raises(NMFInputError, match="check_every"):
        ntf(T, 3, method="hals", random_state=0, check_every=5)
