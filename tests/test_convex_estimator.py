"""SemiNMF and ConvexNMF, the scikit-learn-style faces of semi- and convex NMF."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from nnmf_research import ConvexNMF, SemiNMF, convex_nmf, semi_nmf
from nnmf_research.checks import NMFInputError
from nnmf_research.reproduce.metrics import clustering_accuracy


@pytest.fixture(scope="module")
def iris():
    d = load_iris()
    return (d.data - d.data.mean(0)) / d.data.std(0), d.target  # 150 samples × 4, mixed sign


def test_semi_nmf_estimator_is_the_library_on_the_transpose_and_reconstructs(iris):
    X, _ = iris
    est = SemiNMF(3, max_iter=2000, tol=0, random_state=0)
    G = est.fit_transform(X)
    lib = semi_nmf(X.T, 3, max_iter=2000, tol=0, random_state=0)
    np.testing.assert_array_equal(G, lib.G)
    R = X - G @ est.components_
    assert est.loss_ == pytest.approx(float(np.vdot(R, R)), rel=1e-12)
    assert round(est.loss_, 2) == 15.81  # the independent re-implementation's value
    np.testing.assert_array_equal(est.labels_, np.argmax(G, axis=1))


def test_pipeline_with_standard_scaler_clusters_iris_as_the_reference(iris):
    _, y = iris
    raw = load_iris().data
    pipe = make_pipeline(StandardScaler(), SemiNMF(3, max_iter=2000, tol=0, random_state=0))
    labels = pipe.fit_predict(raw)
    assert round(clustering_accuracy(y, labels), 3) == 0.807  # issue 12's reference


def test_convex_nmf_components_are_nonnegative_combinations_of_training_samples(iris):
    X, _ = iris
    est = ConvexNMF(3, max_iter=300, random_state=0).fit(X)
    assert (est.weights_ >= 0).all()
    np.testing.assert_allclose(est.components_, est.weights_.T @ X, rtol=1e-12, atol=1e-12)
    lib = convex_nmf(X.T, 3, max_iter=300, random_state=0)
    np.testing.assert_array_equal(est.weights_, lib.W)


def test_transform_is_the_exact_g_step_so_it_never_does_worse_than_the_fit(iris):
    X, _ = iris
    for est in (SemiNMF(3, max_iter=100, random_state=1), ConvexNMF(3, max_iter=100,
                                                                    random_state=1)):
        est.fit(X)
        G = est.transform(X)
        assert (G >= 0).all() and G.shape == (150, 3)
        R = X - est.inverse_transform(G)
        assert float(np.vdot(R, R)) <= est.loss_ * (1 + 1e-12)
        np.testing.assert_array_equal(est.predict(X), np.argmax(G, axis=1))


def test_parameter_protocol_and_named_errors(iris):
    X, _ = iris
    est = SemiNMF(3, method="cvxpy", random_state=0)
    twin = clone(est)
    assert twin.get_params() == est.get_params() and repr(twin) == \
        "SemiNMF(n_components=3, method='cvxpy', random_state=0)"
    with pytest.raises(NMFInputError, match="not fitted yet"):
        est.transform(X)
    with pytest.raises(NMFInputError, match="unknown parameter 'alpha' for ConvexNMF"):
        ConvexNMF().set_params(alpha=1)
    est = ConvexNMF(3, max_iter=5, random_state=0).fit(X)
    with pytest.raises(NMFInputError, match="X has 2 features, but this ConvexNMF was fitted "
                                            "with 4"):
        est.transform(X[:, :2])
    with pytest.raises(NMFInputError, match="k="):
        SemiNMF(151).fit(X)
