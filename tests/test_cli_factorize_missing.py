"""``nnmf factorize`` on a file with NaN entries: NaN = missing for --model nmf (the masked
updates fit the observed entries), a named refusal for the models that cannot."""

import json

import numpy as np
import pytest

from nnmf_research import factorize
from nnmf_research.cli.main import main
from nnmf_research.losses import masked_relative_error


@pytest.fixture
def hidden(tmp_path):
    """A planted 30×24 product of rank 3 (positive factors) with 20 % of its entries NaN in a
    .csv, and the full matrix."""
    rng = np.random.default_rng(3)
    X = (rng.random((30, 3)) + 0.1) @ (rng.random((3, 24)) + 0.1)
    hide = rng.random(X.shape) < 0.2
    Xn = np.where(hide, np.nan, X)
    path = tmp_path / "x.csv"
    np.savetxt(path, Xn, delimiter=",")
    return path, X, Xn, hide


def _run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured


def test_nan_entries_are_missing_and_are_recovered(tmp_path, hidden, capsys):
    path, X, Xn, hide = hidden
    out = tmp_path / "run"
    code, captured = _run(["factorize", str(path), "-k", "3", "--method", "hals",
                           "--max-iter", "3000", "--tol", "1e-12", "--out", str(out),
                           "--json", "--quiet"], capsys)
    assert code == 0, captured.err
    summary = json.loads(captured.out)
    W, H = np.load(out / "W.npy"), np.load(out / "H.npy")
    assert summary["missing_entries"] == int(hide.sum())
    # the reported relative error is the one over the observed entries
    assert summary["relative_error"] == pytest.approx(
        masked_relative_error(np.nan_to_num(Xn), W, H, (~hide).astype(float)), rel=1e-9)
    # the hidden entries of an exact rank-3 product are recovered (none of them was fitted)
    Y = W @ H
    assert np.linalg.norm((Y - X)[hide]) / np.linalg.norm(X[hide]) < 1e-4


def test_cli_and_library_give_the_same_masked_fit(tmp_path, hidden, capsys):
    path, X, Xn, hide = hidden
    out = tmp_path / "run"
    code, captured = _run(["factorize", str(path), "-k", "3", "--method", "mu",
                           "--max-iter", "50", "--tol", "0", "--out", str(out), "--quiet"],
                          capsys)
    assert code == 0, captured.err
    fit = factorize(Xn, 3, method="mu", max_iter=50, tol=0)   # NaN = missing, same start
    np.testing.assert_allclose(np.load(out / "W.npy"), fit.W, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.load(out / "H.npy"), fit.H, rtol=1e-10, atol=1e-12)


def test_kl_with_missing_entries_reports_the_observed_kl(tmp_path, hidden, capsys):
    path, X, Xn, hide = hidden
    out = tmp_path / "run"
    code, captured = _run(["factorize", str(path), "-k", "3", "--loss", "kl", "--method",
                           "mu", "--max-iter", "100", "--out", str(out), "--json", "--quiet"],
                          capsys)
    assert code == 0, captured.err
    summary = json.loads(captured.out)
    W, H = np.load(out / "W.npy"), np.load(out / "H.npy")
    seen = ~hide
    Y = (W @ H)[seen]
    direct = float(np.sum(X[seen] * np.log(X[seen] / Y) - X[seen] + Y))   # D over observed
    assert summary["loss"] == pytest.approx(direct, rel=1e-9)
    assert summary["missing_entries"] == int(hide.sum())


@pytest.mark.parametrize("argv,message", [
    (["--loss", "kl", "--method", "cd"], "method 'cd' does not serve loss 'kl'; use one of: mu"),
    (["--model", "semi"], "--model semi cannot fit missing entries"),
    (["--model", "integer", "--bound", "2"], "--model integer cannot fit missing entries"),
])
def test_methods_and_models_without_missing_support_are_named(tmp_path, hidden, capsys, argv,
                                                              message):
    path = hidden[0]
    out = tmp_path / "out"
    code, captured = _run(["factorize", str(path), "-k", "3", *argv, "--out", str(out),
                           "--quiet"], capsys)
    assert code == 2
    assert message in captured.err
    assert not out.exists()


def test_a_row_with_no_observed_entry_is_named(tmp_path, hidden, capsys):
    _, X, Xn, _ = hidden
    Xn = Xn.copy()
    Xn[4, :] = np.nan
    path = tmp_path / "row.csv"
    np.savetxt(path, Xn, delimiter=",")
    code, captured = _run(["factorize", str(path), "-k", "3", "--quiet"], capsys)
    assert code == 2
    assert "row.csv: X row 4 has no observed entry" in captured.err
