"""The experiment runner: validation before any cell, resume after a failure, shared starts."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from nnmf_research import methods
from nnmf_research.checks import NMFInputError
from nnmf_research.runner import experiment_cells, load_experiment, run_experiment

CONFIG = """
name = "toy"
title = "toy"
paper = "none"
repetitions = 2
seed = 3
k = [3]
metrics = ["relative_error", "frobenius_loss", "n_iter", "seconds"]

[datasets.planted]
m = 20
n = 15
k = 3

[methods.hals]
kind = "nmf"
method = "hals"
max_iter = 30
tol = 0

[methods.mu]
kind = "nmf"
method = "mu"
max_iter = 30
tol = 0

[[figures]]
name = "curves"
kind = "loss_curves"
x = "iteration"

[tiny]
repetitions = 1
"""

TIMING = {"seconds"}


def _write(tmp_path, text=CONFIG, name="toy.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _table(path):
    with open(path) as f:
        return [{k: v for k, v in row.items() if k not in TIMING} for row in csv.DictReader(f)]


def test_a_failed_cell_is_retried_and_the_resumed_table_equals_an_uninterrupted_one(
        tmp_path, monkeypatch):
    exp = load_experiment(_write(tmp_path))
    real = methods.METHOD_KINDS["nmf"]
    calls = []

    def flaky(X, k, W0, H0, rng, **params):
        calls.append(params["method"])
        if params["method"] == "mu" and len([c for c in calls if c == "mu"]) == 2:
            raise RuntimeError("injected failure")
        return real(X, k, W0, H0, rng, **params)

    monkeypatch.setitem(methods.METHOD_KINDS, "nmf", flaky)
    first = run_experiment(exp, tmp_path / "a", tmp_path / "figs", progress=False)
    assert len(first.failures) == 1
    assert "injected failure" in first.failures[0]["status"]
    assert len(_table(first.table)) == 3  # the failed cell is not a result

    monkeypatch.setitem(methods.METHOD_KINDS, "nmf", real)
    second = run_experiment(exp, tmp_path / "a", tmp_path / "figs", progress=False)
    assert (second.ran, second.cached, second.failures) == (1, 3, [])
    assert not any((tmp_path / "a" / "toy" / "failures").iterdir())

    fresh = run_experiment(exp, tmp_path / "b", tmp_path / "figs_b", progress=False)
    assert _table(second.table) == _table(fresh.table)


def test_a_rerun_reuses_every_cell_and_force_recomputes(tmp_path):
    exp = load_experiment(_write(tmp_path))
    run_experiment(exp, tmp_path / "r", tmp_path / "f", progress=False)
    again = run_experiment(exp, tmp_path / "r", tmp_path / "f", progress=False)
    assert (again.ran, again.cached) == (0, 4)
    forced = run_experiment(exp, tmp_path / "r", tmp_path / "f", force=True, progress=False)
    assert forced.ran == 4


def test_parallel_cells_give_the_same_table(tmp_path):
    exp = load_experiment(_write(tmp_path))
    serial = run_experiment(exp, tmp_path / "s", tmp_path / "f", progress=False)
    parallel = run_experiment(exp, tmp_path / "p", tmp_path / "f", jobs=2, progress=False)
    key = lambda r: (r["dataset"], r["method"], r["rep"])  # noqa: E731
    assert sorted(_table(serial.table), key=key) == sorted(_table(parallel.table), key=key)


def test_every_method_of_a_repetition_gets_the_same_read_only_start(tmp_path, monkeypatch):
    exp = load_experiment(_write(tmp_path))
    seen = {}

    def spy(X, k, W0, H0, rng, **params):
        assert not W0.flags.writeable and not H0.flags.writeable
        seen.setdefault(params["method"], []).append((W0.copy(), H0.copy()))
        return methods.MethodOutput(W0, H0)

    monkeypatch.setitem(methods.METHOD_KINDS, "nmf", spy)
    run_experiment(exp, tmp_path / "r", tmp_path / "f", progress=False)
    for (Wa, Ha), (Wb, Hb) in zip(seen["hals"], seen["mu"]):
        np.testing.assert_array_equal(Wa, Wb)
        np.testing.assert_array_equal(Ha, Hb)
    assert not np.array_equal(seen["hals"][0][0], seen["hals"][1][0])  # reps differ


def test_the_tiny_table_overrides_the_config(tmp_path):
    exp = load_experiment(_write(tmp_path), tiny=True)
    assert exp.repetitions == 1 and exp.tiny
    assert len(experiment_cells(exp)) == 2


def test_progress_lines_count_cells(tmp_path, capsys):
    exp = load_experiment(_write(tmp_path), tiny=True)
    run_experiment(exp, tmp_path / "r", tmp_path / "f")
    err = capsys.readouterr().err
    assert "[toy-tiny] 1/2 cells" in err and "[toy-tiny] 2/2 cells" in err and "ETA" in err


def test_a_method_can_skip_a_cell_with_a_reason(tmp_path, monkeypatch):
    def unavailable(X, k, W0, H0, rng, **params):
        raise methods.SkipCell("peer library not installed")

    exp = load_experiment(_write(tmp_path), tiny=True)
    monkeypatch.setitem(methods.METHOD_KINDS, "nmf", unavailable)
    report = run_experiment(exp, tmp_path / "r", tmp_path / "f", progress=False)
    assert report.skipped == 2 and not report.failures
    assert {row["status"] for row in _table(report.table)} == {
        "skipped: peer library not installed"}


@pytest.mark.parametrize("old,new,message", [
    ('title = "toy"', 'title = "toy"\ncolour = "red"', "unknown key 'colour'; valid: name"),
    ("[datasets.planted]", "[datasets.planted]\nloader = \"cbcl\"",
     "unknown dataset 'cbcl'; valid: faces, digits, swimmer, random, planted"),
    ('kind = "nmf"\nmethod = "mu"', 'kind = "nmf2"\nmethod = "mu"',
     "unknown method kind 'nmf2'; valid: nmf, sklearn"),
    ("max_iter = 30\ntol = 0\n\n[methods.mu]", "max_iter = 30\ntol = 0\nspeed = 3\n\n"
                                              "[methods.mu]",
     "unknown parameter for kind 'nmf' 'speed'; valid: kind, label, method"),
    ('"n_iter", "seconds"]', '"n_iter", "seconds", "beauty"]',
     "unknown metric 'beauty'; valid: relative_error"),
    ('kind = "loss_curves"', 'kind = "pie"', "unknown figure kind 'pie'; valid: basis_grid"),
    ('x = "iteration"', 'x = "iteration"\nmethods = ["hals", "als"]',
     "unknown method 'als'; valid: hals, mu"),
])
def test_config_errors_name_the_problem_and_the_choices_before_any_cell_runs(
        tmp_path, old, new, message):
    assert old in CONFIG
    path = _write(tmp_path, CONFIG.replace(old, new, 1))
    with pytest.raises(NMFInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_experiment(path)
    assert not (tmp_path / "results").exists()


def test_an_unparseable_config_is_named(tmp_path):
    path = _write(tmp_path, "name = [unclosed")
    with pytest.raises(NMFInputError, match="could not read experiment config .*toy.toml"):
        load_experiment(path)


def test_figures_are_written_only_from_saved_results(tmp_path, monkeypatch):
    exp = load_experiment(_write(tmp_path), tiny=True)
    report = run_experiment(exp, tmp_path / "r", tmp_path / "f", progress=False)
    path = Path(report.figures[0])
    assert path.name == "toy_curves.png"
    png = path.read_bytes()

    def must_not_run(*args, **kwargs):
        raise AssertionError("a figure reran a method")

    monkeypatch.setitem(methods.METHOD_KINDS, "nmf", must_not_run)
    path.unlink()
    run_experiment(exp, tmp_path / "r", tmp_path / "f", progress=False)
    assert path.read_bytes()[:8] == png[:8] == b"\x89PNG\r\n\x1a\n"
