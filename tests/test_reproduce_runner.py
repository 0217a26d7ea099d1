"""The experiment runner: validation before any cell, resume after a failure, shared starts."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from nnmf_research.reproduce import cells as methods
from nnmf_research.checks import NMFInputError
from nnmf_research.reproduce import experiment_cells, load_experiment, run_experiment

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


# ------------------------------------------------------------- Ctrl-C, names, caches

import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

from nnmf_research.reproduce.store import DamagedCacheWarning, ResultStore  # noqa: E402


def _ctrl_c_inside(how):
    """An nmf kind that receives SIGINT during its second cell, handled as ``how``."""
    real = methods.METHOD_KINDS["nmf"]
    count = {"n": 0}

    def method(X, k, W0, H0, rng, **params):
        count["n"] += 1
        if count["n"] != 2:
            return real(X, k, W0, H0, rng, **params)
        try:
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt:
            if how == "swallowed":  # as the alternating loop does: a partial result
                out = real(X, k, W0, H0, rng, **{**params, "max_iter": 1})
                out.extra["stop_reason"] = "interrupted after 1 iterations (Ctrl-C)"
                return out
            if how == "solver failure":  # as OSQP does
                raise RuntimeError("Solver interrupted")
            raise
        raise AssertionError("SIGINT was not delivered")

    return method


@pytest.mark.parametrize("how", ["swallowed", "solver failure", "propagated"])
def test_ctrl_c_in_a_cell_saves_it_not_and_a_rerun_gives_the_uninterrupted_table(
        tmp_path, monkeypatch, how):
    exp = load_experiment(_write(tmp_path))
    real = methods.METHOD_KINDS["nmf"]
    monkeypatch.setitem(methods.METHOD_KINDS, "nmf", _ctrl_c_inside(how))
    with pytest.raises(KeyboardInterrupt):
        run_experiment(exp, tmp_path / "r", tmp_path / "f", progress=False)
    store = ResultStore(tmp_path / "r", "toy")
    done = [c for c in experiment_cells(exp) if store.record(c.key) is not None]
    assert len(done) == 1  # the first cell finished; the interrupted one is not done
    assert not (store.dir / "failures").exists() or not any((store.dir / "failures").iterdir())
    monkeypatch.setitem(methods.METHOD_KINDS, "nmf", real)
    again = run_experiment(exp, tmp_path / "r", tmp_path / "f", progress=False)
    assert (again.ran, again.cached) == (3, 1)
    fresh = run_experiment(exp, tmp_path / "b", tmp_path / "f2", progress=False)
    assert _table(again.table) == _table(fresh.table)


OSQP_CTRL_C = """
import ctypes, os, signal, sys, threading, time
import numpy as np
from nnmf_research.models.convex import w_model
from nnmf_research.reproduce import cells, load_experiment, run_experiment

rng = np.random.default_rng(0)
Y = rng.standard_normal((30, 600))
model = w_model(Y.T @ Y, 5)
G, W = rng.random((600, 5)), rng.random((600, 5))
model(W, G)   # compiled and solved once before any cell runs
real, count = cells.METHOD_KINDS["nmf"], {"n": 0}
libc = ctypes.CDLL(None)

def c_sigint_handler():   # struct sigaction starts with the handler's address (Linux)
    buf = ctypes.create_string_buffer(256)
    libc.sigaction(signal.SIGINT, None, buf)
    return ctypes.c_void_p.from_buffer(buf).value

def ctrl_c_once_osqp_listens(python_handler):   # once OSQP's own C handler is in place
    while c_sigint_handler() == python_handler:
        time.sleep(0.001)
    os.kill(os.getpid(), signal.SIGINT)

def method(X, k, W0, H0, rng, **params):
    count["n"] += 1
    if count["n"] != 2:
        return real(X, k, W0, H0, rng, **params)
    threading.Thread(target=ctrl_c_once_osqp_listens, args=(c_sigint_handler(),),
                     daemon=True).start()
    model(W * 0 + 1, G + 1)   # a cold re-solve of a second or more
    raise AssertionError("the solve ended before the Ctrl-C")

exp = load_experiment(sys.argv[1])   # validated against the real kind's parameters
cells.METHOD_KINDS["nmf"] = method
try:
    run_experiment(exp, sys.argv[2], sys.argv[3], progress=False)
except KeyboardInterrupt:
    sys.exit(130)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads struct sigaction")
def test_ctrl_c_caught_by_osqp_itself_stops_the_run_and_saves_no_cell(tmp_path):
    # OSQP replaces Python's SIGINT handler during a solve and CVXPY reports only a generic
    # SolverError; the guard learns of the Ctrl-C from OSQP's "Solver interrupted". Run in a
    # process of its own: under pytest the signal reaches Python's handler instead.
    config = _write(tmp_path)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", OSQP_CTRL_C, str(config), str(tmp_path / "r"),
                           str(tmp_path / "f")], capture_output=True, text=True, env=env,
                          timeout=600)
    assert "Solver interrupted" in done.stdout, done.stdout + done.stderr  # OSQP caught it
    assert done.returncode == 130, done.stderr
    exp = load_experiment(config)
    store = ResultStore(tmp_path / "r", "toy")
    assert [c.method for c in experiment_cells(exp) if store.record(c.key)] == ["hals"]
    assert not (store.dir / "failures").exists() or not any((store.dir / "failures").iterdir())


SLOW_CONFIG = CONFIG.replace("max_iter = 30", "max_iter = 3000").replace(
    "m = 20\nn = 15", "m = 120\nn = 90")


def test_sigint_to_nnmf_reproduce_at_several_points_then_a_rerun_gives_the_same_table(
        tmp_path):
    config = tmp_path / "configs"
    config.mkdir()
    _write(config, SLOW_CONFIG)
    base = [sys.executable, "-m", "nnmf_research.cli", "reproduce", "toy", "--config-dir",
            str(config), "--figures", str(tmp_path / "figs")]
    fresh = subprocess.run([*base, "--results", str(tmp_path / "fresh"), "--quiet"],
                           capture_output=True, text=True)
    assert fresh.returncode == 0, fresh.stderr
    results = str(tmp_path / "r")
    for after_lines in (1, 1, 2):  # inside the next cell, once some finished in this run
        proc = subprocess.Popen([*base, "--results", results], stderr=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, text=True)
        seen = 0
        while seen < after_lines:
            line = proc.stderr.readline()
            if not line:
                break  # every remaining cell finished first
            seen += "cells" in line
        proc.send_signal(signal.SIGINT)
        err = proc.communicate(timeout=120)[1]
        assert proc.returncode in (130, 0), err
        assert "Traceback" not in err
    rerun = subprocess.run([*base, "--results", results, "--quiet"], capture_output=True,
                           text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert (_table(tmp_path / "r" / "toy" / "cells.csv")
            == _table(tmp_path / "fresh" / "toy" / "cells.csv"))


@pytest.mark.parametrize("name", ['".."', '"../../tmp/x"', '"/tmp/abs"', '"a\\u0000b"'])
def test_an_experiment_name_that_is_a_path_is_refused(tmp_path, name):
    path = _write(tmp_path, CONFIG.replace('name = "toy"', f"name = {name}", 1))
    with pytest.raises(NMFInputError, match="experiment name .* is not a name"):
        load_experiment(path)


def test_a_figure_name_that_is_a_path_is_refused(tmp_path):
    path = _write(tmp_path, CONFIG.replace('name = "curves"', 'name = "../../escape"'))
    with pytest.raises(NMFInputError, match="figure name '../../escape' is not a name"):
        load_experiment(path)


def test_a_store_path_never_leaves_its_root(tmp_path):
    store = ResultStore(tmp_path, "toy")
    with pytest.raises(NMFInputError, match="outside"):
        store.table_path("../../x.csv")


@pytest.mark.parametrize("old,new,message", [
    ("repetitions = 2", "repetitions = 100000000",
     "the grid has 200000000 cells .* at most 100000"),
    ("k = [3]", "k = " + str(list(range(1, 30001))), "the grid has 120000 cells"),
])
def test_a_grid_too_large_to_build_is_refused_before_it_is_built(tmp_path, old, new, message):
    with pytest.raises(NMFInputError, match=message):
        load_experiment(_write(tmp_path, CONFIG.replace(old, new, 1)))


@pytest.mark.parametrize("old,new", [("k = [3]", "k = [1000000]"),
                                     ("k = 3\n", "k = 3\nranks = [16]\n")])
def test_a_k_the_data_set_cannot_have_is_refused_before_any_cell_runs(tmp_path, old, new):
    exp = load_experiment(_write(tmp_path, CONFIG.replace(old, new, 1)))
    with pytest.raises(NMFInputError, match=r"k=\d+ is out of range \[1, 15\] for data set "
                                            r"'planted' \(20×15\)"):
        run_experiment(exp, tmp_path / "r", tmp_path / "f", progress=False)
    assert not (tmp_path / "r" / "toy" / "cells").exists()


@pytest.mark.parametrize("old,new,message", [
    ("seed = 3", 'seed = "abc"', "seed must be an integer, got str 'abc'"),
    ("seed = 3", "seed = -1", r"seed=-1 is out of range \[0, inf\]"),
    ("[datasets.planted]\nm = 20\nn = 15\nk = 3", 'datasets = "planted"',
     r"\[datasets\] must be a table, got str"),
    ("[methods.mu]\nkind", "[methods.mu2]\nkind", None),
    ("[datasets.planted]", '[datasets."pl\\u0000anted"]', "data set name .* is not a name"),
    ("m = 20", "mm = 20", "unknown parameter for loader 'planted' 'mm'"),
    ('title = "toy"', "title = 3", "title must be a string"),
])
def test_malformed_configs_are_named_errors_before_any_cell_runs(tmp_path, old, new, message):
    assert old in CONFIG
    text = CONFIG.replace(old, new, 1)
    if message is None:  # methods as a list
        head, rest = CONFIG.split("[methods.hals]")
        text = (head.replace("metrics = [", 'methods = ["hals", "mu"]\nmetrics = [', 1)
                + "[[figures]]" + rest.split("[[figures]]")[1])
        message = r"\[methods\] must be a table, got list"
    with pytest.raises(NMFInputError, match=message):
        load_experiment(_write(tmp_path, text))


def test_a_config_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "toy.toml"
    path.write_bytes(CONFIG.encode().replace(b'"toy"', b'"t\xffy"', 1))
    with pytest.raises(NMFInputError, match="not UTF-8 text"):
        load_experiment(path)


def _damage(store, key, how):
    record = store.dir / "cells" / f"{key}.json"
    arrays = store.dir / "cells" / f"{key}.npz"
    if how == "truncated record":
        record.write_bytes(record.read_bytes()[:40])
    elif how == "empty record":
        record.write_bytes(b"")
    elif how == "garbage arrays":
        arrays.write_bytes(b"garbage")
    elif how == "hand-edited metric":
        data = json.loads(record.read_text())
        data["metrics"]["relative_error"] = 0.0
        record.write_text(json.dumps(data))


@pytest.mark.parametrize("how", ["truncated record", "empty record", "garbage arrays",
                                 "hand-edited metric"])
def test_a_damaged_cached_cell_is_discarded_with_a_warning_and_recomputed(tmp_path, how):
    exp = load_experiment(_write(tmp_path))
    first = run_experiment(exp, tmp_path / "r", tmp_path / "f", progress=False)
    key = experiment_cells(exp)[1].key
    _damage(ResultStore(tmp_path / "r", "toy"), key, how)
    with pytest.warns(DamagedCacheWarning, match=f"discarding the cached cell {key}"):
        again = run_experiment(exp, tmp_path / "r", tmp_path / "f", progress=False)
    assert (again.ran, again.cached) == (1, 3)
    assert _table(again.table) == _table(first.table)


def test_renaming_a_label_or_adding_a_metric_reruns_no_cell(tmp_path, monkeypatch):
    exp = load_experiment(_write(tmp_path))
    run_experiment(exp, tmp_path / "r", tmp_path / "f", progress=False)
    changed = CONFIG.replace('method = "mu"', 'method = "mu"\nlabel = "Lee-Seung MU"', 1)
    changed = changed.replace('"n_iter", "seconds"]', '"n_iter", "seconds", "kl_loss"]')
    exp2 = load_experiment(_write(tmp_path, changed, "toy2.toml"))

    def must_not_run(*args, **kwargs):
        raise AssertionError("a cell was recomputed")

    fresh = run_experiment(exp2, tmp_path / "fresh", tmp_path / "f3", progress=False)
    monkeypatch.setitem(methods.METHOD_KINDS, "nmf", must_not_run)
    report = run_experiment(exp2, tmp_path / "r", tmp_path / "f2", progress=False)
    assert (report.ran, report.cached) == (0, 4)
    rows = _table(report.table)
    assert {r["label"] for r in rows if r["method"] == "mu"} == {"Lee-Seung MU"}
    assert ([r["kl_loss"] for r in rows] == [r["kl_loss"] for r in _table(fresh.table)]
            and all(r["kl_loss"] for r in rows))


def test_cells_saved_under_the_old_key_are_found_and_migrated(tmp_path, monkeypatch):
    from nnmf_research.reproduce import runner

    exp = load_experiment(_write(tmp_path))
    first = run_experiment(exp, tmp_path / "r", tmp_path / "f", progress=False)
    store = ResultStore(tmp_path / "r", "toy")
    for cell in experiment_cells(exp):  # rewrite every cell as the old layout had it
        old = cell.spec["legacy_key"]
        data = json.loads((store.dir / "cells" / f"{cell.key}.json").read_text())
        for k in ("checksum", "arrays_sha256", "outputs"):
            data.pop(k)
        data["key"] = old
        (store.dir / "cells" / f"{old}.json").write_text(json.dumps(data))
        os.replace(store.dir / "cells" / f"{cell.key}.npz", store.dir / "cells" / f"{old}.npz")
        (store.dir / "cells" / f"{cell.key}.json").unlink()
    monkeypatch.setitem(methods.METHOD_KINDS, "nmf", lambda *a, **k: 1 / 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DamagedCacheWarning)
        again = run_experiment(exp, tmp_path / "r", tmp_path / "f", progress=False)
    assert (again.ran, again.cached) == (0, 4)
    assert _table(again.table) == _table(first.table)
    assert runner._legacy_key(exp, "planted", "hals", 3, 0) != experiment_cells(exp)[0].key


def test_a_cell_outcome_is_data_and_old_records_are_read_by_their_status_prefix():
    from nnmf_research.reproduce.runner import cell_outcome
    from nnmf_research.status import Kind

    assert cell_outcome({"status": "skipped: no peer", "outcome": "skipped"}) is Kind.SKIPPED
    assert cell_outcome({"status": "failed: ValueError: x", "outcome": "failed"}) is Kind.FAILED
    # records saved before the outcome field existed
    assert cell_outcome({"status": "ok"}) is Kind.OK
    assert cell_outcome({"status": "skipped: scikit-learn is not installed"}) is Kind.SKIPPED
    assert cell_outcome({"status": "failed: ZeroDivisionError"}) is Kind.FAILED


def test_a_data_set_whose_optional_package_is_missing_skips_its_cells(tmp_path, monkeypatch):
    """`nnmf reproduce all` on a default install (no 'text' extra) must not stop at the first
    corpus it cannot load: those cells are skipped, with the reason, like a missing peer."""
    from nnmf_research.datasets import DATASETS
    from nnmf_research.datasets.dataset import DatasetUnavailableError

    def unavailable(m=60, n=40, k=5, seed=0):
        raise DatasetUnavailableError("corpus 'x' ships with the 'gensim' package, which is "
                                      "not installed")

    from nnmf_research.reproduce import runner

    monkeypatch.setitem(DATASETS, "planted", unavailable)
    runner._dataset.cache_clear()          # earlier tests loaded the real 'planted'
    path = tmp_path / "toy.toml"
    path.write_text(CONFIG)
    report = run_experiment(load_experiment(path), tmp_path / "r", tmp_path / "f",
                            progress=False)
    assert not report.failures and report.skipped == report.ran > 0
