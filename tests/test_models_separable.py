"""The separable-NMF LPs (Gillis–Luce 2014, Hottopixx 2012) in CVXPY, solved by HiGHS."""

import numpy as np
import pytest

from nnmf_research import separable_nmf
from nnmf_research.models.separable import gillis_luce_model, hottopixx_model
from nnmf_research.separable import planted_separable


@pytest.fixture(scope="module")
def planted():
    return planted_separable(12, 30, 5, random_state=4)


@pytest.mark.parametrize("method", ["gillis_luce", "hottopixx"])
def test_lps_recover_the_planted_anchors_exactly(planted, method):
    X, _, _, anchors = planted
    fit = separable_nmf(X, 5, method=method, noise=0.0, random_state=0)
    assert sorted(fit.anchors) == anchors.tolist()
    assert fit.relative_error < 1e-8
    d = fit.diagnostics["diagonal"]
    np.testing.assert_allclose(np.sort(d)[-5:], 1.0, atol=1e-7)
    np.testing.assert_allclose(np.sort(d)[:-5], 0.0, atol=1e-7)


def test_models_are_dpp_and_resolve_over_a_noise_sweep(planted):
    X = planted[0]
    model = gillis_luce_model(*X.shape, random_state=0)
    assert model.problem.is_dcp(dpp=True) and model.solver == "HIGHS"
    problem, traces = model.problem, []
    for eps in (0.0, 0.05, 0.2):
        traces.append(np.trace(model(X, eps)))
        assert model.problem is problem
    assert traces[0] == pytest.approx(5.0, abs=1e-7)
    assert traces[0] >= traces[1] >= traces[2]  # a looser fit needs fewer anchors
    assert hottopixx_model(*X.shape, 5).problem.is_dcp(dpp=True)


def test_gillis_luce_recovers_the_anchors_at_noise_0_05():
    X, _, _, anchors = planted_separable(20, 55, 10, noise=0.05, random_state=0)
    gl = separable_nmf(X, 10, method="gillis_luce", noise=0.05, random_state=0)
    assert sorted(gl.anchors) == anchors.tolist()
