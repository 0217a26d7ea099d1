"""factorize with missing entries (NaN or mask=): every method fits the observed entries."""

import numpy as np
import pytest

from nnmf_research import factorize
from nnmf_research.checks import NMFInputError


def _planted(seed=0, m=40, n=30, k=5, hidden=0.3):
    rng = np.random.default_rng(seed)
    X = (rng.random((m, k)) + 0.1) @ (rng.random((k, n)) + 0.1)
    hide = rng.random(X.shape) < hidden
    hide[:, 0] = hide[0, :] = False
    return X, hide


@pytest.mark.parametrize("method,max_iter", [
    ("hals", 5000), ("mu", 60000),
    pytest.param("anls", 3000, marks=pytest.mark.slow)])  # anls: ~1100 iterations, 20 s
def test_every_method_recovers_hidden_entries_of_a_planted_product(method, max_iter):
    X, hide = _planted()
    Xn = np.where(hide, np.nan, X)
    fit = factorize(Xn, 5, method=method, max_iter=max_iter, tol=1e-15, random_state=0)
    hidden_error = np.linalg.norm((fit.W @ fit.H - X)[hide]) / np.linalg.norm(X[hide])
    assert hidden_error < 1e-4
    # the same through mask= (1 = observed): identical
    again = factorize(np.where(hide, 0.0, X), 5, method=method, max_iter=20, tol=0,
                      random_state=0, mask=~hide)
    first = factorize(Xn, 5, method=method, max_iter=20, tol=0, random_state=0)
    assert np.array_equal(again.W, first.W) and np.array_equal(again.H, first.H)


def test_filling_with_column_means_then_plain_nmf_does_not_recover_them():
    X, hide = _planted()
    means = np.nanmean(np.where(hide, np.nan, X), axis=0)
    filled = np.where(hide, means[None, :], X)
    fit = factorize(filled, 5, method="hals", max_iter=3000, tol=1e-15, random_state=0)
    hidden_error = np.linalg.norm((fit.W @ fit.H - X)[hide]) / np.linalg.norm(X[hide])
    assert hidden_error > 1e-2


@pytest.mark.slow
def test_the_cvxpy_model_recovers_hidden_entries_too():
    X, hide = _planted(1, m=12, n=10, k=2, hidden=0.25)
    fit = factorize(np.where(hide, np.nan, X), 2, method="cvxpy", max_iter=400, tol=1e-14,
                    random_state=0)
    assert np.linalg.norm((fit.W @ fit.H - X)[hide]) / np.linalg.norm(X[hide]) < 1e-4


def test_kl_with_missing_entries_fits_the_observed_ones():
    X, hide = _planted(2)
    fit = factorize(np.where(hide, np.nan, X), 5, loss="kl", method="mu", max_iter=300,
                    tol=0, random_state=0)
    assert np.diff(fit.history).max() <= 1e-12 * fit.history[0]
    assert fit.relative_error < 0.05


@pytest.mark.parametrize("kwargs,message", [
    ({"mask": np.ones((3, 3))}, "mask has shape (3, 3), expected (4, 5)"),
    ({"mask": np.full((4, 5), 0.5)}, "a mask holds 1 (observed) and 0 (missing) only"),
    ({"mask": np.vstack([np.zeros((1, 5)), np.ones((3, 5))])}, "X row 0 has no observed entry"),
])
def test_bad_masks_get_named_errors(kwargs, message):
    X = np.random.default_rng(0).random((4, 5))
    with pytest.raises(NMFInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        factorize(X, 2, **kwargs)


def test_a_column_with_nothing_observed_and_negative_observed_entries_are_named():
    X = np.random.default_rng(0).random((4, 5))
    X[:, 2] = np.nan
    with pytest.raises(NMFInputError, match="X column 2 has no observed entry"):
        factorize(X, 2)
    X = np.random.default_rng(0).random((4, 5))
    X[0, 0], X[1, 1] = np.nan, -1.0
    with pytest.raises(NMFInputError, match=r"entry \(1, 1\) is negative"):
        factorize(X, 2)


def test_threads_limit_blas_for_the_whole_fit_and_nest_as_the_default():
    """threads= is applied to the whole fit (seen from inside, by the callback); None takes
    the default, 1, or an enclosing blas_threads(n)."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from nnmf_research.threads import DEFAULT_THREADS, blas_threads

    if not any(p["user_api"] == "blas" for p in threadpoolctl.threadpool_info()):
        pytest.skip("no BLAS library that threadpoolctl can see")
    seen = []

    def blas_now(it, W, H, value):
        # the most threads any BLAS may use (a single-threaded build, e.g. SCS's bundled
        # OpenBLAS, stays at 1 whatever the limit)
        seen.append(max(p["num_threads"] for p in threadpoolctl.threadpool_info()
                        if p["user_api"] == "blas"))

    X = np.random.default_rng(0).random((20, 15))
    factorize(X, 3, max_iter=2, random_state=0, callback=blas_now)
    factorize(X, 3, max_iter=2, random_state=0, callback=blas_now, threads=2)
    with blas_threads(2):
        factorize(X, 3, max_iter=2, random_state=0, callback=blas_now)
    assert seen == [DEFAULT_THREADS] * 2 + [2] * 4
    with pytest.raises(NMFInputError, match="threads=0"):
        factorize(X, 3, threads=0)


def test_the_kl_loss_is_checked_every_tenth_iteration_by_default_and_frobenius_every_one():
    from nnmf_research.factorize import CHECK_EVERY_COSTLY
    rng = np.random.default_rng(5)
    X = rng.random((10, 4)) @ rng.random((4, 8))
    kl = factorize(X, 3, loss="kl", method="mu", max_iter=25, tol=0, random_state=0)
    assert kl.history_iterations == (0, 10, 20, 25) and CHECK_EVERY_COSTLY == 10
    every = factorize(X, 3, loss="kl", method="mu", max_iter=25, tol=0, random_state=0,
                      check_every=1)
    np.testing.assert_array_equal(kl.W, every.W)
    fro = factorize(X, 3, method="hals", max_iter=5, tol=0, random_state=0)
    assert fro.history_iterations == tuple(range(6))
    with pytest.raises(NMFInputError, match="check_every"):
        factorize(X, 3, check_every="sometimes")


def test_kernel_options_reach_the_masked_kernel():
    from nnmf_research import alternate
    from nnmf_research.kernels.masked import MaskedHALS

    X, hide = _planted(3)
    mask = (~hide).astype(float)
    rng = np.random.default_rng(33)              # not the planted factors' seed
    W, H = rng.random((40, 5)) + 0.1, rng.random((5, 30)) + 0.1
    plain = MaskedHALS(mask=mask, alpha=0.0)
    want = alternate(X * mask, W, H, plain, plain.transposed(), max_iter=10, tol=0, mask=mask)
    got = factorize(X * mask, 5, method="hals", W=W, H=H, max_iter=10, tol=0, mask=mask,
                    kernel_options={"alpha": 0})
    assert np.array_equal(got.W, want.W) and np.array_equal(got.H, want.H)
    default = factorize(X * mask, 5, method="hals", W=W, H=H, max_iter=10, tol=0, mask=mask)
    assert default.loss < got.loss            # the inner sweeps: further in 10 updates
    with pytest.raises(NMFInputError, match="bad kernel_options .* missing entries"):
        factorize(X * mask, 5, method="hals", mask=mask, kernel_options={"beta": 1})
    with pytest.raises(NMFInputError, match="not method='cvxpy'"):
        factorize(X * mask, 5, method="cvxpy", mask=mask, kernel_options={"alpha": 0})


# --- a sparse X with a sparse mask: fitted on the observed set, never densified -------------

@pytest.mark.parametrize("method,loss", [("mu", "frobenius"), ("mu", "kl"), ("hals", "frobenius"),
                                         ("anls", "frobenius")])
def test_a_sparse_x_with_a_sparse_mask_gives_the_dense_fit(method, loss):
    import scipy.sparse as sp

    X, hide = _planted(5, hidden=0.6)
    X[np.random.default_rng(5).random(X.shape) < 0.1] = 0.0      # observed zeros too
    mask = (~hide).astype(float)
    dense = factorize(X * mask, 5, method=method, loss=loss, mask=mask, max_iter=15, tol=0,
                      init="random", random_state=1)
    fit = factorize(sp.csr_matrix(X * mask), 5, method=method, loss=loss, max_iter=15,
                    tol=0, mask=sp.csr_matrix(mask), init="random", random_state=1)
    np.testing.assert_allclose(fit.W, dense.W, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.H, dense.H, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.history, dense.history, rtol=1e-9)
    assert fit.relative_error == pytest.approx(dense.relative_error, rel=1e-9)


@pytest.mark.parametrize("method,loss", [("mu", "frobenius"), ("mu", "kl"), ("hals", "frobenius")])
def test_a_sparse_mask_on_a_huge_matrix_is_never_densified(method, loss):
    # 10⁵ × 10⁵ (80 GB dense) with 4·10⁵ observed entries of a planted rank-2 product
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    m = n = 100_000
    W0, H0 = rng.random((m, 2)) + 0.5, rng.random((2, n)) + 0.5
    rows = np.concatenate([np.arange(m), rng.integers(0, m, 300_000)])
    cols = np.concatenate([rng.permutation(n), rng.integers(0, n, 300_000)])
    mask = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(m, n))
    mask.data[:] = 1.0                                           # repeated pairs: still 1
    r, c = mask.nonzero()
    X = sp.csr_matrix((np.einsum("ij,ji->i", W0[r], H0[:, c]), (r, c)), shape=(m, n))
    fit = factorize(X, 2, method=method, loss=loss, mask=mask, init="random", max_iter=5,
                    tol=0, random_state=0)
    assert fit.W.shape == (m, 2) and fit.H.shape == (2, n)
    assert np.all(np.diff(fit.history) <= 1e-12 * fit.history[0])   # monotone


def test_sparse_mask_errors_are_named():
    import scipy.sparse as sp

    X = sp.csr_matrix(np.ones((3, 3)))
    with pytest.raises(NMFInputError, match="mask has shape"):
        factorize(X, 1, mask=sp.csr_matrix(np.ones((3, 2))))
    with pytest.raises(NMFInputError, match=r"mask entry \(0, 1\) is 2.0"):
        factorize(X, 1, mask=sp.csr_matrix(np.array([[1, 2, 0], [1, 1, 1], [1, 1, 1.0]])))
    with pytest.raises(NMFInputError, match="column 2 has no observed entry"):
        factorize(X, 1, mask=sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [1, 1, 0.0]])))
    bad = sp.csr_matrix(np.array([[1, -1.0, 5], [1, 1, 1], [1, 1, 1]]))
    with pytest.raises(NMFInputError, match=r"entry \(0, 1\) is negative"):
        factorize(bad, 1, mask=sp.csr_matrix(np.ones((3, 3))))
    # an unobserved negative entry is never read
    fit = factorize(bad, 1, mask=sp.csr_matrix(np.array([[1, 0, 1], [1, 1, 1], [1, 1, 1.0]])),
                    max_iter=5)
    assert np.isfinite(fit.loss)
    with pytest.raises(NMFInputError, match="cvxpy.*sparse mask"):
        factorize(X, 1, method="cvxpy", mask=sp.csr_matrix(np.ones((3, 3))))


@pytest.mark.parametrize("method, loss", [("hals", "frobenius"), ("mu", "frobenius"),
                                          ("mu", "kl")])
def test_float32_iterates_follow_the_float64_ones(method, loss):
    """dtype="float32": W and H are float32 and, from the same start, within float32-level
    error of the float64 iterates after a few iterations (measured ~2e-5 relative after 5;
    the float32 rounding of each step, amplified by the updates); the reported loss, summed
    in float64, is the float64 loss of the float32 factors."""
    from nnmf_research import losses

    rng = np.random.default_rng(0)
    X = rng.random((120, 80))
    single = factorize(X, 6, method=method, loss=loss, max_iter=5, tol=0, random_state=0,
                       dtype="float32")
    double = factorize(X, 6, method=method, loss=loss, max_iter=5, tol=0, random_state=0)
    assert single.W.dtype == np.float32 and single.H.dtype == np.float32
    assert double.W.dtype == np.float64
    for a, b in ((single.W, double.W), (single.H, double.H)):
        assert np.abs(a - b).max() <= 1e-4 * np.abs(b).max()
        assert np.abs(a - b).max() > 0          # the float32 run did compute in float32
    want = losses.loss(loss, X, single.W.astype(float), single.H.astype(float))
    assert single.loss == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"method": "anls"}, "dtype='float32' is served by"),
    ({"method": "mu", "loss": 0.5}, "dtype='float32' is served by"),
    ({"dtype": "int8"}, "dtype must be None, 'float32' or 'float64'"),
])
def test_float32_where_it_is_not_served_is_named(kwargs, message):
    X = np.random.default_rng(0).random((10, 8))
    with pytest.raises(NMFInputError, match=message):
        factorize(X, 2, **{"dtype": "float32", **kwargs})
