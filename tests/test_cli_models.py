"""``nnmf factorize --model semi|convex|kernel-convex|separable``: outputs, checks, exit codes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.datasets import load_iris

from nnmf_research import convex_nmf
from nnmf_research.cli import build_parser, main
from nnmf_research.separable import planted_separable


@pytest.fixture(scope="module")
def iris_file(tmp_path_factory):
    d = load_iris().data
    X = ((d - d.mean(0)) / d.std(0)).T  # 4×150, mixed sign
    path = tmp_path_factory.mktemp("iris") / "iris_std.npy"
    np.save(path, X)
    return X, path


def _summary(out):
    return json.loads((out / "summary.json").read_text())


def test_semi_accepts_mixed_sign_and_reaches_the_reference_residual(iris_file, tmp_path):
    X, path = iris_file
    out = tmp_path / "semi"
    code = main(["factorize", str(path), "-k", "3", "--model", "semi", "--max-iter", "2000",
                 "--tol", "0", "--out", str(out), "--quiet"])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["F.npy", "G.npy", "summary.json"]
    F, G = np.load(out / "F.npy"), np.load(out / "G.npy")
    assert F.shape == (4, 3) and G.shape == (150, 3) and (G >= 0).all()
    s = _summary(out)
    R = X - F @ G.T
    assert s["loss"] == pytest.approx(float(np.vdot(R, R)), rel=1e-12)
    # The value of an independent re-implementation of Ding, Li & Jordan's rules (issue 12).
    assert round(s["loss"], 2) == 15.81
    assert s["model"] == "semi" and s["method"] == "mu" and s["init"] == "kmeans"


def test_convex_writes_a_basis_of_nonnegative_combinations_of_data_columns(iris_file, tmp_path):
    X, path = iris_file
    out = tmp_path / "convex"
    assert main(["factorize", str(path), "-k", "3", "--model", "convex", "--max-iter", "50",
                 "--out", str(out), "--quiet"]) == 0
    F, G, W = (np.load(out / f"{n}.npy") for n in ("F", "G", "W"))
    assert (W >= 0).all() and (G >= 0).all()
    np.testing.assert_allclose(F, X @ W, rtol=1e-12, atol=1e-12)
    lib = convex_nmf(X, 3, max_iter=50, random_state=0)
    np.testing.assert_allclose(W, lib.W, rtol=1e-12)


def test_kernel_convex_on_the_linear_kernel_equals_convex_nmf(iris_file, tmp_path):
    X, _ = iris_file
    K = tmp_path / "K.npy"
    np.save(K, X.T @ X)
    out = tmp_path / "kernel"
    assert main(["factorize", str(K), "-k", "3", "--model", "kernel-convex", "--max-iter",
                 "30", "--out", str(out), "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["G.npy", "W.npy", "summary.json"]
    lib = convex_nmf(X, 3, max_iter=30, random_state=0)  # same objective, same start
    # Same k-means partition (clusters of L, K = LLᵀ, are those of X): the same iterates.
    np.testing.assert_allclose(np.load(out / "G.npy"), lib.G, rtol=1e-6, atol=1e-9)
    assert _summary(out)["loss"] == pytest.approx(lib.loss, rel=1e-8)


def test_separable_returns_the_planted_anchors(tmp_path, capsys):
    M, _, _, anchors = planted_separable(20, 55, 10, random_state=3)
    path = tmp_path / "sep.csv"
    np.savetxt(path, M, delimiter=",", fmt="%.17g")
    for method in ("spa", "gillis_luce", "hottopixx"):
        out = tmp_path / method
        assert main(["factorize", str(path), "-k", "10", "--model", "separable", "--method",
                     method, "--out", str(out), "--json", "--quiet"]) == 0
        printed = json.loads(capsys.readouterr().out)  # pure JSON: solver banners go to stderr
        got = np.load(out / "anchors.npy")
        assert sorted(got.tolist()) == anchors.tolist() == sorted(printed["anchors"])
        np.testing.assert_array_equal(np.load(out / "W.npy"), M[:, got])
        assert printed["relative_error"] < 1e-8


def test_mixed_sign_is_refused_by_separable_naming_the_entry_and_nothing_is_written(
        iris_file, tmp_path, capsys):
    X, path = iris_file
    out = tmp_path / "keep"
    out.mkdir()
    (out / "W.npy").write_bytes(b"old")
    code = main(["factorize", str(path), "-k", "3", "--model", "separable", "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    idx = tuple(int(i) for i in np.argwhere(X < 0)[0])
    assert f"X entry {idx} is negative" in err
    assert (out / "W.npy").read_bytes() == b"old"
    assert main(["factorize", str(path), "-k", "3", "--quiet"]) == 2  # plain NMF too


def test_bad_kernel_and_bad_options_exit_2_with_named_errors(iris_file, tmp_path, capsys):
    X, path = iris_file
    K = X.T @ X
    K[0, 0] -= 1e3
    bad = tmp_path / "K.npy"
    np.save(bad, K)
    assert main(["factorize", str(bad), "-k", "3", "--model", "kernel-convex"]) == 2
    assert "not positive semidefinite: smallest eigenvalue -" in capsys.readouterr().err
    cases = [
        (["--model", "semi", "--method", "hals"], "valid choices: mu, cvxpy"),
        (["--model", "separable", "--method", "mu"], "spa, gillis_luce, hottopixx"),
        (["--model", "convex", "--loss", "kl"], "Frobenius loss"),
        (["--model", "semi", "--noise", "0.1"], "--noise"),
        (["--model", "separable", "--init", "kmeans"], "--init does not apply"),
        (["--model", "semi", "--init", "nndsvda"], "valid choices: kmeans, random"),
        (["--model", "semi", "-k", "151"], "k=151"),
    ]
    for extra, message in cases:
        argv = ["factorize", str(path), "-k", "3", *extra]
        assert main(argv) == 2, extra
        assert message in capsys.readouterr().err, extra


def test_help_explains_each_model_with_its_paper():
    text = build_parser()._subparsers._group_actions[0].choices["factorize"].format_help()
    flat = " ".join(text.split())
    for name, paper in [("semi", "Ding, Li & Jordan"), ("convex", "Ding, Li & Jordan"),
                        ("kernel-convex", "PSD kernel"), ("separable", "Gillis & Luce"),
                        ("nmf", "Lee & Seung")]:
        assert f"{name} = " in flat and paper in flat
