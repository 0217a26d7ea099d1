"""The scikit-learn-style estimator, checked against scikit-learn itself."""

from __future__ import annotations

import warnings

import cvxpy as cp
import numpy as np
import pytest

from nnmf_research import NMF, factorize, losses
from nnmf_research.checks import NMFInputError, SolverUnavailableError

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.decomposition import NMF as SkNMF  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402


def _sklearn_fit(X_sk, W_sk, H_sk, **kw):
    sk = SkNMF(init="custom", tol=0, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        codes = sk.fit_transform(X_sk, W=W_sk.copy(), H=H_sk.copy())
    return codes, sk.components_, sk


def _same_start(X_sk, k, seed):
    gen = np.random.default_rng(seed)
    scale = np.sqrt(X_sk.mean() / k)
    return scale * gen.random((X_sk.shape[0], k)), scale * gen.random((k, X_sk.shape[1]))


@pytest.fixture(scope="module")
def digits_sk():
    from sklearn.datasets import load_digits

    return load_digits().data[:400].astype(float)  # 400 samples × 64 pixels


@pytest.mark.parametrize("n_iter", [1, 30])
def test_plain_hals_follows_sklearn_cd_iterate_for_iterate(digits_sk, n_iter):
    """HALS with no acceleration is scikit-learn's 'cd' (both exact coordinate descent in the
    same order): same start, same iterates up to rounding."""
    X_sk = digits_sk
    W_sk, H_sk = _same_start(X_sk, 10, 0)
    codes, comps, _ = _sklearn_fit(X_sk, W_sk, H_sk, n_components=10, solver="cd",
                                   max_iter=n_iter)
    from nnmf_research import HALS, alternate

    fit = alternate(X_sk.T, H_sk.T, W_sk.T, HALS(alpha=0.0, eps=0.0), max_iter=n_iter, tol=0)
    np.testing.assert_allclose(fit.H.T, codes, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fit.W.T, comps, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("loss,sk_loss,sk_solver", [
    ("frobenius", "frobenius", "cd"),
    ("frobenius", "frobenius", "mu"),
    ("kl", "kullback-leibler", "mu"),
])
def test_final_loss_is_no_worse_than_sklearn_after_the_same_iterations(
        digits_sk, loss, sk_loss, sk_solver):
    X_sk = digits_sk
    k, n_iter = 12, 100
    W_sk, H_sk = _same_start(X_sk, k, 1)
    codes, comps, sk = _sklearn_fit(X_sk, W_sk, H_sk, n_components=k, solver=sk_solver,
                                    beta_loss=sk_loss, max_iter=n_iter)
    est = NMF(n_components=k, beta_loss=sk_loss, solver=sk_solver, init="custom",
              max_iter=n_iter, tol=0).fit(X_sk, W=W_sk, H=H_sk)
    theirs = losses.loss_from_sklearn_error(sk.reconstruction_err_, loss)
    # Their reported error is their loss: the conversion is exact (and checked here).
    assert theirs == pytest.approx(losses.loss(loss, X_sk.T, comps.T, codes.T), rel=1e-9)
    assert est.n_iter_ == n_iter
    assert est.loss_ <= theirs * (1 + 1e-9)


def test_estimator_and_function_api_give_the_same_factorization(digits_sk):
    est = NMF(n_components=8, solver="cd", random_state=3, max_iter=50)
    codes = est.fit_transform(digits_sk)
    fit = factorize(digits_sk.T, 8, method="hals", random_state=3, max_iter=50)
    np.testing.assert_array_equal(codes, fit.H.T)
    np.testing.assert_array_equal(est.components_, fit.W.T)
    assert est.reconstruction_err_ == pytest.approx(np.sqrt(fit.loss))


def test_orientation_matches_sklearn(digits_sk):
    est = NMF(n_components=5, max_iter=20).fit(digits_sk)
    assert est.components_.shape == (5, 64)
    assert est.transform(digits_sk[:7]).shape == (7, 5)
    assert est.inverse_transform(est.transform(digits_sk[:7])).shape == (7, 64)
    assert est.n_features_in_ == 64 and est.n_components_ == 5


def test_transform_recovers_exact_codes_for_a_fixed_basis(planted):
    X, W0, H0 = planted  # X = W0 @ H0, toolkit orientation
    est = NMF(n_components=5, solver="anls", max_iter=2000, tol=1e-14,
              random_state=0).fit(X.T)
    codes = est.transform(X.T)
    np.testing.assert_allclose(est.inverse_transform(codes), X.T, rtol=1e-5, atol=1e-6)


def test_kl_mu_estimator_from_the_issue_example(digits_sk):
    est = NMF(n_components=10, beta_loss="kullback-leibler", solver="mu", random_state=0,
              max_iter=50)
    est.fit(digits_sk)
    assert est.loss_ == pytest.approx(losses.kl(digits_sk.T, est.components_.T,
                                                est.factorization_.H))
    assert est.reconstruction_err_ == pytest.approx(np.sqrt(2 * est.loss_))


def test_cvxpy_method_takes_a_constraint_as_one_argument(planted):
    X, _, _ = planted
    est = NMF(n_components=5, solver="cvxpy", max_iter=5,
              constraints_codes=lambda H: [cp.sum(H, axis=0) == 1])
    codes = est.fit_transform(X.T)
    np.testing.assert_allclose(codes.sum(axis=1), 1.0, atol=1e-6)


def test_get_set_params_and_sklearn_clone():
    est = NMF(n_components=4, beta_loss="kullback-leibler", solver="mu", tol=1e-3)
    assert est.get_params()["beta_loss"] == "kullback-leibler"
    other = clone(est)
    assert other.get_params() == est.get_params() and other is not est
    est.set_params(max_iter=7)
    assert est.max_iter == 7
    with pytest.raises(ValueError, match="Invalid parameter 'alpha'"):
        est.set_params(alpha=1.0)


@pytest.mark.parametrize("kwargs,message", [
    ({"n_components": 0}, r"n_components=0 must be a positive integer, None or 'auto'"),
    ({"n_components": 65, "init": "nndsvda"}, r"init = 'nndsvda' can only be used when n_components <= "
                           r"min\(n_samples, n_features\): k=65 is out of range \[1, 64\]"),
    ({"solver": "foo"}, "unknown solver 'foo'; valid choices: cd, mu, anls, kl-cd, cvxpy"),
    ({"beta_loss": "itakura"}, "unknown beta_loss 'itakura'; valid choices: frobenius, "
                               "kullback-leibler, itakura-saito"),
    ({"beta_loss": "kullback-leibler", "solver": "cd"},
     "Invalid beta_loss parameter: solver 'cd' does not handle beta_loss = 'kullback-leibler'"),
    ({"init": "svd"}, "unknown init 'svd'"),
])
def test_bad_hyperparameters_are_named_at_fit(digits_sk, kwargs, message):
    est = NMF(**{"n_components": 3, **kwargs})  # __init__ stores, never validates
    with pytest.raises(NMFInputError, match=message):
        est.fit(digits_sk)


def test_an_unavailable_solver_is_named(digits_sk):
    with pytest.raises(SolverUnavailableError, match="solver 'MOSEK_X' is not installed"):
        NMF(n_components=3, solver="cvxpy", cvxpy_solver="MOSEK_X").fit(digits_sk[:20])


def test_the_old_use_of_solver_for_the_cvxpy_solver_gets_a_clear_error(digits_sk):
    """``solver=`` is scikit-learn's algorithm now; a CVXPY solver name there is told where
    it moved."""
    with pytest.raises(NMFInputError, match=r"unknown solver 'SCS'.*the CVXPY solver of "
                                            r"solver='cvxpy' is cvxpy_solver="):
        NMF(n_components=3, solver="SCS").fit(digits_sk[:20])


def test_all_zero_row_and_column_stay_finite_under_kl():
    gen = np.random.default_rng(4)
    X = gen.random((20, 15))
    X[2] = 0.0
    X[:, 4] = 0.0
    est = NMF(n_components=3, beta_loss="kullback-leibler", solver="mu", max_iter=100,
              random_state=0)
    codes = est.fit_transform(X)
    assert np.isfinite(codes).all() and np.isfinite(est.components_).all()
    assert np.isfinite(est.loss_)


# -- each array is validated once, at the public entry ------------------------------------

@pytest.fixture
def validated(monkeypatch):
    """The names of the arrays passed through ``check_matrix`` by the modules the driver path
    crosses (init.initialize keeps its own check: it is a public entry too)."""
    import importlib

    from nnmf_research import checks

    seen = []
    real = checks.check_matrix

    def counting(A, name="X", **kwargs):
        seen.append(name)
        return real(A, name, **kwargs)

    monkeypatch.setattr(checks, "check_matrix", counting)  # check_factor calls it too
    for module in ("nnmf_research.factorize", "nnmf_research.estimator",
                   "nnmf_research.drivers.alternating"):
        monkeypatch.setattr(importlib.import_module(module), "check_matrix", counting)
    return seen


def test_factorize_validates_x_w_and_h_once_each(validated, planted):
    X, W0, H0 = planted
    factorize(X, 5, W=W0, H=H0, max_iter=2)
    assert sorted(validated) == ["H", "W", "X"]


def test_alternate_validates_x_w_and_h_once_each(validated, planted):
    from nnmf_research import HALS, alternate

    X, W0, H0 = planted
    alternate(X, W0, H0, HALS(), max_iter=2)
    assert sorted(validated) == ["H", "W", "X"]


def test_the_estimator_validates_its_arrays_once_each(validated, planted):
    X, W0, H0 = planted
    est = NMF(n_components=5, init="custom", max_iter=2).fit(X.T, W=H0.T, H=W0.T)
    assert sorted(validated) == ["NMF (input H)", "NMF (input W)", "X"]
    validated.clear()
    est.transform(X.T)
    assert validated == ["X"]


def test_factor_errors_are_still_named_at_the_public_entries(planted):
    from nnmf_research import HALS, alternate

    X, W0, H0 = planted
    with pytest.raises(NMFInputError, match=r"W has shape \(29, 5\), expected \(30, 5\)"):
        factorize(X, 5, W=W0[1:], H=H0)
    with pytest.raises(NMFInputError, match=r"W has shape \(29, 5\), expected \(30, 5\)"):
        alternate(X, W0[1:], H0, HALS())
    with pytest.raises(NMFInputError, match=r"H entry \(0, 0\) is negative"):
        factorize(X, 5, W=W0, H=-H0)


def test_the_package_name_factorize_is_the_function_and_its_module_stays_importable():
    """``nnmf_research.factorize`` names both a submodule and the flat API's function; the
    package attribute is the function, the module is reached through the import system."""
    import importlib
    import types

    import nnmf_research
    from nnmf_research import factorize as by_name

    module = importlib.import_module("nnmf_research.factorize")
    assert isinstance(module, types.ModuleType)
    assert isinstance(by_name, types.FunctionType) and by_name is module.factorize
    assert by_name is nnmf_research.factorize
    from nnmf_research.factorize import FACTORIZE_METHODS, make_updates  # noqa: F401


# --- missing entries (NaN = missing) -------------------------------------------------------

@pytest.fixture(scope="module")
def planted_with_nan():
    """60 samples × 20 features, an exact rank-4 product of positive factors, 30 % NaN."""
    rng = np.random.default_rng(11)
    X = (rng.random((60, 4)) + 0.1) @ (rng.random((4, 20)) + 0.1)
    hide = rng.random(X.shape) < 0.3
    return X, np.where(hide, np.nan, X), hide


@pytest.mark.parametrize("solver", ["cd", "anls"])
def test_fit_with_nan_recovers_the_hidden_entries(planted_with_nan, solver):
    X, Xn, hide = planted_with_nan
    est = NMF(n_components=4, solver=solver, max_iter=3000, tol=1e-12, random_state=0)
    codes = est.fit_transform(Xn)
    Y = est.inverse_transform(codes)
    assert np.linalg.norm((Y - X)[hide]) / np.linalg.norm(X[hide]) < 1e-4
    seen = (~hide).astype(float)
    assert est.relative_error_ == pytest.approx(
        losses.masked_relative_error(np.nan_to_num(Xn), Y, np.eye(Y.shape[1]), seen), rel=1e-8)


def test_fit_with_nan_is_factorize_with_the_mask(planted_with_nan):
    X, Xn, hide = planted_with_nan
    est = NMF(n_components=4, solver="mu", max_iter=40, tol=0, random_state=0).fit(Xn)
    fit = factorize(Xn.T, 4, method="mu", max_iter=40, tol=0, random_state=0)
    np.testing.assert_allclose(est.components_, fit.W.T, rtol=1e-10, atol=1e-13)


def test_transform_with_nan_encodes_and_imputes_new_samples(planted_with_nan):
    X, Xn, hide = planted_with_nan
    est = NMF(n_components=4, solver="cd", max_iter=3000, tol=1e-12, random_state=0)
    est.fit(X[:40])                                    # complete training samples
    new = Xn[40:].copy()
    new[:, 3] = np.nan                                 # a feature missing in every new sample
    codes = est.transform(new)
    Y = est.inverse_transform(codes)
    gone = np.isnan(new)
    assert np.linalg.norm((Y - X[40:])[gone]) / np.linalg.norm(X[40:][gone]) < 1e-3
    # without NaN, transform is unchanged: the complete samples encode as before
    np.testing.assert_allclose(est.transform(X[40:]) @ est.components_, X[40:], rtol=1e-3)


def test_missing_entries_bad_input_is_named(planted_with_nan):
    X, Xn, hide = planted_with_nan
    bad = Xn.copy()
    bad[5, :] = np.nan
    with pytest.raises(NMFInputError, match="X row 5 has no observed entry"):
        NMF(n_components=4).fit(bad)
    est = NMF(n_components=4, max_iter=50).fit(X)
    with pytest.raises(NMFInputError, match="row 5 has no observed entry"):
        est.transform(bad)
    with pytest.raises(NMFInputError, match="every entry of X is missing"):
        est.transform(np.full((2, X.shape[1]), np.nan))
    with pytest.raises(NMFInputError, match="method 'cd' does not serve loss 'frobenius'"):
        NMF(n_components=4, solver="kl-cd").fit(Xn)


# --- a scikit-learn estimator (issue 16 part 1) --------------------------------------------

def test_check_estimator_passes():
    """scikit-learn's own estimator checks, all of them (the array-API one skips itself when
    SCIPY_ARRAY_API is unset)."""
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = check_estimator(NMF(n_components=2), on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results
              if r["status"] == "failed"]
    assert failed == []
    assert sum(r["status"] == "passed" for r in results) >= 40


def test_pipeline_and_grid_search_pick_the_planted_rank():
    """Cross-validated reconstruction error (score = −error of held-out samples) over k picks
    the rank of an exact rank-3 product: fewer components cannot fit it, and the score is
    flat beyond it."""
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(0)
    X = rng.random((60, 3)) @ rng.random((3, 12))

    def score(est, X, y=None):
        nmf = est[-1]
        return -np.linalg.norm(X - nmf.inverse_transform(est.transform(X)))

    pipe = make_pipeline(NMF(solver="cd", max_iter=2000, tol=1e-10, random_state=0))
    grid = GridSearchCV(pipe, {"nmf__n_components": [1, 2, 3]}, scoring=score, cv=3)
    grid.fit(X)
    assert grid.best_params_ == {"nmf__n_components": 3}
    errors = -grid.cv_results_["mean_test_score"]
    assert errors[2] < 0.05 * errors[1] < 0.05 * errors[0]


def test_feature_names_and_set_output():
    est = NMF(n_components=3, max_iter=50, random_state=0).fit(np.random.default_rng(1)
                                                              .random((10, 4)))
    assert list(est.get_feature_names_out()) == ["nmf0", "nmf1", "nmf2"]
    assert est.n_features_in_ == 4 and not hasattr(est, "feature_names_in_")
    assert est.set_output(transform="default") is est


def test_max_iter_before_tol_warns_and_keeps_stop_reason(digits_sk):
    with pytest.warns(ConvergenceWarning, match="Maximum number of iterations 3 reached"):
        est = NMF(n_components=5, max_iter=3, random_state=0).fit(digits_sk)
    assert est.stop_reason_ == "max_iter=3 reached" and est.n_iter_ == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)   # tol reached: no warning
        est = NMF(n_components=5, max_iter=500, tol=1e-2, random_state=0).fit(digits_sk)
    assert est.stop_reason_.startswith("tol reached") and est.n_iter_ < 500


@pytest.mark.parametrize("solver", ["cd", "mu"])
def test_float32_in_float32_out(digits_sk, solver):
    X32 = digits_sk.astype(np.float32)
    est = NMF(n_components=4, solver=solver, max_iter=20, tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        codes = est.fit_transform(X32)
        assert est.transform(X32).dtype == np.float32
    assert codes.dtype == est.components_.dtype == np.float32
    # the same fit as in float64, to float32 rounding
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        codes64 = NMF(n_components=4, solver=solver, max_iter=20, tol=0,
                      random_state=0).fit_transform(X32.astype(float))
    np.testing.assert_allclose(codes, codes64, rtol=1e-5, atol=1e-6)


def test_non_negative_factorization_is_the_estimator(digits_sk):
    from nnmf_research.estimator import non_negative_factorization

    W, H, n_iter = non_negative_factorization(digits_sk, n_components=6, max_iter=40,
                                              random_state=2, tol=0)
    est = NMF(n_components=6, max_iter=40, random_state=2, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        np.testing.assert_array_equal(W, est.fit_transform(digits_sk))
        np.testing.assert_array_equal(H, est.components_)
        # update_H=False: the encodings of the fixed basis, as transform gives them
        W2, H2, _ = non_negative_factorization(digits_sk, H=H, update_H=False, max_iter=40,
                                               tol=0)
        np.testing.assert_array_equal(W2, est.transform(digits_sk))
    assert n_iter == 40 and H2 is not None and np.array_equal(H2, H)
    with pytest.raises(NMFInputError, match="shuffle=True is not offered"):
        non_negative_factorization(digits_sk, n_components=6, shuffle=True)


def test_an_overcomplete_k_is_fitted_from_a_random_start():
    """k > min(n_samples, n_features), as scikit-learn allows: an exact fit exists (W = X
    padded with zeros, H = [I 0]ᵀ), so the fit's error goes to 0."""
    X = np.random.default_rng(3).random((30, 6))
    est = NMF(n_components=9, solver="cd", max_iter=3000, tol=1e-12, random_state=0).fit(X)
    assert est.components_.shape == (9, 6) and est.relative_error_ < 1e-3


# --- an all-zero start is refused (issue 16 part 7) ----------------------------------------

@pytest.mark.parametrize("method", ["anls", "hals", "mu"])
def test_an_all_zero_initial_factor_is_refused(planted, method):
    """From H = 0 every method stays at W = H = 0 (each update of W scales with H): ANLS used
    to return that with relative error 1 reported as 'tol reached'."""
    X, W0, H0 = planted
    with pytest.raises(NMFInputError, match="Array passed to H is full of zeros"):
        factorize(X, 5, method=method, W=W0, H=0 * H0)
    with pytest.raises(NMFInputError, match=r"Array passed to NMF \(input H\) is full of "):
        NMF(n_components=5, init="custom").fit(X.T, W=H0.T, H=0 * W0.T)


# --- MiniBatchNMF (issue 16 part 2) ---------------------------------------------------------

@pytest.mark.parametrize("beta_loss", ["frobenius", "kullback-leibler", 0.5, 3.0])
def test_minibatch_nmf_follows_sklearn_from_the_same_start(beta_loss):
    """Same custom start, same batches: our online β-MU and scikit-learn's MiniBatchNMF reach
    the same basis (to rounding; ours floors MU iterates at 1e-16 where scikit-learn sets
    entries below machine epsilon to 0, which these positive data never reach)."""
    from sklearn.decomposition import MiniBatchNMF as SkMiniBatchNMF

    from nnmf_research import MiniBatchNMF

    rng = np.random.default_rng(5)
    X = rng.random((120, 9)) + 0.05
    W0, H0 = _same_start(X, 4, 6)
    kw = dict(n_components=4, init="custom", batch_size=25, max_iter=15, tol=0,
              max_no_improvement=None, beta_loss=beta_loss, alpha_W=0.01, l1_ratio=0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MiniBatchNMF(**kw).fit(X, W=W0.copy(), H=H0.copy())
        theirs = SkMiniBatchNMF(**kw).fit(X, W=W0.copy(), H=H0.copy())
    assert ours.n_steps_ == theirs.n_steps_ == 15 * 5
    np.testing.assert_allclose(ours.components_, theirs.components_, rtol=1e-9)
    assert ours.reconstruction_err_ == pytest.approx(theirs.reconstruction_err_, rel=1e-9)


def test_minibatch_partial_fit_streams_as_sklearn():
    """Ten batches fed one at a time by partial_fit, from the same start: the same basis as
    scikit-learn's partial_fit, and the same step count."""
    from sklearn.decomposition import MiniBatchNMF as SkMiniBatchNMF

    from nnmf_research import MiniBatchNMF

    rng = np.random.default_rng(7)
    X = rng.random((200, 8)) + 0.05
    W0, H0 = _same_start(X[:20], 3, 8)
    ours = MiniBatchNMF(n_components=3, init="custom")
    theirs = SkMiniBatchNMF(n_components=3, init="custom")
    for start in range(0, 200, 20):
        ours.partial_fit(X[start:start + 20], W=W0.copy(), H=H0.copy())
        theirs.partial_fit(X[start:start + 20], W=W0.copy(), H=H0.copy())
    assert ours.n_steps_ == theirs.n_steps_ == 10
    np.testing.assert_allclose(ours.components_, theirs.components_, rtol=1e-8)


def test_minibatch_check_estimator_passes_with_sklearns_test_parameters():
    """scikit-learn runs its own MiniBatchNMF's checks with batch_size=10, max_iter=20,
    fresh_restarts=True (with the defaults its own fails check_transformer_general, as ours
    does in the same way: fit_transform's codes are those of the last pass, not a solve)."""
    from sklearn.utils.estimator_checks import check_estimator

    from nnmf_research import MiniBatchNMF

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = check_estimator(MiniBatchNMF(n_components=2, batch_size=10, max_iter=20,
                                               fresh_restarts=True), on_fail=None)
    assert [r["check_name"] for r in results if r["status"] == "failed"] == []


def test_threads_limits_blas_inside_fit_and_is_a_parameter(monkeypatch):
    from threadpoolctl import threadpool_info

    import nnmf_research.estimator as estimator_module
    seen = []
    original = estimator_module.NMF._fit_unthreaded

    def spy(self, *args):
        seen.append({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})
        return original(self, *args)

    monkeypatch.setattr(estimator_module.NMF, "_fit_unthreaded", spy)
    X = np.random.default_rng(0).random((20, 8))
    model = NMF(n_components=3, threads=2, random_state=0, max_iter=5).fit(X)
    assert model.get_params()["threads"] == 2
    assert len(seen) == 1 and max(seen[0]) == 2   # the toolkit's default would be 1
