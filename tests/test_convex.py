"""Semi-NMF, convex NMF and kernel convex NMF (Ding, Li & Jordan 2010): the paper's theorems
and the values of an independent re-implementation of the paper's rules (README, "Convex, semi-
and separable NMF")."""

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from sklearn.datasets import load_iris, load_wine

from nnmf_research import NMFInputError, convex_nmf, kernel_convex_nmf, semi_nmf
from nnmf_research.convex import convex_init


def standardized(load):
    d = load()
    return ((d.data - d.data.mean(0)) / d.data.std(0)).T, d.target


def accuracy(y, labels):
    C = np.zeros((labels.max() + 1, y.max() + 1))
    np.add.at(C, (labels, y), 1)
    r, c = linear_sum_assignment(-C)
    return C[r, c].sum() / len(y)


def never_increases(history):
    h = np.asarray(history)
    return bool(np.all(np.diff(h) <= 1e-12 * h[0]))


@pytest.fixture(scope="module", params=["iris", "wine"])
def dataset(request):
    X, y = standardized({"iris": load_iris, "wine": load_wine}[request.param])
    return request.param, X, y


def test_mu_rules_never_increase_their_objective_on_iris_wine_and_random_mixed_sign(dataset):
    _, X, _ = dataset
    rng = np.random.default_rng(3)
    for data in (X, rng.standard_normal((7, 40))):
        for fit in (semi_nmf(data, 3, random_state=0, max_iter=300, tol=0),
                    convex_nmf(data, 3, random_state=0, max_iter=300, tol=0)):
            assert fit.n_iter == 300
            assert never_increases(fit.history), fit.model


def test_svd_residual_below_semi_below_convex(dataset):
    _, X, _ = dataset
    s = np.linalg.svd(X, compute_uv=False)
    semi = semi_nmf(X, 3, random_state=0, max_iter=2000, tol=0)
    conv = convex_nmf(X, 3, random_state=0, max_iter=2000, tol=0)
    assert (s[3:] ** 2).sum() <= semi.loss <= conv.loss


def test_semi_nmf_reproduces_the_reimplementation_anchors(dataset):
    # an independent re-implementation (README, "Convex, semi- and separable NMF"): iris 15.81 / 0.807, wine 923.83 / 0.725 (2000 MU, k-means + 0.2).
    name, X, y = dataset
    fit = semi_nmf(X, 3, random_state=0, max_iter=2000, tol=0)
    want = {"iris": (15.81, 0.807), "wine": (923.83, 0.725)}[name]
    assert fit.loss == pytest.approx(want[0], abs=0.01)
    assert accuracy(y, fit.labels) == pytest.approx(want[1], abs=0.001)


def test_convex_basis_is_a_nonnegative_combination_of_data_columns():
    X, _ = standardized(load_iris)
    fit = convex_nmf(X, 3, random_state=0, max_iter=200)
    assert fit.W.min() >= 0 and fit.G.min() >= 0
    np.testing.assert_allclose(fit.F, X @ fit.W)
    assert fit.loss == pytest.approx(np.linalg.norm(X - fit.F @ fit.G.T) ** 2)


def test_mu_never_produces_exact_zeros():
    X, _ = standardized(load_iris)
    fit = convex_nmf(X, 3, random_state=0, max_iter=500, tol=0)
    assert np.count_nonzero(fit.W == 0) == 0 and np.count_nonzero(fit.G == 0) == 0


@pytest.mark.parametrize("load", [load_iris, load_wine], ids=["iris", "wine"])
def test_exact_zeros_of_an_exact_w_step_are_the_solvers_choice_and_g_has_a_true_active_set(
        load):
    # README "Zeros, defined". W-step: only XW enters the objective, so OSQP's W and the
    # vertex of {W >= 0 : XW = XW_osqp} found by Lawson-Hanson NNLS (at most p non-zeros a
    # column) are both minimisers, with ~0 % and >= 1 - p/n exact zeros. G-step: unique
    # minimiser, whose zero pattern NNLS gives exactly; OSQP finds a subset of it.
    from scipy.optimize import nnls

    from nnmf_research.models.convex import g_model, w_model

    X, _ = standardized(load)
    p, n = X.shape
    start = convex_nmf(X, 3, random_state=0, max_iter=100)   # F = XW well conditioned
    G0, W0 = start.G, start.W
    W = w_model(X.T @ X, 3)(W0, G0)
    F = X @ W
    vertex = np.column_stack([nnls(X, F[:, j], maxiter=50 * n)[0] for j in range(3)])
    np.testing.assert_allclose(X @ vertex, F, atol=1e-12 * np.abs(F).max())
    assert (vertex > 0).sum(axis=0).max() <= p
    assert np.mean(W == 0) < 0.05 and np.mean(vertex == 0) >= 1 - p / n
    G = g_model(n, 3)(X.T @ F, F.T @ F, G0)
    exact = np.array([nnls(F, X[:, i])[0] for i in range(n)])
    np.testing.assert_allclose(G, exact, atol=1e-5 * exact.max())
    assert np.all(exact[G == 0] == 0) and np.mean(exact == 0) > np.mean(G == 0) + 0.05


def test_kernel_convex_nmf_on_gram_equals_convex_nmf_from_the_same_start():
    X, _ = standardized(load_wine)
    G0, W0 = convex_init(X, 3, random_state=0)
    a = convex_nmf(X, 3, G0=G0, W0=W0, max_iter=100, tol=0)
    b = kernel_convex_nmf(X.T @ X, 3, G0=G0, W0=W0, max_iter=100, tol=0)
    assert b.F is None and b.model == "kernel-convex"
    np.testing.assert_allclose(b.W, a.W, rtol=1e-8)
    assert b.loss == pytest.approx(a.loss, rel=1e-9)


def test_kernel_convex_nmf_with_an_rbf_kernel_clusters_two_blobs():
    rng = np.random.default_rng(0)
    P = np.hstack([rng.normal(-3, 0.3, (2, 20)), rng.normal(3, 0.3, (2, 20))])
    D2 = ((P[:, :, None] - P[:, None, :]) ** 2).sum(0)
    fit = kernel_convex_nmf(np.exp(-D2 / 2), 2, random_state=0, max_iter=200)
    assert accuracy(np.repeat([0, 1], 20), fit.labels) == 1.0
    assert never_increases(fit.history)


def test_cvxpy_method_decreases_and_reaches_below_mu_after_few_sweeps():
    X, _ = standardized(load_iris)
    mu = convex_nmf(X, 3, random_state=0, max_iter=4, tol=0)
    cv = convex_nmf(X, 3, method="cvxpy", random_state=0, max_iter=4, tol=0)
    assert never_increases(np.asarray(cv.history) * (1 + 1e-7))  # solver tolerance 1e-7
    assert cv.loss < mu.loss
    semi = semi_nmf(X, 3, method="cvxpy", random_state=0, max_iter=5, tol=0)
    assert semi.loss <= semi_nmf(X, 3, random_state=0, max_iter=5, tol=0).loss + 1e-6


def test_semi_nmf_accepts_mixed_sign_and_the_k_means_start_is_seeded():
    X, _ = standardized(load_iris)
    assert (X < 0).any()
    a = semi_nmf(X, 3, random_state=7, max_iter=20)
    b = semi_nmf(X, 3, random_state=7, max_iter=20)
    np.testing.assert_array_equal(a.G, b.G)


@pytest.mark.parametrize("k", [0, 151, 2.5])
def test_k_out_of_range_is_refused(k):
    X, _ = standardized(load_iris)
    with pytest.raises(NMFInputError, match="k="):
        semi_nmf(X, k)


def test_bad_input_errors_name_the_problem():
    X, _ = standardized(load_iris)
    Y = X.copy(); Y[1, 2] = np.nan
    with pytest.raises(NMFInputError, match=r"entry \(1, 2\) is not finite"):
        convex_nmf(Y, 2)
    with pytest.raises(NMFInputError, match="constant"):
        semi_nmf(np.full((3, 5), 2.0), 2)
    K = X.T @ X
    K[0, 0] -= 1e3
    with pytest.raises(NMFInputError, match="not positive semidefinite: smallest eigenvalue -"):
        kernel_convex_nmf(K, 3)
    K = X.T @ X
    K[0, 1] += 1.0
    with pytest.raises(NMFInputError, match="not symmetric"):
        kernel_convex_nmf(K, 3)
    with pytest.raises(NMFInputError, match="method='cvxpy'"):
        convex_nmf(X, 3, constraints_W=lambda W: [W <= 1])
    with pytest.raises(NMFInputError, match="unknown method"):
        semi_nmf(X, 3, method="hals")


@pytest.mark.parametrize("sign", ["nonnegative", "mixed"])
def test_convex_mu_through_x_equals_the_kernel_rules_on_k(sign):
    # convex_nmf evaluates K W = Xᵀ(XW) and, for X >= 0, the W-step with K⁻ = 0 without
    # forming K; kernel_convex_nmf applies the paper's rules to K⁺ and K⁻ of K = XᵀX.
    rng = np.random.default_rng(5)
    X = rng.random((12, 40)) if sign == "nonnegative" else rng.standard_normal((12, 40))
    G0, W0 = rng.random((40, 3)) + 0.2, rng.random((40, 3)) / 40
    a = convex_nmf(X, 3, G0=G0, W0=W0, max_iter=300, tol=0)
    b = kernel_convex_nmf(X.T @ X, 3, G0=G0, W0=W0, max_iter=300, tol=0)
    np.testing.assert_allclose(a.W, b.W, rtol=1e-8)
    np.testing.assert_allclose(a.G, b.G, rtol=1e-8)
    assert a.loss == pytest.approx(b.loss, rel=1e-9)
    assert never_increases(a.history)


@pytest.mark.parametrize("shape", [(12, 60), (60, 40)], ids=["wide-through-X", "tall-with-K"])
@pytest.mark.parametrize("sign", ["nonnegative", "mixed"])
def test_convex_mu_iterates_equal_the_papers_rules_applied_literally(shape, sign):
    # convex_nmf forms each product with K = XᵀX once, through X or with K by shape
    # (_KernelProducts); the reference applies eqs. (14)-(15) as printed, on K⁺ and K⁻.
    from nnmf_research.convex import _KernelProducts
    from nnmf_research.kernels.convex import mu_G, mu_W, neg, pos

    rng = np.random.default_rng(11)
    p, n = shape
    X = rng.random(shape) if sign == "nonnegative" else rng.standard_normal(shape)
    k, iters = 4, 60
    mode = _KernelProducts(X, None, k, iters).mode
    assert mode == {"nonnegative": "x" if n >= 2 * p else "k", "mixed": "split"}[sign]
    G0, W0 = rng.random((n, k)) + 0.2, rng.random((n, k)) / n
    fit = convex_nmf(X, k, G0=G0, W0=W0, max_iter=iters, tol=0)
    K = X.T @ X
    Kp, Km = pos(K), neg(K)
    G, W = G0, W0
    for _ in range(iters):
        G = mu_G(K @ W, W.T @ K @ W, G)
        W = mu_W(Kp, Km, W, G)
    np.testing.assert_allclose(fit.G, G, rtol=1e-12, atol=0)
    np.testing.assert_allclose(fit.W, W, rtol=1e-12, atol=0)
    assert fit.n_iter == iters
    R = X - X @ W @ G.T
    assert fit.loss == pytest.approx(float(np.vdot(R, R)), rel=1e-12)
    # the loop's loss, from the cached products, is the direct residual to ~1e-13·Tr K
    assert fit.history[-1] == pytest.approx(fit.loss, abs=1e-12 * float(np.vdot(X, X)))


def test_threads_limit_blas_for_the_whole_fit_as_factorize_does(monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import nnmf_research.convex as convex
    from nnmf_research.threads import DEFAULT_THREADS, blas_threads

    if not any(p["user_api"] == "blas" for p in threadpoolctl.threadpool_info()):
        pytest.skip("no BLAS library that threadpoolctl can see")
    seen = []

    def spy(run):
        def inner(*args):
            seen.append(max(p["num_threads"] for p in threadpoolctl.threadpool_info()
                            if p["user_api"] == "blas"))
            return run(*args)
        return inner

    monkeypatch.setattr(convex, "_convex_run", spy(convex._convex_run))
    monkeypatch.setattr(convex, "_semi_run", spy(convex._semi_run))
    X, _ = standardized(load_iris)
    for fit in (semi_nmf, convex_nmf):
        fit(X, 3, max_iter=2, random_state=0)
        fit(X, 3, max_iter=2, random_state=0, threads=2)
    with blas_threads(2):
        kernel_convex_nmf(X.T @ X, 3, max_iter=2, random_state=0)
    assert seen == [DEFAULT_THREADS, 2, DEFAULT_THREADS, 2, 2]
    with pytest.raises(NMFInputError, match="threads=0"):
        convex_nmf(X, 3, threads=0)
