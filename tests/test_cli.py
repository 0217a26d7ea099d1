"""The ``nnmf`` command: outputs, JSON, help, and bad input that writes nothing."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys

import numpy as np
import pytest

from nnmf_research import losses
from nnmf_research.checks import NMFInputError
from nnmf_research.cli import build_parser, main


@pytest.fixture
def data_files(tmp_path, planted):
    X, _, _ = planted
    npy = tmp_path / "data.npy"
    np.save(npy, X)
    csv = tmp_path / "data.csv"
    np.savetxt(csv, X, delimiter=",", fmt="%.17g")
    return X, npy, csv


def test_factorize_writes_w_h_and_summary(data_files, tmp_path):
    X, npy, _ = data_files
    out = tmp_path / "run"
    code = main(["factorize", str(npy), "-k", "5", "--loss", "frobenius", "--method", "hals",
                 "--seed", "0", "--out", str(out), "--quiet"])
    assert code == 0
    W, H = np.load(out / "W.npy"), np.load(out / "H.npy")
    summary = json.loads((out / "summary.json").read_text())
    assert W.shape == (30, 5) and H.shape == (5, 20)
    assert summary["loss"] == pytest.approx(losses.frobenius(X, W, H))
    assert summary["k"] == 5 and summary["method"] == "hals"
    assert "stop_reason" in summary
    assert sorted(p.name for p in out.iterdir()) == ["H.npy", "W.npy", "summary.json"]


def test_factorize_kl_cvxpy_prints_json(data_files, capsys):
    X, _, csv = data_files
    code = main(["factorize", str(csv), "-k", "3", "--loss", "kl", "--method", "cvxpy",
                 "--max-iter", "3", "--json", "--quiet"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["loss_name"] == "kl" and summary["n_iter"] <= 3
    assert summary["shape"] == list(X.shape)


def test_check_every_changes_where_the_loss_is_read_not_the_iterates(data_files, tmp_path):
    _, npy, _ = data_files
    runs = {}
    for every in ("1", "3"):
        out = tmp_path / every
        assert main(["factorize", str(npy), "-k", "3", "--loss", "kl", "--method", "mu",
                     "--max-iter", "7", "--tol", "0", "--check-every", every, "--out",
                     str(out), "--quiet"]) == 0
        runs[every] = np.load(out / "W.npy")
        assert json.loads((out / "summary.json").read_text())["n_iter"] == 7
    np.testing.assert_array_equal(runs["1"], runs["3"])
    with pytest.raises(SystemExit) as exc:
        main(["factorize", str(npy), "-k", "3", "--check-every", "0", "--quiet"])
    assert exc.value.code == 2


def test_same_seed_same_result(data_files, tmp_path):
    _, npy, _ = data_files
    outs = []
    for name in ("a", "b"):
        main(["factorize", str(npy), "-k", "4", "--init", "random", "--seed", "7",
              "--out", str(tmp_path / name), "--quiet"])
        outs.append(np.load(tmp_path / name / "W.npy"))
    np.testing.assert_array_equal(*outs)


@pytest.mark.parametrize("mutate,args,message", [
    ("negative", [], "entry (2, 3) is negative"),
    ("inf", [], "entry (2, 3) is not finite"),   # NaN = missing: test_cli_factorize_missing
    (None, ["-k", "0"], "k=0 is out of range [1, 20]"),
    (None, ["-k", "21"], "k=21 is out of range [1, 20]"),
    (None, ["--loss", "kl", "--method", "anls"], "method 'anls' supports loss 'frobenius'"),
    (None, ["--method", "cvxpy", "--solver", "NOPE"], "solver 'NOPE' is not installed"),
])
def test_bad_input_is_named_and_nothing_is_written(tmp_path, planted, capsys, mutate, args,
                                                   message):
    X = planted[0].copy()
    if mutate == "negative":
        X[2, 3] = -1.0
    elif mutate == "inf":
        X[2, 3] = np.inf
    path = tmp_path / "x.npy"
    np.save(path, X)
    out = tmp_path / "out"
    argv = ["factorize", str(path), "--out", str(out), "--quiet"]
    argv += args if "-k" in args else ["-k", "3", *args]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_an_unparseable_file_is_named(tmp_path, capsys):
    path = tmp_path / "broken.csv"
    path.write_text("1,2,3\n4,five,6\n")
    assert main(["factorize", str(path), "-k", "1", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "could not parse" in err and "broken.csv" in err
    assert not (tmp_path / "o").exists()


def test_help_explains_every_option():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices["factorize"]
    text = sub.format_help()
    for action in sub._actions:
        if action.dest == "help":
            continue
        assert action.help, f"option {action.dest} has no help"
        for flag in action.option_strings:
            assert flag in text


def test_console_script_runs_as_a_module(data_files):
    _, npy, _ = data_files
    done = subprocess.run([sys.executable, "-m", "nnmf_research.cli", "factorize", str(npy),
                           "-k", "2", "--json", "--quiet"], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout)["k"] == 2


def test_reproduce_list_names_every_experiment_with_its_paper(capsys):
    assert main(["reproduce", "--list"]) == 0
    out = capsys.readouterr().out
    assert "lee_seung_1999_faces" in out and "Nature 401" in out and "compares:" in out


def test_reproduce_an_unknown_experiment_is_named(capsys):
    assert main(["reproduce", "lee_seung_2042"]) == 2
    assert "unknown experiment 'lee_seung_2042'; valid: " in capsys.readouterr().err


def test_reproduce_tiny_writes_table_and_figure(tmp_path, capsys):
    code = main(["reproduce", "lee_seung_1999_faces", "--tiny", "--results",
                 str(tmp_path / "res"), "--figures", str(tmp_path / "figs"), "--quiet"])
    assert code == 0
    assert (tmp_path / "res" / "lee_seung_1999_faces-tiny" / "cells.csv").exists()
    assert (tmp_path / "figs" / "lee_seung_1999_faces_bases.png").exists()
    assert "3 cells run, 0 reused" in capsys.readouterr().out


def _integer_matrix(tmp_path):
    gen = np.random.default_rng(0)
    X = gen.integers(0, 4, (8, 3)).astype(float) @ gen.integers(0, 4, (3, 7)).astype(float)
    path = tmp_path / "x.csv"
    np.savetxt(path, X, delimiter=",", fmt="%d")
    return X, path


def test_exact_writes_a_certificate_that_verify_accepts(tmp_path, capsys):
    X, path = _integer_matrix(tmp_path)
    out = tmp_path / "fact"
    assert main(["exact", str(path), "-r", "3", "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "certified exact" and summary["r"] == 3
    assert {p.name for p in out.iterdir()} >= {"W.npy", "H.npy", "certificate.json",
                                                "summary.json"}
    assert main(["verify", str(path), str(out)]) == 0
    assert capsys.readouterr().out.startswith("valid: certified exact")


def test_verify_rejects_a_tampered_certificate_naming_the_entry(tmp_path, capsys):
    X, path = _integer_matrix(tmp_path)
    out = tmp_path / "fact"
    main(["exact", str(path), "-r", "3", "--out", str(out)])
    cert = json.loads((out / "certificate.json").read_text())
    cert["W"][0][0] = str(int(cert["W"][0][0].split("/")[0]) + 1) + (
        "/" + cert["W"][0][0].split("/")[1] if "/" in cert["W"][0][0] else "")
    (out / "certificate.json").write_text(json.dumps(cert))
    capsys.readouterr()
    assert main(["verify", str(path), str(out / "certificate.json")]) == 1
    assert "INVALID" in capsys.readouterr().out


def test_exact_smallest_reports_the_smallest_rank_found(tmp_path, capsys):
    X, path = _integer_matrix(tmp_path)
    assert main(["exact", str(path), "--smallest", "--json", "--time-limit", "5"]) == 0
    assert json.loads(capsys.readouterr().out)["r"] == 3


def test_exact_bad_rank_and_missing_certificate_are_named(tmp_path, capsys):
    X, path = _integer_matrix(tmp_path)
    assert main(["exact", str(path), "-r", "0"]) == 2
    assert "r=0 is out of range [1, 7]" in capsys.readouterr().err
    assert main(["verify", str(path), str(tmp_path / "nowhere.json")]) == 2
    assert "certificate not found" in capsys.readouterr().err


THOMAS_CSV = "1,1,0,0\n1,0,1,0\n0,1,0,1\n0,0,1,1\n"


def test_rank_prints_a_table_and_the_bracket(tmp_path, capsys):
    path = tmp_path / "thomas.csv"
    path.write_text(THOMAS_CSV)
    assert main(["rank", str(path), "--bounds", "rank,fooling_set,exact_nmf", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "fooling_set" in out and "4 <= rank+ <= 4   (exact)" in out


def test_rank_json_keeps_the_contract_and_can_be_saved(tmp_path, capsys):
    path = tmp_path / "thomas.csv"
    path.write_text(THOMAS_CSV)
    saved = tmp_path / "report.json"
    assert main(["rank", str(path), "--json", "--bounds", "fooling_set,rectangle_cover",
                 "--time-limit", "30", "--out", str(saved), "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["shape"] == [4, 4] and report["rank"] == 3
    assert (report["lower"], report["upper"], report["exact"]) == (4, 4, True)
    assert [b["method"] for b in report["bounds"]] == ["fooling_set", "rectangle_cover"]
    assert json.loads(saved.read_text())["lower"] == 4


@pytest.mark.parametrize("content, message", [
    ("1,-1\n2,3\n", "negative"),
    ("1,nan\n2,3\n", "not finite: nan"),
    ("", "holds no numbers"),
    ("1,2\n3\n", "could not parse"),
])
def test_rank_bad_input_is_named(tmp_path, capsys, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    assert main(["rank", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_rank_unknown_bound_is_named(tmp_path, capsys):
    path = tmp_path / "thomas.csv"
    path.write_text(THOMAS_CSV)
    assert main(["rank", str(path), "--bounds", "fooling,rank"]) == 2
    assert "unknown bound 'fooling'" in capsys.readouterr().err


# ------------------------------------------------------ robustness (issue 11)

import os  # noqa: E402
import signal  # noqa: E402


def _strict(text):
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))


@pytest.mark.parametrize("argv, message", [
    (["factorize", "X", "-k", "2", "--seed", "-1"], "--seed: -1 is out of range: must be >= 0"),
    (["factorize", "X", "-k", "2", "--tol", "2"], "--tol: 2 is out of range: must be in [0, 1)"),
    (["factorize", "X", "-k", "2", "--tol", "nan"], "--tol: nan is out of range"),
    (["factorize", "X", "-k", "2", "--time-limit", "-1"], "--time-limit: -1 must be a finite"),
    (["reproduce", "all", "--jobs", "0"], "--jobs: 0 is out of range: must be >= 1"),
    (["exact", "X", "-r", "2", "--tol", "2"], "--tol: 2 is out of range"),
    (["exact", "X", "-r", "2", "--jobs", "0"], "--jobs: 0 is out of range"),
    (["rank", "X", "--time-limit", "-5"], "--time-limit: -5 must be a finite"),
])
def test_bad_options_are_named_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_an_out_that_is_a_file_or_unwritable_is_refused_before_computing(data_files, tmp_path,
                                                                         capsys, monkeypatch):
    _, npy, _ = data_files
    import nnmf_research.cli.factorize_command as cli

    monkeypatch.setattr(cli, "factorize", lambda *a, **k: pytest.fail("computed"))
    (tmp_path / "file").write_text("")
    assert main(["factorize", str(npy), "-k", "2", "--out", str(tmp_path / "file")]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err
    assert main(["reproduce", "all", "--results", str(tmp_path / "file")]) == 2
    assert "--results" in capsys.readouterr().err
    assert main(["rank", str(npy), "--out", str(tmp_path)]) == 2
    assert "is a folder, not a file" in capsys.readouterr().err


def test_a_rerun_into_the_same_out_leaves_no_file_of_the_old_run(data_files, tmp_path):
    _, npy, _ = data_files
    out = tmp_path / "run"
    main(["factorize", str(npy), "-k", "2", "--out", str(out), "--quiet"])
    (out / "W.npy").write_bytes(b"stale")
    assert main(["factorize", str(npy), "-k", "3", "--out", str(out), "--quiet"]) == 0
    assert np.load(out / "W.npy").shape[1] == 3 and _strict((out / "summary.json")
                                                           .read_text())["k"] == 3


@pytest.mark.parametrize("method", ["anls", "cvxpy", "hals", "mu"])
def test_an_all_zero_matrix_factorizes_to_zero_factors_with_strict_json(tmp_path, capsys,
                                                                       method):
    path = tmp_path / "zero.npy"
    np.save(path, np.zeros((6, 5)))
    assert main(["factorize", str(path), "-k", "2", "--method", method, "--json",
                 "--quiet"]) == 0
    summary = _strict(capsys.readouterr().out)
    assert summary["loss"] == 0.0 and summary["relative_error"] is None
    assert "0/0" in summary["null_because"]["relative_error"]


def test_rank_of_an_all_zero_matrix_is_the_proved_bracket_0(tmp_path, capsys):
    path = tmp_path / "zero.csv"
    path.write_text("0,0\n0,0\n")
    assert main(["rank", str(path), "--json", "--quiet"]) == 0
    summary = _strict(capsys.readouterr().out)
    assert (summary["lower"], summary["upper"], summary["exact"]) == (0, 0, True)


def test_rank_json_is_strict(tmp_path, capsys):
    path = tmp_path / "thomas.csv"
    path.write_text(THOMAS_CSV)
    assert main(["rank", str(path), "--json", "--quiet", "--time-limit", "20",
                 "--bounds", "rank,fooling_set,exact_nmf"]) == 0
    assert _strict(capsys.readouterr().out)["lower"] == 4


def test_the_dense_kl_model_refuses_a_size_it_cannot_solve_before_computing(tmp_path, capsys):
    path = tmp_path / "digits_like.npy"
    np.save(path, np.ones((200, 64)))
    assert main(["factorize", str(path), "-k", "10", "--loss", "kl", "--method", "cvxpy"]) == 2
    err = capsys.readouterr().err
    assert "12800 exponential cones" in err and "up to 8000 entries" in err
    assert "use method 'mu'" in err
    from nnmf_research.models.kl import kl_model

    with pytest.raises(NMFInputError, match="exponential cones"):
        kl_model(2, 100, 81)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_verify_refuses_a_fifo_instead_of_blocking(tmp_path, capsys):
    X, path = _integer_matrix(tmp_path)
    fifo = tmp_path / "certificate.json"
    os.mkfifo(fifo)
    assert main(["verify", str(path), str(fifo)]) == 2
    assert "is a FIFO (named pipe), not a regular file" in capsys.readouterr().err
    assert main(["factorize", str(fifo).replace(".json", ".csv"), "-k", "1"]) == 2


@pytest.mark.parametrize("error", [MemoryError(), OSError(28, "No space left on device")])
def test_memory_and_os_errors_are_one_line_not_a_traceback(data_files, capsys, monkeypatch,
                                                           error):
    _, npy, _ = data_files
    import nnmf_research.cli.factorize_command as cli

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(cli, "factorize", fail)
    assert main(["factorize", str(npy), "-k", "2", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("nnmf: error:") and "Traceback" not in err
    assert ("out of memory" if isinstance(error, MemoryError) else "No space left") in err


def test_init_time_is_counted_in_seconds(data_files, capsys):
    _, npy, _ = data_files
    main(["factorize", str(npy), "-k", "3", "--json", "--quiet"])
    summary = _strict(capsys.readouterr().out)
    assert 0 < summary["init_seconds"] <= summary["seconds"]


@pytest.mark.parametrize("method", ["cvxpy", "hals"])
def test_ctrl_c_in_factorize_writes_the_last_complete_iterate_and_exits_130(tmp_path, method):
    X = np.random.default_rng(0).random((120, 80))
    np.save(tmp_path / "x.npy", X)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "nnmf_research.cli", "factorize",
                             str(tmp_path / "x.npy"), "-k", "5", "--method", method,
                             "--max-iter", "1000000", "--tol", "0", "--out", str(out)],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stderr.readline()  # the first progress line: it is iterating
    assert line.startswith("[nnmf] iter"), line
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        # OSQP installs its own SIGINT handler during each solve and checks its flag only in
        # its iteration loop: a Ctrl-C landing after the last check (polishing) is swallowed
        # by OSQP (about 1 in 20 here; README, "Ctrl-C"). A second Ctrl-C stops the run.
        assert method == "cvxpy"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    summary = _strict((out / "summary.json").read_text())
    assert summary["stop_reason"].startswith("interrupted after")
    W, H = np.load(out / "W.npy"), np.load(out / "H.npy")
    assert summary["loss"] == pytest.approx(losses.frobenius(X, W, H))


def test_exact_never_calls_a_factorization_exact_that_misses_small_entries(tmp_path, capsys,
                                                                          item4_matrix):
    # item 4 of the soundness issue: Frobenius 2e-16 at r = 2, worst entry 100 % off
    path = tmp_path / "x4.npy"
    np.save(path, item4_matrix)
    assert main(["exact", str(path), "-r", "2", "--time-limit", "3", "--json"]) == 3
    summary = _strict(capsys.readouterr().out)
    assert "exact" not in summary["status"]
    assert main(["exact", str(path), "--smallest", "--time-limit", "3", "--json"]) == 0
    summary = _strict(capsys.readouterr().out)
    assert (summary["r"], summary["status"]) == (4, "certified exact")


def test_tensor_factorizes_a_planted_3_way_array_and_writes_its_factors(tmp_path, capsys):
    g = np.random.default_rng(0)
    A = [g.uniform(0.1, 1, (n, 2)) for n in (5, 4, 3)]
    path = tmp_path / "t.npy"
    np.save(path, np.einsum("ir,jr,kr->ijk", *A))
    out = tmp_path / "run"
    assert main(["tensor", str(path), "-k", "2", "--max-iter", "20000", "--tol", "0",
                 "--out", str(out), "--json", "--quiet"]) == 0
    summary = _strict(capsys.readouterr().out)
    assert summary["relative_error"] < 1e-6 and summary["k"] == 2
    assert sorted(p.name for p in out.iterdir()) == ["A1.npy", "A2.npy", "A3.npy",
                                                      "summary.json"]
    assert np.load(out / "A1.npy").shape == (5, 2)
    assert main(["tensor", str(path), "-k", "0"]) == 2
    assert "k=0 is out of range" in capsys.readouterr().err


def test_rank_select_writes_a_table_a_figure_and_resumes(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.random((20, 3)) @ rng.random((3, 16))
    X[2, 5] = np.nan
    path = tmp_path / "x.csv"
    np.savetxt(path, X, delimiter=",")
    out = tmp_path / "sel"
    argv = ["rank-select", str(path), "--ks", "2:4", "--folds", "3", "--max-iter", "200",
            "--out", str(out), "--json", "--quiet"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["ks"] == [2, 3, 4] and summary["best_k"]["cv"] == 3
    assert (out / "rank_selection.png").read_bytes()[:4] == b"\x89PNG"
    saved = sorted((out / "fits").iterdir())
    assert len(saved) == 9                            # 3 ks x 3 folds, one file per fit
    assert main(argv) == 0                            # a rerun reuses them
    assert json.loads(capsys.readouterr().out)["table"] == summary["table"]


def test_rank_select_by_bi_cross_validation(tmp_path, capsys):
    rng = np.random.default_rng(1)
    W = rng.random((40, 3)) * (rng.random((40, 3)) < 0.5)
    H = rng.random((3, 30)) * (rng.random((3, 30)) < 0.5)
    path = tmp_path / "x.npy"
    np.save(path, W @ H + 1e-3 * rng.random((40, 30)))
    assert main(["rank-select", str(path), "--ks", "2:4", "--criterion", "bcv",
                 "--max-iter", "300", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "k=3, bi-cross-validation" in out and out.strip().endswith("best k: bcv 3")


@pytest.mark.parametrize("ks,message", [("0:3", "--ks"), ("2:40", "k = 21 is out of range")])
def test_rank_select_refuses_bad_ks(tmp_path, capsys, ks, message):
    path = tmp_path / "x.npy"
    np.save(path, np.random.default_rng(0).random((20, 30)))
    with pytest.raises(SystemExit) if ks == "0:3" else contextlib.nullcontext():
        code = main(["rank-select", str(path), "--ks", ks])
        assert code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("method,loss", [("mu", "kl"), ("cd", "kl"), ("hals", "frobenius"),
                                         ("anls", "frobenius"), ("mu", "frobenius")])
def test_factorize_keeps_sparse_input_sparse(method, loss, huge_sparse_counts, tmp_path,
                                             capsys):
    """An .npz of 200000 × 50000 counts (80 GB dense): --loss kl with mu or cd, and Frobenius
    with hals, anls and mu never densify it (the fixture makes toarray/todense fail) and
    write the factors."""
    import scipy.sparse as sp

    path = tmp_path / "counts.npz"
    sp.save_npz(path, huge_sparse_counts)
    code = main(["factorize", str(path), "-k", "3", "--loss", loss, "--method", method,
                 "--init", "random", "--max-iter", "2", "--seed", "0", "--out",
                 str(tmp_path / "run"), "--json", "--quiet"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["shape"] == [200_000, 50_000] and summary["n_iter"] == 2
    W, H = np.load(tmp_path / "run" / "W.npy"), np.load(tmp_path / "run" / "H.npy")
    assert summary["loss"] == pytest.approx(losses.loss(loss, huge_sparse_counts, W, H),
                                            rel=1e-12)


def test_every_command_takes_threads_and_refuses_zero(tmp_path, capsys):
    from nnmf_research.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command_parser in sub.choices.items():
        assert any("--threads" in a.option_strings for a in command_parser._actions), name
    path = tmp_path / "X.npy"
    np.save(path, np.random.default_rng(0).random((6, 5)))
    assert main(["factorize", str(path), "-k", "2", "--max-iter", "3", "--json",
                 "--threads", "2"]) == 0
    with pytest.raises(SystemExit) as exc:
        main(["factorize", str(path), "-k", "2", "--threads", "0"])
    assert exc.value.code == 2 and "must be >= 1" in capsys.readouterr().err


@pytest.mark.parametrize("given, beta", [("0.5", 0.5), ("itakura-saito", 0.0), ("3", 3.0),
                                         ("-0.5", -0.5)])
def test_factorize_fits_any_beta_divergence(given, beta, tmp_path, capsys):
    """--loss B (a real β, or itakura-saito) fits the β-divergence by --method mu: the
    summary's loss is losses.beta_divergence of the factors it wrote, and it decreased from
    the start (so it is the β-loss being minimized, not another one)."""
    rng = np.random.default_rng(3)
    X = rng.random((25, 3)) @ rng.random((3, 18)) + 0.1      # no zeros: β ≤ 0 allowed
    path = tmp_path / "X.npy"
    np.save(path, X)
    out = tmp_path / "run"
    code = main(["factorize", str(path), "-k", "3", "--loss", given, "--method", "mu",
                 "--max-iter", "40", "--tol", "0", "--seed", "0", "--out", str(out),
                 "--json", "--quiet"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    W, H = np.load(out / "W.npy"), np.load(out / "H.npy")
    assert summary["loss"] == pytest.approx(losses.beta_divergence(X, W, H, beta), rel=1e-12)
    assert summary["loss_name"] == losses.check_loss(beta)
    from nnmf_research.init import initialize

    W0, H0 = initialize(X, 3, method="nndsvda", random_state=0)
    assert summary["loss"] < 0.5 * losses.beta_divergence(X, W0, H0, beta)


@pytest.mark.parametrize("argv, message", [
    (["--loss", "0.5", "--method", "hals"], "method 'hals' supports loss 'frobenius' only"),
    (["--loss", "l1"], "--model nmf has no loss 'l1'"),
])
def test_factorize_a_beta_the_method_cannot_fit_is_named(argv, message, data_files, capsys):
    _, npy, _ = data_files
    assert main(["factorize", str(npy), "-k", "3", *argv, "--quiet"]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("text", ["hinge", "nan", "inf"])
def test_factorize_an_unknown_loss_is_refused_by_the_parser(text, capsys):
    with pytest.raises(SystemExit) as info:
        main(["factorize", "X", "-k", "2", "--loss", text])
    assert info.value.code == 2
    assert "--loss" in capsys.readouterr().err
