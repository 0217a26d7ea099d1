"""The one experiment runner: TOML config -> grid of cells -> cached results -> table -> figures.

A config (``experiments/<name>.toml``) names data sets × methods × inner dimensions k ×
repetitions, the metrics to record and the figures to draw; its ``[tiny]`` table overrides
any of these for a minutes-long run (the test suite runs every config at that size).

* A **cell** is (data set, method, k, repetition). Its key is a hash of what determines its
  computation (the data set's loader and parameters, the method's kind and parameters, k,
  the repetition, seed, init, the package version, and the names that identify the cell in
  the tables), so a changed parameter (or release) is a new cell and an unchanged one is
  never recomputed; a method's plot ``label`` and the ``metrics`` list are not in the key:
  metrics are computed from the saved arrays, so adding one reruns nothing. After editing
  the code itself, rerun with ``force=True``.
* Initial factors are shared: every method in a repetition starts from the same read-only
  (W₀, H₀) = ``initialize(X, k, init, seed)`` with a seed derived from (config seed, rep).
  Mixed-sign data have no NMF start (W₀ = H₀ = None); the kinds that take them (k-means,
  semi- and convex NMF) start from their own seeded k-means, the same for all of them.
* Each finished cell is saved atomically through :class:`~nnmf_research.reproduce.store.ResultStore`
  (arrays, then the checksummed JSON record that marks it done); a crash or Ctrl-C loses
  only the cells in flight and a rerun resumes (``force=True`` recomputes). A cell that
  Ctrl-C interrupted is not done, even when the method inside returned its last iterate:
  nothing of it is saved and ``KeyboardInterrupt`` propagates. A damaged cached cell is
  discarded with a warning and recomputed. A failing cell is recorded under
  ``failures/`` with its error and retried next time; it is never cached as a result. A
  method that cannot run (a missing peer library) skips its cell with the reason.
* Cells run in parallel through joblib (``jobs``), whose backend can be pointed at a Dask or
  Ray cluster (``joblib.parallel_config(backend=...)``) without code changes.
* The table (``results/<experiment>/cells.csv``, one row per cell, and ``summary.csv``, mean /
  min / max over repetitions) and the figures are built from saved cells only.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import sys
import time
import traceback
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .. import __version__
from ..checks import NMFInputError, check_positive_int
from ..io import atomic_write_bytes
from ..datasets import load_dataset
from ..datasets.dataset import DatasetUnavailableError
from ..init import initialize
from ..interrupts import InterruptGuard, mentions_interrupt
from ..status import Kind
from . import cells as cell_kinds
from .config import METHOD_META_KEYS, Experiment
from .metrics import FACTOR_FREE_METRICS, METRICS, first_time_at_or_below
from .store import ResultStore

__all__ = ["Cell", "experiment_cells", "run_cell", "cell_outcome", "run_experiment", "build_table"]


@dataclass(frozen=True)
class Cell:
    key: str
    dataset: str
    method: str
    k: int
    rep: int
    spec: dict = field(repr=False)


def _key(spec: dict) -> str:
    blob = json.dumps(spec, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _legacy_key(exp: Experiment, dname: str, mname: str, k: int, rep: int) -> str:
    """The key cells had before it stopped hashing ``label`` and ``metrics`` (results saved
    then are found under it and moved to the current key by the store)."""
    return _key({"experiment": exp.name, "version": __version__,
                 "dataset": {"name": dname, **exp.datasets[dname]},
                 "method": {"name": mname, **exp.methods[mname]}, "k": k, "rep": rep,
                 "seed": exp.seed, "init": exp.init, "metrics": list(exp.metrics)})


def experiment_cells(exp: Experiment) -> list[Cell]:
    """The grid: data set × method × k × repetition, each keyed by what determines it."""
    cells = []
    for dname, dspec in exp.datasets.items():
        data = {"name": dname, "loader": dspec["loader"], "params": dspec["params"]}
        for k in exp.ranks(dname):
            for rep in range(exp.repetitions):
                for mname, mspec in exp.methods.items():
                    method = {"name": mname,
                              **{p: v for p, v in mspec.items() if p != "label"}}
                    spec = {"experiment": exp.name, "version": __version__,
                            "dataset": data, "method": method, "k": k, "rep": rep,
                            "seed": exp.seed, "init": exp.init}
                    legacy = _legacy_key(exp, dname, mname, k, rep)
                    cells.append(Cell(_key(spec), dname, mname, k, rep,
                                      {**spec, "metrics": list(exp.metrics),
                                       "legacy_key": legacy}))
    return cells


@lru_cache(maxsize=8)
def _dataset(loader: str, params_json: str):
    return load_dataset(loader, **json.loads(params_json))


def _shared_start(X, k, init, seed, rep):
    negative = (X.data < 0) if sp.issparse(X) else (X < 0)
    if negative.any():  # mixed-sign data (semi/convex NMF, k-means) have no NMF start
        return None, None
    gen_seed = np.random.SeedSequence([seed, rep]).generate_state(1)[0]
    W0, H0 = initialize(X, k, method=init, random_state=int(gen_seed))
    W0.setflags(write=False)
    H0.setflags(write=False)
    return W0, H0


def _finite_or_none(value):
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def _metric_values(names, ctx) -> dict:
    """The named metrics of one cell from its context (X, W, H, parts, out, meta: the
    loader's meta, e.g. true labels or planted anchors)."""
    values = {}
    for name in names:
        needs_factors = name not in FACTOR_FREE_METRICS
        values[name] = (None if needs_factors and ctx["W"] is None
                        else _finite_or_none(METRICS[name](ctx)))
    return values


_OUTPUT_SCALARS = ("build_s", "first_solve_s", "resolve_s", "success", "value", "bound",
                   "certified", "nmf_alone", "plsi_alone", "optima_gap", "factor_distance",
                   "improvements", "hybrid_not_worse")


def _interrupted(out: cell_kinds.MethodOutput) -> bool:
    return mentions_interrupt(out.extra.get("stop_reason", ""))


def cell_outcome(record: dict) -> Kind:
    """A cell record's outcome as data: ``Kind.OK``, ``Kind.SKIPPED`` or ``Kind.FAILED``.

    Records carry it as ``outcome``; records saved before that field existed are read by the
    prefix of the ``status`` text the runner wrote then ("ok", "skipped: ...", "failed: ...").
    """
    if "outcome" in record:
        return Kind(record["outcome"])
    status = record.get("status", "")
    return (Kind.OK if status == "ok" else Kind.SKIPPED if status.startswith("skipped")
            else Kind.FAILED)


def run_cell(cell: Cell, store: ResultStore) -> dict:
    """Run one cell and save it; returns its record. Failures are saved under failures/;
    an interrupted cell is not saved at all (``KeyboardInterrupt`` propagates)."""
    spec = cell.spec
    dspec, mspec = spec["dataset"], spec["method"]
    record = {"key": cell.key, "experiment": spec["experiment"], "dataset": cell.dataset,
              "method": cell.method, "kind": mspec["kind"], "k": cell.k, "rep": cell.rep,
              "dataset_params": dspec["params"]}
    with InterruptGuard() as guard:
        try:
            try:
                data = _dataset(dspec["loader"], json.dumps(dspec["params"], sort_keys=True))
            except DatasetUnavailableError as missing:   # an optional package not installed
                record.update(status=f"skipped: {missing}", outcome=Kind.SKIPPED.value,
                              metrics={})
                return store.save_cell(cell.key, record, {})
            X = data.X
            W0, H0 = _shared_start(X, cell.k, spec["init"], spec["seed"], cell.rep)
            rng = np.random.default_rng([spec["seed"], cell.rep, 1])
            params = {p: v for p, v in mspec.items() if p not in (*METHOD_META_KEYS, "name")}
            try:
                out = cell_kinds.run_method(mspec["kind"], X, cell.k, W0, H0, rng, params,
                                            meta=data.meta)
            except cell_kinds.SkipCell as skip:
                if guard.hit:
                    raise KeyboardInterrupt from None
                record.update(status=f"skipped: {skip}", outcome=Kind.SKIPPED.value, metrics={})
                return store.save_cell(cell.key, record, {})
            if guard.hit or _interrupted(out):
                raise KeyboardInterrupt  # a partial result is not a finished cell
            ctx = {"X": X, "W": out.W, "H": out.H, "parts": data.parts, "out": out,
                   "meta": data.meta}
            record.update(
                status="ok", outcome=Kind.OK.value,
                metrics=_metric_values(spec["metrics"], ctx),
                image_shape=data.image_shape, stop_reason=out.extra.get("stop_reason", ""),
                loss_name=out.loss_name,
                outputs={"seconds": _finite_or_none(out.seconds), "n_iter": out.n_iter,
                         **{k: _finite_or_none(out.extra.get(k)) for k in _OUTPUT_SCALARS
                            if out.extra.get(k) is not None}},
                dataset_meta={key: value for key, value in data.meta.items()
                              if value is None or isinstance(value, (int, float, str))},
                method_status=str(out.extra.get("status", "")))
            arrays = {name: np.asarray(getattr(out, name))
                      for name in ("W", "H", "trace_loss", "trace_time")
                      if getattr(out, name) is not None}
            arrays.update({name: np.asarray(value) for name, value in out.extra.items()
                           if name.startswith("trace_")})   # further traces of a kind
            return store.save_cell(cell.key, record, arrays)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # recorded, not cached: the next run retries this cell
            if guard.hit:  # e.g. a solver reporting "interrupted" as an error
                raise KeyboardInterrupt from None
            record.update(status=f"failed: {type(exc).__name__}: {exc}", outcome=Kind.FAILED.value,
                          traceback=traceback.format_exc())
            store.save_failure(cell.key, record)
            return record


def _saved_output(record: dict, arrays: dict) -> cell_kinds.MethodOutput:
    """The method's output as far as a saved cell holds it (for metrics added later)."""
    saved = record.get("outputs", {})
    return cell_kinds.MethodOutput(
        arrays.get("W"), arrays.get("H"), record.get("loss_name", "frobenius"),
        saved.get("seconds", float("nan")), saved.get("n_iter"), arrays.get("trace_loss"),
        arrays.get("trace_time"), {k: saved[k] for k in _OUTPUT_SCALARS if k in saved})


def _cell_metrics(exp: Experiment, store: ResultStore, record: dict) -> dict:
    """The config's metrics of a saved cell: those recorded when it ran, the others computed
    now from its saved arrays (so adding a metric reruns no cell)."""
    values = dict(record.get("metrics", {}))
    missing = [m for m in exp.metrics if m not in values]
    if missing and record.get("status") == "ok":
        arrays = store.arrays(record["key"])
        spec = exp.datasets[record["dataset"]]
        data = _dataset(spec["loader"], json.dumps(spec["params"], sort_keys=True))
        ctx = {"X": data.X, "W": arrays.get("W"), "H": arrays.get("H"), "parts": data.parts,
               "out": _saved_output(record, arrays), "meta": data.meta}
        values.update(_metric_values(missing, ctx))
    return {m: values.get(m) for m in exp.metrics}


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
    return first_time_at_or_below(trace_loss, trace_time, target)


def _add_time_to_target(exp: Experiment, rows: list[dict], store: ResultStore) -> None:
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
        traces = {row["key"]: store.arrays(row["key"]) for row in group}
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
        columns += [f"{col}_mean", f"{col}_median", f"{col}_min", f"{col}_max"]
    for (dataset, method, k), group in groups.items():
        ok = [r for r in group if r["status"] == "ok"]
        statuses = sorted({r["status"] for r in group})
        row = {"dataset": dataset, "method": method, "label": group[0]["label"], "k": k,
               "n_ok": len(ok), "status": "; ".join(statuses)}
        for col in value_columns:
            vals = [r[col] for r in ok if r.get(col) is not None]
            if vals:
                row[f"{col}_mean"] = float(np.mean(vals))
                row[f"{col}_median"] = float(np.median(vals))
                row[f"{col}_min"] = float(np.min(vals))
                row[f"{col}_max"] = float(np.max(vals))
        out.append(row)
    return out, columns


def _write_pivot(exp: Experiment, rows: list[dict], store: ResultStore, metric: str) -> Path:
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
            record = store.record(row["key"]) or {}
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
    path = store.table_path(f"pivot_{metric}.csv")
    _write_csv(path, out, ["dataset", "k", "rank_plus", "rank_plus_status"]
               + [exp.label(m) for m in methods])
    return path


def build_table(exp: Experiment, store: ResultStore) -> tuple[list[dict], list[str]]:
    """One row per cell of the grid (finished cells only), with the metric columns."""
    rows = []
    for cell in experiment_cells(exp):
        record = store.record(cell.key, cell.spec["legacy_key"])
        if record is None:
            continue
        row = {key: record.get(key) for key in ("key", "dataset", "method", "kind", "k",
                                                "rep", "status")}
        row["label"] = exp.label(cell.method)
        row.update(_cell_metrics(exp, store, record))
        rows.append(row)
    _add_time_to_target(exp, rows, store)
    base = ["dataset", "method", "label", "kind", "k", "rep", "status"]
    extra = [c for c in (rows[0] if rows else {}) if c not in base and c != "key"]
    seen = set(extra)
    for row in rows[1:]:
        for c in row:
            if c not in base and c != "key" and c not in seen:
                extra.append(c)
                seen.add(c)
    return rows, base + extra + ["key"]


def _check_ranks(exp: Experiment, cells: list[Cell]) -> None:
    """Refuse, before any cell runs, a k that a data set of the pending cells cannot have
    (it was once capped silently while the tables still showed the k asked for)."""
    for dname in dict.fromkeys(c.dataset for c in cells):
        spec = exp.datasets[dname]
        try:
            X = _dataset(spec["loader"], json.dumps(spec["params"], sort_keys=True)).X
        except DatasetUnavailableError:
            continue                        # its cells are skipped with the reason
        for k in dict.fromkeys(c.k for c in cells if c.dataset == dname):
            if k > min(X.shape):
                raise NMFInputError(
                    f"{exp.path.name if exp.path else exp.name}: k={k} is out of range "
                    f"[1, {min(X.shape)}] for data set {dname!r} ({X.shape[0]}×{X.shape[1]})")


def run_experiment(exp: Experiment, results_root="results", figures_dir=None, *,
                   jobs: int = 1, force: bool = False, progress: bool = True) -> RunReport:
    """Run every missing cell of ``exp`` (all with ``force``), then write table and figures.

    Results go to ``results_root/<name>[-tiny]/``; figures to ``figures_dir`` (default
    ``paper_figures/`` for full runs and ``results_root/<name>-tiny/figures`` for tiny ones).
    Ctrl-C stops the run with ``KeyboardInterrupt`` after the cells that finished are saved.
    """
    store = ResultStore(results_root, exp.name, exp.tiny)
    if figures_dir is None:
        figures_dir = store.dir / "figures" if exp.tiny else Path("paper_figures")
    figures_dir = Path(figures_dir)
    jobs = check_positive_int(jobs, "jobs")
    cells = experiment_cells(exp)
    pending = [c for c in cells
               if force or store.record(c.key, c.spec["legacy_key"]) is None]
    _check_ranks(exp, pending)
    bar = _Progress(store.dir.name, len(pending), progress)
    if jobs == 1 or len(pending) <= 1:
        records = []
        for cell in pending:
            records.append(run_cell(cell, store))
            bar.step(records[-1])
    else:
        from joblib import Parallel, delayed

        records = []
        for record in Parallel(n_jobs=jobs, return_as="generator_unordered")(
                delayed(run_cell)(cell, store) for cell in pending):
            records.append(record)
            bar.step(record)
    failures = [r for r in records if cell_outcome(r) is Kind.FAILED]
    skipped = sum(1 for r in records if cell_outcome(r) is Kind.SKIPPED)

    store = ResultStore(results_root, exp.name, exp.tiny)  # what the workers saved
    rows, columns = build_table(exp, store)
    table_path = store.table_path("cells.csv")
    _write_csv(table_path, rows, columns)
    value_columns = [c for c in columns if c not in ("dataset", "method", "label", "kind",
                                                     "k", "rep", "status", "key")]
    summary_rows, summary_columns = _summarize(rows, value_columns)
    summary_path = store.table_path("summary.csv")
    _write_csv(summary_path, summary_rows, summary_columns)

    if "pivot" in exp.summary:
        _write_pivot(exp, rows, store, exp.summary["pivot"])

    from .figures import draw_figure

    figure_paths = []
    for fig in exp.figures:
        path = store.figure_path(figures_dir, fig["name"])
        draw_figure(fig, exp, rows, store, path)
        figure_paths.append(path)
    return RunReport(exp.name, table_path, summary_path, figure_paths,
                     ran=len(pending), cached=len(cells) - len(pending), skipped=skipped,
                     failures=failures)
