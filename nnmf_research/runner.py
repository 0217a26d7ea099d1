"""The one experiment runner: TOML config -> grid of cells -> cached results -> table -> figures.

A config (``experiments/<name>.toml``) names data sets × methods × inner dimensions k ×
repetitions, the metrics to record and the figures to draw; its ``[tiny]`` table overrides
any of these for a minutes-long run (the test suite runs every config at that size).

* A **cell** is (data set, method, k, repetition). Its key is a hash of its full spec and the
  package version, so a changed parameter (or release) is a new cell and an unchanged one is
  never recomputed; after editing the code itself, rerun with ``force=True``.
* Initial factors are shared: every method in a repetition starts from the same read-only
  (W₀, H₀) = ``initialize(X, k, init, seed)`` with a seed derived from (config seed, rep).
* Each finished cell is saved atomically (arrays, then the JSON record that marks it done)
  under ``results/<experiment>/cells/<key>``; a crash or Ctrl-C loses only the cells in
  flight and a rerun resumes (``force=True`` recomputes). A failing cell is recorded under
  ``failures/`` with its error and retried next time; it is never cached as a result. A
  method that cannot run (a missing peer library) skips its cell with the reason.
* Cells run in parallel through joblib (``jobs``), whose backend can be pointed at a Dask or
  Ray cluster (``joblib.parallel_config(backend=...)``) without code changes.
* The table (``results/<experiment>/cells.csv``, one row per cell, and ``summary.csv``, mean /
  min / max over repetitions) and the figures are built from saved cells only.

Config keys (top level): name, title, paper, compares, repetitions, seed, k, init, metrics,
datasets, methods, figures, summary, notes, tiny. A data set may set its own ``ranks``
(list of k) in place of the global ``k``; its other keys are the loader's parameters. Unknown keys, data sets, method kinds,
method parameters, metrics and figure kinds are refused with the valid choices, before any
cell runs.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import math
import sys
import time
import tomllib
import traceback
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import __version__, losses, methods, metrics as metric_fns
from .checks import NMFInputError, check_choice, check_positive_int
from .data import DATASETS, load_dataset
from .init import INIT_METHODS, initialize
from .io import atomic_write_bytes, save_json

__all__ = ["Experiment", "Cell", "load_experiment", "list_experiments", "experiment_cells",
           "run_experiment", "DEFAULT_CONFIG_DIR", "METRICS"]

DEFAULT_CONFIG_DIR = Path(__file__).resolve().parents[1] / "experiments"

TOP_KEYS = ("name", "title", "paper", "compares", "repetitions", "seed", "k", "init",
            "metrics", "datasets", "methods", "figures", "summary", "notes", "tiny")
METHOD_META_KEYS = ("kind", "label")


def _parts(ctx):
    if ctx["parts"] is None:
        return None
    return metric_fns.parts_recovered(ctx["W"], ctx["parts"])


def _max_increase(trace):
    """Largest rise of the loss from one iteration to the next, relative to the first value
    (<= 0 means the trace never increased: Lee & Seung's theorem, checked)."""
    if trace is None or len(trace) < 2 or trace[0] == 0:
        return None
    return float(np.max(np.diff(trace)) / trace[0])


METRICS = {
    "relative_error": lambda c: losses.relative_error(c["X"], c["W"], c["H"]),
    "loss": lambda c: losses.loss(c["out"].loss_name, c["X"], c["W"], c["H"]),
    "frobenius_loss": lambda c: losses.frobenius(c["X"], c["W"], c["H"]),
    "kl_loss": lambda c: losses.kl(c["X"], np.maximum(c["W"], 0), np.maximum(c["H"], 0)),
    "seconds": lambda c: c["out"].seconds,
    "n_iter": lambda c: c["out"].n_iter,
    "hoyer_basis": lambda c: metric_fns.hoyer_sparseness(c["W"], axis=0),
    "hoyer_encoding": lambda c: metric_fns.hoyer_sparseness(c["H"], axis=1),
    "sparsity_basis": lambda c: metric_fns.near_zero_fraction(c["W"]),
    "sparsity_encoding": lambda c: metric_fns.near_zero_fraction(c["H"]),
    "limbs_recovered": lambda c: None if _parts(c) is None else int(_parts(c)[1:].sum()),
    "torso_recovered": lambda c: None if _parts(c) is None else int(_parts(c)[0]),
    "build_s": lambda c: c["out"].extra.get("build_s"),
    "first_solve_s": lambda c: c["out"].extra.get("first_solve_s"),
    "resolve_s": lambda c: c["out"].extra.get("resolve_s"),
    "max_loss_increase": lambda c: _max_increase(c["out"].trace_loss),
    "success": lambda c: c["out"].extra.get("success"),
    "value": lambda c: c["out"].extra.get("value"),
    "bound": lambda c: c["out"].extra.get("bound"),
    "certified": lambda c: c["out"].extra.get("certified"),
}
"""metric name -> function of the cell context (X, W, H, parts, out)."""

FACTOR_FREE_METRICS = ("seconds", "n_iter", "build_s", "first_solve_s", "resolve_s",
                       "max_loss_increase", "success", "value", "bound", "certified")
"""Metrics a method reports itself (no W, H needed)."""

SUMMARY_KEYS = ("time_to_target", "reference", "pivot")


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    paper: str
    compares: str
    repetitions: int
    seed: int
    ks: tuple[int, ...]
    init: str
    metrics: tuple[str, ...]
    datasets: dict[str, dict]
    methods: dict[str, dict]
    figures: tuple[dict, ...]
    summary: dict
    notes: str
    tiny: bool
    path: Path | None = None

    def label(self, method: str) -> str:
        return self.methods[method].get("label", method)


@dataclass(frozen=True)
class Cell:
    key: str
    dataset: str
    method: str
    k: int
    rep: int
    spec: dict = field(repr=False)


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _unknown(kind: str, keys, valid, where: str) -> None:
    bad = [k for k in keys if k not in valid]
    if bad:
        raise NMFInputError(
            f"{where}: unknown {kind} {bad[0]!r}; valid: {', '.join(map(str, valid))}")


def load_experiment(path, tiny: bool = False) -> Experiment:
    """Read and validate a config; with ``tiny`` its [tiny] table overrides the rest."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise NMFInputError(f"could not read experiment config {path}: {exc}") from None
    where = path.name
    _unknown("key", raw, TOP_KEYS, where)
    tiny_table = raw.pop("tiny", {})
    if tiny:
        _unknown("key in [tiny]", tiny_table, TOP_KEYS, where)
        raw = _merge(raw, tiny_table)
    for key in ("name", "datasets", "methods"):
        if key not in raw:
            raise NMFInputError(f"{where}: missing required key {key!r}")
    ks = raw.get("k", [])
    ks = tuple(ks) if isinstance(ks, list) else (ks,)
    ks = tuple(check_positive_int(k, f"{where}: k") for k in ks) or (1,)
    init = check_choice(raw.get("init", "random"), f"init in {where}", INIT_METHODS)

    datasets = {}
    for name, spec in raw["datasets"].items():
        spec = dict(spec)
        loader = spec.pop("loader", name)
        _unknown("dataset", [loader], list(DATASETS), f"{where} [datasets.{name}]")
        ranks = spec.pop("ranks", None)
        entry = {"loader": loader, "params": spec}
        if ranks is not None:
            entry["ranks"] = [check_positive_int(r, f"{where} [datasets.{name}] ranks")
                              for r in (ranks if isinstance(ranks, list) else [ranks])]
        datasets[name] = entry

    method_specs = {}
    for name, spec in raw["methods"].items():
        spec = dict(spec)
        kind = spec.get("kind")
        if kind is None:
            raise NMFInputError(f"{where} [methods.{name}]: missing 'kind'; valid: "
                                f"{', '.join(methods.METHOD_KINDS)}")
        _unknown("method kind", [kind], list(methods.METHOD_KINDS),
                 f"{where} [methods.{name}]")
        allowed = (*METHOD_META_KEYS, *methods.method_parameters(kind))
        _unknown(f"parameter for kind {kind!r}", spec, allowed, f"{where} [methods.{name}]")
        method_specs[name] = spec

    metric_names = tuple(raw.get("metrics", ["relative_error", "seconds"]))
    _unknown("metric", metric_names, list(METRICS), where)
    summary = dict(raw.get("summary", {}))
    _unknown("summary key", summary, SUMMARY_KEYS, where)
    if "reference" in summary:
        _unknown("reference method", [summary["reference"]], list(method_specs), where)
    if "pivot" in summary:
        _unknown("pivot metric", [summary["pivot"]], list(metric_names), where)

    from .plots import FIGURE_KINDS, check_figure  # late: plots imports matplotlib

    figures = tuple(raw.get("figures", []))
    for fig in figures:
        _unknown("figure kind", [fig.get("kind")], list(FIGURE_KINDS), where)
        check_figure(fig, method_specs, datasets, where)
    return Experiment(
        name=str(raw["name"]), title=str(raw.get("title", raw["name"])),
        paper=str(raw.get("paper", "")), compares=str(raw.get("compares", "")),
        repetitions=check_positive_int(raw.get("repetitions", 1), f"{where}: repetitions"),
        seed=int(raw.get("seed", 0)), ks=ks, init=init, metrics=metric_names,
        datasets=datasets, methods=method_specs, figures=figures, summary=summary,
        notes=str(raw.get("notes", "")), tiny=tiny, path=path,
    )


def list_experiments(config_dir=None) -> dict[str, Path]:
    """Experiment name -> config path, for every ``*.toml`` in ``config_dir``."""
    config_dir = Path(config_dir or DEFAULT_CONFIG_DIR)
    return {p.stem: p for p in sorted(config_dir.glob("*.toml"))}


def experiment_cells(exp: Experiment) -> list[Cell]:
    """The grid: data set × method × k × repetition, each with a key from its full spec."""
    cells = []
    for dname, dspec in exp.datasets.items():
        for k in dspec.get("ranks", exp.ks):
            for rep in range(exp.repetitions):
                for mname, mspec in exp.methods.items():
                    spec = {"experiment": exp.name, "version": __version__,
                            "dataset": {"name": dname, **dspec},
                            "method": {"name": mname, **mspec}, "k": k, "rep": rep,
                            "seed": exp.seed, "init": exp.init,
                            "metrics": list(exp.metrics)}
                    blob = json.dumps(spec, sort_keys=True, default=str).encode()
                    key = hashlib.sha256(blob).hexdigest()[:16]
                    cells.append(Cell(key, dname, mname, k, rep, spec))
    return cells


@lru_cache(maxsize=8)
def _dataset(loader: str, params_json: str):
    return load_dataset(loader, **json.loads(params_json))


def _shared_start(X, k, init, seed, rep):
    gen_seed = np.random.SeedSequence([seed, rep]).generate_state(1)[0]
    W0, H0 = initialize(X, k, method=init, random_state=int(gen_seed))
    W0.setflags(write=False)
    H0.setflags(write=False)
    return W0, H0


def _cell_paths(results_dir: Path, key: str) -> tuple[Path, Path, Path]:
    return (results_dir / "cells" / f"{key}.json", results_dir / "cells" / f"{key}.npz",
            results_dir / "failures" / f"{key}.json")


def _finite_or_none(value):
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def run_cell(cell: Cell, results_dir) -> dict:
    """Run one cell and save it; returns its record. Failures are saved under failures/."""
    results_dir = Path(results_dir)
    record_path, arrays_path, failure_path = _cell_paths(results_dir, cell.key)
    spec = cell.spec
    dspec, mspec = spec["dataset"], spec["method"]
    record = {"key": cell.key, "experiment": spec["experiment"], "dataset": cell.dataset,
              "method": cell.method, "label": mspec.get("label", cell.method),
              "kind": mspec["kind"], "k": cell.k, "rep": cell.rep,
              "dataset_params": dspec["params"]}
    try:
        data = _dataset(dspec["loader"], json.dumps(dspec["params"], sort_keys=True))
        X = data.X
        k = min(cell.k, min(X.shape))
        W0, H0 = _shared_start(X, k, spec["init"], spec["seed"], cell.rep)
        rng = np.random.default_rng([spec["seed"], cell.rep, 1])
        params = {p: v for p, v in mspec.items() if p not in (*METHOD_META_KEYS, "name")}
        try:
            out = methods.run_method(mspec["kind"], X, k, W0, H0, rng, params)
        except methods.SkipCell as skip:
            record.update(status=f"skipped: {skip}", metrics={})
            save_json(record_path, record)
            return record
        ctx = {"X": X, "W": out.W, "H": out.H, "parts": data.parts, "out": out}
        values = {}
        for name in spec["metrics"]:
            needs_factors = name not in FACTOR_FREE_METRICS
            values[name] = (None if needs_factors and out.W is None
                            else _finite_or_none(METRICS[name](ctx)))
        record.update(status="ok", metrics=values, image_shape=data.image_shape,
                      stop_reason=out.extra.get("stop_reason", ""),
                      loss_name=out.loss_name,
                      dataset_meta={key: value for key, value in data.meta.items()
                                    if value is None or isinstance(value, (int, float, str))},
                      method_status=str(out.extra.get("status", "")))
        arrays = {}
        for name in ("W", "H", "trace_loss", "trace_time"):
            value = getattr(out, name)
            if value is not None:
                arrays[name] = np.asarray(value)
        import io as _io

        buf = _io.BytesIO()
        np.savez_compressed(buf, **arrays)
        atomic_write_bytes(arrays_path, buf.getvalue())
        save_json(record_path, record)  # written last: its presence marks the cell done
        if failure_path.exists():
            failure_path.unlink()
        return record
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # recorded, not cached: the next run retries this cell
        record.update(status=f"failed: {type(exc).__name__}: {exc}",
                      traceback=traceback.format_exc())
        save_json(failure_path, record)
        return record


def _load_record(results_dir: Path, key: str) -> dict | None:
    path = _cell_paths(results_dir, key)[0]
    if not path.exists():
        return None
    return json.loads(path.read_text())


def load_arrays(results_dir, key: str) -> dict[str, np.ndarray]:
    """The saved arrays (W, H, trace_loss, trace_time) of a finished cell."""
    path = _cell_paths(Path(results_dir), key)[1]
    if not path.exists():
        return {}
    with np.load(path) as z:
        return {name: z[name] for name in z.files}


class _Progress:
    """One line per finished cell on stderr: done / total, elapsed, ETA."""

    def __init__(self, name: str, total: int, enabled: bool):
        self.name, self.total, self.enabled = name, total, enabled
        self.done = 0
        self.start = time.perf_counter()

    def step(self, record: dict) -> None:
        self.done += 1
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        status = record.get("status", "")
        note = "" if status == "ok" else f"  [{status.splitlines()[0][:80]}]"
        print(f"[{self.name}] {self.done}/{self.total} cells  {elapsed:6.1f} s elapsed  "
              f"ETA {eta:6.1f} s  ({record['dataset']}, {record['method']}, k={record['k']}, "
              f"rep {record['rep']}){note}", file=sys.stderr, flush=True)


@dataclass
class RunReport:
    experiment: str
    table: Path
    summary: Path
    figures: list[Path]
    ran: int
    cached: int
    skipped: int
    failures: list[dict]


def _time_to(trace_loss, trace_time, target):
    if trace_loss is None or trace_time is None:
        return None
    hit = np.nonzero(np.asarray(trace_loss) <= target)[0]
    return float(np.asarray(trace_time)[hit[0]]) if hit.size else None


def _add_time_to_target(exp: Experiment, rows: list[dict], results_dir: Path) -> None:
    """Columns time_to_<tol> (and ratio_<tol> against the reference method): seconds until a
    method's trace first reaches (1 + tol) × the best loss any method reached in the same
    (data set, k, repetition)."""
    tols = exp.summary.get("time_to_target")
    if not tols:
        return
    ref = exp.summary.get("reference")
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        if row["status"] == "ok":
            groups.setdefault((row["dataset"], row["k"], row["rep"]), []).append(row)
    for group in groups.values():
        traces = {row["key"]: load_arrays(results_dir, row["key"]) for row in group}
        best = min(float(np.min(t["trace_loss"])) for t in traces.values() if "trace_loss" in t)
        for row in group:
            t = traces[row["key"]]
            for tol in tols:
                row[f"time_to_{tol:g}"] = _time_to(t.get("trace_loss"), t.get("trace_time"),
                                                   best * (1 + tol))
        if ref is not None:
            ref_row = next((r for r in group if r["method"] == ref), None)
            for row in group:
                for tol in tols:
                    mine = row.get(f"time_to_{tol:g}")
                    theirs = None if ref_row is None else ref_row.get(f"time_to_{tol:g}")
                    row[f"ratio_to_{ref}_{tol:g}"] = (
                        mine / theirs if mine is not None and theirs else None)


def _write_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    import io as _io

    buf = _io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: ("" if row.get(c) is None else row.get(c)) for c in columns})
    atomic_write_bytes(path, buf.getvalue().encode())


def _summarize(rows: list[dict], value_columns: list[str]) -> tuple[list[dict], list[str]]:
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["dataset"], row["method"], row["k"]), []).append(row)
    out, columns = [], ["dataset", "method", "label", "k", "n_ok", "status"]
    for col in value_columns:
        columns += [f"{col}_mean", f"{col}_min", f"{col}_max"]
    for (dataset, method, k), group in groups.items():
        ok = [r for r in group if r["status"] == "ok"]
        statuses = sorted({r["status"] for r in group})
        row = {"dataset": dataset, "method": method, "label": group[0]["label"], "k": k,
               "n_ok": len(ok), "status": "; ".join(statuses)}
        for col in value_columns:
            vals = [r[col] for r in ok if r.get(col) is not None]
            if vals:
                row[f"{col}_mean"] = float(np.mean(vals))
                row[f"{col}_min"] = float(np.min(vals))
                row[f"{col}_max"] = float(np.max(vals))
        out.append(row)
    return out, columns


def _write_pivot(exp: Experiment, rows: list[dict], results_dir: Path, metric: str) -> Path:
    """``pivot_<metric>.csv``: one row per data set (and k), one column per method (the
    median of ``metric`` over repetitions; "-" when a cell gave none), plus the data set's
    known ``rank_plus`` where its loader states one — the layout of the book's tables."""
    methods = list(exp.methods)
    table: dict[tuple, dict] = {}
    meta: dict[tuple, dict] = {}
    for row in rows:
        entry = table.setdefault((row["dataset"], row["k"]), {})
        if row["status"] == "ok" and row.get(metric) is not None:
            entry.setdefault(row["method"], []).append(row[metric])
        if not meta.get((row["dataset"], row["k"])):  # the loader's meta, saved by ok cells
            record = _load_record(results_dir, row["key"]) or {}
            meta[(row["dataset"], row["k"])] = record.get("dataset_meta", {})
    out = []
    for (dataset, k), entry in table.items():
        known = meta[(dataset, k)]
        line = {"dataset": dataset, "k": k, "rank_plus": known.get("rank_plus"),
                "rank_plus_status": known.get("rank_plus_status")}
        for m in methods:
            vals = entry.get(m)
            med = float(np.median(vals)) if vals else None
            line[exp.label(m)] = ("-" if med is None else int(med) if med.is_integer()
                                  else round(med, 4))
        out.append(line)
    path = results_dir / f"pivot_{metric}.csv"
    _write_csv(path, out, ["dataset", "k", "rank_plus", "rank_plus_status"]
               + [exp.label(m) for m in methods])
    return path


def build_table(exp: Experiment, results_dir) -> tuple[list[dict], list[str]]:
    """One row per cell of the grid (finished cells only), with the metric columns."""
    results_dir = Path(results_dir)
    rows = []
    for cell in experiment_cells(exp):
        record = _load_record(results_dir, cell.key)
        if record is None:
            continue
        row = {key: record.get(key) for key in ("key", "dataset", "method", "label", "kind",
                                                "k", "rep", "status")}
        row.update(record.get("metrics", {}))
        rows.append(row)
    _add_time_to_target(exp, rows, results_dir)
    base = ["dataset", "method", "label", "kind", "k", "rep", "status"]
    extra = [c for c in (rows[0] if rows else {}) if c not in base and c != "key"]
    seen = set(extra)
    for row in rows[1:]:
        for c in row:
            if c not in base and c != "key" and c not in seen:
                extra.append(c)
                seen.add(c)
    return rows, base + extra + ["key"]


def run_experiment(exp: Experiment, results_root="results", figures_dir=None, *,
                   jobs: int = 1, force: bool = False, progress: bool = True) -> RunReport:
    """Run every missing cell of ``exp`` (all with ``force``), then write table and figures.

    Results go to ``results_root/<name>[-tiny]/``; figures to ``figures_dir`` (default
    ``paper_figures/`` for full runs and ``results_root/<name>-tiny/figures`` for tiny ones).
    """
    suffix = "-tiny" if exp.tiny else ""
    results_dir = Path(results_root) / f"{exp.name}{suffix}"
    if figures_dir is None:
        figures_dir = results_dir / "figures" if exp.tiny else Path("paper_figures")
    figures_dir = Path(figures_dir)
    cells = experiment_cells(exp)
    pending = [c for c in cells if force or _load_record(results_dir, c.key) is None]
    bar = _Progress(exp.name + suffix, len(pending), progress)
    if jobs == 1 or len(pending) <= 1:
        records = []
        for cell in pending:
            records.append(run_cell(cell, results_dir))
            bar.step(records[-1])
    else:
        from joblib import Parallel, delayed

        records = []
        for record in Parallel(n_jobs=jobs, return_as="generator_unordered")(
                delayed(run_cell)(cell, results_dir) for cell in pending):
            records.append(record)
            bar.step(record)
    failures = [r for r in records if r.get("status", "").startswith("failed")]
    skipped = sum(1 for r in records if r.get("status", "").startswith("skipped"))

    rows, columns = build_table(exp, results_dir)
    table_path = results_dir / "cells.csv"
    _write_csv(table_path, rows, columns)
    value_columns = [c for c in columns if c not in ("dataset", "method", "label", "kind",
                                                     "k", "rep", "status", "key")]
    summary_rows, summary_columns = _summarize(rows, value_columns)
    summary_path = results_dir / "summary.csv"
    _write_csv(summary_path, summary_rows, summary_columns)

    if "pivot" in exp.summary:
        _write_pivot(exp, rows, results_dir, exp.summary["pivot"])

    from .plots import draw_figure

    figure_paths = []
    for fig in exp.figures:
        path = figures_dir / f"{exp.name}_{fig['name']}.png"
        draw_figure(fig, exp, rows, results_dir, path)
        figure_paths.append(path)
    return RunReport(exp.name, table_path, summary_path, figure_paths,
                     ran=len(pending), cached=len(cells) - len(pending), skipped=skipped,
                     failures=failures)
