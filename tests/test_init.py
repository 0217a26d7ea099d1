"""Initial factors: valid, seeded, exact on rank one, and equal to scikit-learn's where its
randomized SVD is exact. Orientation: scikit-learn's X is our Xᵀ, its W our Hᵀ, its H our Wᵀ.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from nnmf_research.checks import NMFInputError
from nnmf_research.init import INIT_METHODS, initialize

SEEDED = ("random", "nndsvdar")
DETERMINISTIC = ("nndsvd", "nndsvda")


def _assert_valid(W, H, m, n, k):
    assert W.shape == (m, k) and H.shape == (k, n)
    for F in (W, H):
        assert F.dtype == np.float64
        assert np.isfinite(F).all() and F.min() >= 0


def test_the_methods_are_the_four_of_scikit_learn():
    assert INIT_METHODS == ("random", "nndsvd", "nndsvda", "nndsvdar")


@pytest.mark.parametrize("method", INIT_METHODS)
def test_every_method_gives_shaped_nonnegative_finite_factors_on_a_random_matrix(
        method, random_matrix):
    W, H = initialize(random_matrix, 7, method=method, random_state=0)
    _assert_valid(W, H, 80, 60, 7)


@pytest.mark.parametrize("method", INIT_METHODS)
def test_every_method_gives_shaped_nonnegative_finite_factors_on_digits(method, digits):
    W, H = initialize(digits, 10, method=method, random_state=0)
    _assert_valid(W, H, 64, 1797, 10)


@pytest.mark.parametrize("method", INIT_METHODS)
def test_a_zero_matrix_and_a_rank_deficient_matrix_still_give_finite_factors(method):
    """Rank one with k = 3: the trailing singular values are (numerically) zero."""
    W, H = initialize(np.zeros((6, 4)), 2, method=method, random_state=0)
    _assert_valid(W, H, 6, 4, 2)
    assert not W.any() and not H.any()
    X = np.outer(np.arange(1.0, 7.0), np.arange(1.0, 5.0))
    W, H = initialize(X, 3, method=method, random_state=0)
    _assert_valid(W, H, 6, 4, 3)


@pytest.mark.parametrize("method", SEEDED)
def test_the_same_seed_gives_the_same_factors_and_other_seeds_differ(method, random_matrix):
    a = initialize(random_matrix, 5, method=method, random_state=1)
    b = initialize(random_matrix, 5, method=method, random_state=1)
    c = initialize(random_matrix, 5, method=method, random_state=2)
    for x, y, z in zip(a, b, c):
        np.testing.assert_array_equal(x, y)
        assert not np.array_equal(x, z)


@pytest.mark.parametrize("method", SEEDED)
def test_a_generator_seeded_alike_gives_the_same_factors_as_its_seed(method, random_matrix):
    a = initialize(random_matrix, 5, method=method, random_state=3)
    b = initialize(random_matrix, 5, method=method, random_state=np.random.default_rng(3))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("method", DETERMINISTIC)
def test_nndsvd_and_nndsvda_do_not_depend_on_the_seed(method, random_matrix):
    ref = initialize(random_matrix, 5, method=method, random_state=1)
    for seed in (99, None, np.random.default_rng(5)):
        other = initialize(random_matrix, 5, method=method, random_state=seed)
        np.testing.assert_array_equal(ref[0], other[0])
        np.testing.assert_array_equal(ref[1], other[1])


@pytest.mark.parametrize("method", SEEDED)
def test_no_global_random_state_is_read_or_changed(method, random_matrix):
    before = np.random.get_state()[1].copy()
    initialize(random_matrix, 4, method=method, random_state=None)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_nndsvd_of_a_positive_rank_one_matrix_reproduces_it_exactly():
    gen = np.random.default_rng(0)
    u, v = gen.uniform(0.1, 1.0, 12), gen.uniform(0.1, 1.0, 9)
    X = np.outer(u, v)
    W, H = initialize(X, 1, method="nndsvd")
    np.testing.assert_allclose(W @ H, X, rtol=1e-12, atol=0)


def test_nndsvd_first_component_is_the_scaled_leading_singular_pair(random_matrix):
    U, s, Vt = np.linalg.svd(random_matrix)
    W, H = initialize(random_matrix, 3, method="nndsvd")
    np.testing.assert_allclose(W[:, 0], np.sqrt(s[0]) * np.abs(U[:, 0]), rtol=1e-10)
    np.testing.assert_allclose(H[0], np.sqrt(s[0]) * np.abs(Vt[0]), rtol=1e-10)


@pytest.mark.parametrize("c", [1e-12, 1e6])
def test_nndsvd_scales_with_the_square_root_of_the_data(c, random_matrix):
    """The zero threshold is relative (1e-6·√σ_0), so tiny data is not zeroed out."""
    W, H = initialize(random_matrix, 5, method="nndsvd")
    Wc, Hc = initialize(c * random_matrix, 5, method="nndsvd")
    np.testing.assert_allclose(Wc, np.sqrt(c) * W, rtol=1e-9, atol=0)
    np.testing.assert_allclose(Hc, np.sqrt(c) * H, rtol=1e-9, atol=0)


def test_nndsvda_is_nndsvd_with_its_zeros_replaced_by_the_mean(random_matrix):
    W, H = initialize(random_matrix, 6, method="nndsvd")
    Wa, Ha = initialize(random_matrix, 6, method="nndsvda")
    assert (W == 0).any() and (H == 0).any()
    for F, Fa in ((W, Wa), (H, Ha)):
        np.testing.assert_array_equal(Fa[F > 0], F[F > 0])
        np.testing.assert_array_equal(Fa[F == 0], random_matrix.mean())


def test_nndsvdar_is_nndsvd_with_its_zeros_replaced_by_small_positive_draws(random_matrix):
    W, H = initialize(random_matrix, 6, method="nndsvd")
    Wr, Hr = initialize(random_matrix, 6, method="nndsvdar", random_state=0)
    zeros = np.concatenate([Wr[W == 0], Hr[H == 0]])
    for F, Fr in ((W, Wr), (H, Hr)):
        np.testing.assert_array_equal(Fr[F > 0], F[F > 0])
    # mean(X)/100·|N(0,1)|: positive, and far below mean(X) (|N| < 10 is certain here)
    assert zeros.min() > 0 and zeros.max() < random_matrix.mean() / 10


def test_sparse_input_gives_the_same_factors_as_dense(random_matrix):
    X = random_matrix * (random_matrix > 0.5)
    dense = initialize(X, 4, method="nndsvd")
    sparse = initialize(sp.csr_matrix(X), 4, method="nndsvd")
    for x, y in zip(dense, sparse):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("method", DETERMINISTIC)
def test_nndsvd_agrees_with_scikit_learn_where_its_randomized_svd_is_exact(method):
    """scikit-learn's ``_initialize_nmf`` uses ``randomized_svd`` with k + 10 random vectors.
    When min(m, n) <= k + 10 those span the whole row space, so its SVD (hence NNDSVD) is
    exact to rounding (measured: ~1e-13 relative). At 30×20, k = 5 it is *not*: there it
    differs from the exact NNDSVD by up to ~1e-3 relative, depending on random_state.
    X is scaled to ‖X‖₂ = 1 so our relative zero threshold 1e-6·√σ_0 equals its absolute
    1e-6 exactly (the nndsvda fill value, mean(X), is unaffected)."""
    nmf = pytest.importorskip("sklearn.decomposition._nmf")
    X = np.random.default_rng(11).random((30, 15))
    X /= np.linalg.norm(X, 2)
    k = 5
    W, H = initialize(X, k, method=method)
    W_sk, H_sk = nmf._initialize_nmf(X.T, k, init=method, random_state=0)
    scale = max(W.max(), H.max())
    np.testing.assert_allclose(W, H_sk.T, rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(H, W_sk.T, rtol=0, atol=1e-10 * scale)


def test_random_entries_have_scikit_learns_scale():
    """Entries are a·|N(0,1)| with a = √(mean(X)/k): their mean is a·√(2/π) with standard
    error a·√(1 − 2/π)/√N; a fixed seed keeps it deterministic, 3 standard errors is the bar."""
    X = np.random.default_rng(4).random((400, 300))
    k = 8
    a = np.sqrt(X.mean() / k)
    W, H = initialize(X, k, method="random", random_state=0)
    for F in (W, H):
        se = a * np.sqrt(1 - 2 / np.pi) / np.sqrt(F.size)
        assert abs(F.mean() - a * np.sqrt(2 / np.pi)) < 3 * se
    # so E[WH] = k·a²·2/π = (2/π)·mean(X): the product has X's scale
    assert 0.5 < (W @ H).mean() / (2 / np.pi * X.mean()) < 1.5


@pytest.mark.parametrize("k", [0, 16])
def test_k_outside_one_to_min_m_n_is_refused_with_the_range(k):
    with pytest.raises(NMFInputError, match=rf"k={k} is out of range \[1, 15\]"):
        initialize(np.ones((15, 20)), k)


def test_an_unknown_method_is_refused_with_the_valid_choices(random_matrix):
    with pytest.raises(NMFInputError, match="unknown init 'svd'; valid choices: random, "
                                            "nndsvd, nndsvda, nndsvdar"):
        initialize(random_matrix, 3, method="svd")


def test_negative_entries_are_refused():
    X = np.ones((4, 5))
    X[2, 1] = -1.0
    with pytest.raises(NMFInputError, match=r"X entry \(2, 1\) is negative"):
        initialize(X, 2)


def test_a_bad_random_state_is_refused_even_when_unused(random_matrix):
    with pytest.raises(NMFInputError, match="random_state=-1 must be"):
        initialize(random_matrix, 3, method="nndsvd", random_state=-1)


def test_nothing_is_printed(random_matrix, capsys):
    for method in INIT_METHODS:
        initialize(random_matrix, 3, method=method, random_state=0)
    assert capsys.readouterr() == ("", "")


def test_above_the_size_threshold_nndsvd_uses_a_seeded_randomized_svd(monkeypatch):
    from nnmf_research import init

    rng = np.random.default_rng(0)
    X = rng.random((300, 5)) @ rng.random((5, 200))  # rank 5: randomized = exact SVD
    full = initialize(X, 5, method="nndsvd")
    monkeypatch.setattr(init, "RANDOMIZED_SVD_ABOVE", 1000)
    a = initialize(X, 5, method="nndsvd", random_state=1)
    b = initialize(X, 5, method="nndsvd", random_state=1)
    np.testing.assert_array_equal(a[0], b[0])  # seeded: the same seed, the same factors
    np.testing.assert_allclose(a[0] @ a[1], full[0] @ full[1], rtol=1e-8, atol=1e-8)
    calls = []
    monkeypatch.setattr(init.scipy.linalg, "svd",
                        lambda A, **kw: calls.append(A.shape) or np.linalg.svd(A, False))
    initialize(X, 5, method="nndsvda", random_state=0)
    assert calls == [(15, 200)]  # only the small (k + 10) × n projection is decomposed


def test_factorize_validates_X_once_and_the_init_path_does_not_scan_it_again(monkeypatch):
    import importlib

    from nnmf_research import checks, factorize

    factorize_module = importlib.import_module("nnmf_research.factorize")
    init_module = importlib.import_module("nnmf_research.init")
    calls = []

    def counting(X, *args, **kwargs):
        calls.append(np.shape(X))
        return checks.check_matrix(X, *args, **kwargs)

    monkeypatch.setattr(factorize_module, "check_matrix", counting)
    monkeypatch.setattr(init_module, "check_matrix", counting)
    X = np.random.default_rng(0).random((8, 6))
    fit = factorize(X, 2, max_iter=5)
    assert calls == [(8, 6)]
    assert np.isfinite(fit.loss)
