"""The hybrid (Ding, Li & Peng 2006): alternate algorithms until none improves."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from nnmf_research import alternate, hybrid_plsi_nmf, losses, nmf_to_plsi, plsi, plsi_to_nmf
from nnmf_research.checks import NMFInputError
from nnmf_research.drivers.hybrid import hybrid
from nnmf_research.init import initialize
from nnmf_research.kernels import MultiplicativeKL


def counts(m, n, density, seed):
    X = sp.random(m, n, density=density, random_state=seed, format="csr")
    X.data = np.ceil(X.data * 8)
    return X


def test_hybrid_escapes_what_neither_algorithm_reaches_alone():
    """f(x, y) = |x − 3| + |y − 5|: one algorithm fixes x, the other y. Alone from (0, 0)
    they stop at f = 5 and f = 3; the hybrid takes the better (y) and then x: f = 0."""
    fix_x = lambda s: ((3.0, s[1]), 1)   # noqa: E731
    fix_y = lambda s: ((s[0], 5.0), 1)   # noqa: E731
    res = hybrid((0.0, 0.0), {"x": fix_x, "y": fix_y}, lambda s: abs(s[0] - 3) + abs(s[1] - 5))
    assert res.alone == {"x": 5.0, "y": 3.0}
    assert res.state == (3.0, 5.0) and res.objective == 0.0
    assert res.improvements == ("y", "x")
    assert [(s.round, s.algorithm, s.improved) for s in res.steps] == [
        (0, "x", False), (0, "y", True), (1, "x", True), (2, "y", False)]
    assert res.stop_reason == "no algorithm improves after 2 rounds (relative tol=1e-09)"


def test_hybrid_needs_two_algorithms():
    with pytest.raises(NMFInputError, match="at least two algorithms"):
        hybrid(0, {"one": lambda x: (x, 0)}, abs)


@pytest.mark.parametrize("nmf_method", ["mu", "cd"])
def test_hybrid_is_never_worse_than_the_better_of_nmf_and_plsi_from_the_same_start(nmf_method):
    X = counts(120, 80, 0.06, 0)
    for seed in range(3):
        W0, H0 = initialize(X, 4, method="random", random_state=seed)
        res = hybrid_plsi_nmf(X, 4, W=W0, H=H0, nmf_method=nmf_method, max_iter=300,
                              tol=1e-6)
        # each alone, run here independently from the same start
        from nnmf_research.kernels import KLCoordinateDescent
        update = MultiplicativeKL() if nmf_method == "mu" else KLCoordinateDescent()
        nmf = alternate(X, W0, H0, update, max_iter=300, tol=1e-6)
        model = plsi(X, 4, init=nmf_to_plsi(W0, H0), max_iter=300, tol=1e-6)
        alone_plsi = losses.kl(X, *plsi_to_nmf(model))
        assert res.alone["nmf"] == pytest.approx(nmf.loss, rel=1e-12)
        assert res.alone["plsi"] == pytest.approx(alone_plsi, rel=1e-12)
        assert res.objective <= min(nmf.loss, alone_plsi)
        assert res.objective == pytest.approx(losses.kl(X, *res.state), rel=1e-13)
        kept = [s for s in res.steps if s.improved]
        assert all(b.end < a.end for a, b in zip(kept, kept[1:]))
        assert all(s.algorithm in ("nmf", "plsi") for s in res.steps)


def test_hybrid_records_which_algorithm_made_each_improvement():
    X = counts(100, 60, 0.08, 1)
    res = hybrid_plsi_nmf(X, 3, random_state=0, max_iter=200, tol=1e-6)
    later = [s for s in res.steps if s.round > 0 and s.improved]
    # after round 0 the algorithms alternate: no algorithm follows itself
    names = [res.improvements[0]] + [s.algorithm for s in later]
    assert all(a != b for a, b in zip(names, names[1:]))
    assert res.stop_reason.startswith(("no algorithm improves", "max_rounds"))


def test_hybrid_refuses_bad_options():
    X = counts(20, 10, 0.3, 0)
    with pytest.raises(NMFInputError, match="unknown nmf_method 'hals'"):
        hybrid_plsi_nmf(X, 2, nmf_method="hals")
    with pytest.raises(NMFInputError, match="both initial factors"):
        hybrid_plsi_nmf(X, 2, W=np.ones((20, 2)))
