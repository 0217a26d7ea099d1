"""Experiment configs: read a TOML file, validate every key before any cell runs.

Config keys (top level): name, title, paper, compares, repetitions, seed, k, init, metrics,
datasets, methods, figures, summary, notes, tiny. A data set may set its own ``ranks``
(list of k) in place of the global ``k``; its other keys are the loader's parameters. Unknown keys, data sets, method kinds,
method parameters, metrics and figure kinds are refused with the valid choices, before any
cell runs, and so are values of the wrong type, names that are not identifiers, a grid of
more than ``MAX_CELLS`` cells, and a k larger than a data set allows.
"""

from __future__ import annotations

import copy
import inspect
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..checks import NMFInputError, check_choice, check_positive_int
from ..datasets import DATASETS
from ..init import INIT_METHODS
from ..io import check_regular_file
from .cells import METHOD_KINDS, method_parameters
from .metrics import METRICS
from .store import check_name

__all__ = ["Experiment", "load_experiment", "list_experiments", "default_config_dir",
           "grid_size", "MAX_CELLS", "TOP_KEYS", "METHOD_META_KEYS", "SUMMARY_KEYS"]

MAX_CELLS = 100_000
"""The largest grid the runner builds (a typo such as ``repetitions = 100000000`` is refused
before anything is allocated)."""


def default_config_dir() -> Path:
    """Where the experiment configs are: ``experiments/`` of a source checkout (the files
    one edits), else the copies installed with the package (``nnmf_research/experiments``)."""
    here = Path(__file__).resolve().parent.parent  # the package folder
    checkout = here.parent / "experiments"
    if checkout.is_dir() and (here.parent / "pyproject.toml").is_file():
        return checkout
    return here / "experiments"

TOP_KEYS = ("name", "title", "paper", "compares", "repetitions", "seed", "k", "init",
            "metrics", "datasets", "methods", "figures", "summary", "notes", "tiny")
METHOD_META_KEYS = ("kind", "label")


SUMMARY_KEYS = ("time_to_target", "reference", "pivot", "partial_metrics")
"""``partial_metrics``: metrics that only some cells define (a clustering accuracy needs
labelled data, a hybrid's own numbers need a hybrid cell); empty elsewhere, by design."""



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

    def ranks(self, dataset: str) -> tuple[int, ...]:
        """The ks the grid runs on ``dataset``: its own ``ranks``, else the top-level ``k``."""
        return tuple(self.datasets[dataset].get("ranks", self.ks))

    def all_ranks(self) -> tuple[int, ...]:
        """Every k the grid runs on some data set, in order of first appearance."""
        return tuple(dict.fromkeys(k for d in self.datasets for k in self.ranks(d)))


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


_TOML_TYPES = {str: "a string", int: "an integer", list: "an array", dict: "a table"}


def _typed(value, expected: type, what: str, where: str):
    """``value`` if it has the TOML type ``expected`` (no bool for int), else a named error."""
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if not ok:
        raise NMFInputError(f"{where}: {what} must be {_TOML_TYPES[expected]}, got "
                            f"{type(value).__name__} {value!r}")
    return value


def _int_list(value, what: str, where: str) -> list[int]:
    items = value if isinstance(value, list) else [value]
    return [check_positive_int(_typed(v, int, what, where), f"{where}: {what}")
            for v in items]


def _loader_parameters(loader: str) -> list[str]:
    return list(inspect.signature(DATASETS[loader]).parameters)


def grid_size(datasets: dict, ks, repetitions: int, n_methods: int) -> int:
    """How many cells a config's grid has, counted without building it."""
    return sum(len(d.get("ranks", ks)) for d in datasets.values()) * repetitions * n_methods


def load_experiment(path, tiny: bool = False) -> Experiment:
    """Read and validate a config; with ``tiny`` its [tiny] table overrides the rest."""
    path = Path(path)
    try:
        check_regular_file(path, "experiment config")
        raw = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise NMFInputError(f"could not read experiment config {path}: not UTF-8 text "
                            f"(byte {exc.start})") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise NMFInputError(f"could not read experiment config {path}: {exc}") from None
    where = path.name
    _unknown("key", raw, TOP_KEYS, where)
    tiny_table = _typed(raw.pop("tiny", {}), dict, "[tiny]", where)
    if tiny:
        _unknown("key in [tiny]", tiny_table, TOP_KEYS, where)
        raw = _merge(raw, tiny_table)
    for key in ("name", "datasets", "methods"):
        if key not in raw:
            raise NMFInputError(f"{where}: missing required key {key!r}")
    for key in ("name", "title", "paper", "compares", "notes", "init"):
        if key in raw:
            _typed(raw[key], str, key, where)
    name = check_name(raw["name"], f"{where}: experiment name")
    for key in ("datasets", "methods", "summary"):
        _typed(raw.get(key, {}), dict, f"[{key}]", where)
    ks = tuple(_int_list(raw.get("k", []), "k", where)) or (1,)
    init = check_choice(raw.get("init", "random"), f"init in {where}", INIT_METHODS)
    seed = check_positive_int(_typed(raw.get("seed", 0), int, "seed", where),
                              f"{where}: seed", low=0)
    repetitions = check_positive_int(_typed(raw.get("repetitions", 1), int, "repetitions",
                                            where), f"{where}: repetitions")

    datasets = {}
    for dname, spec in raw["datasets"].items():
        here = f"{where} [datasets.{dname}]"
        check_name(dname, f"{where}: data set name")
        spec = dict(_typed(spec, dict, "a data set", here))
        loader = _typed(spec.pop("loader", dname), str, "loader", here)
        _unknown("dataset", [loader], list(DATASETS), here)
        ranks = spec.pop("ranks", None)
        _unknown(f"parameter for loader {loader!r}", spec, _loader_parameters(loader), here)
        entry = {"loader": loader, "params": spec}
        if ranks is not None:
            entry["ranks"] = _int_list(ranks, "ranks", here)
        datasets[dname] = entry

    method_specs = {}
    for mname, spec in raw["methods"].items():
        here = f"{where} [methods.{mname}]"
        check_name(mname, f"{where}: method name")
        spec = dict(_typed(spec, dict, "a method", here))
        kind = spec.get("kind")
        if kind is None:
            raise NMFInputError(f"{here}: missing 'kind'; valid: "
                                f"{', '.join(METHOD_KINDS)}")
        _unknown("method kind", [kind], list(METHOD_KINDS), here)
        if "label" in spec:
            _typed(spec["label"], str, "label", here)
        allowed = (*METHOD_META_KEYS, *method_parameters(kind))
        _unknown(f"parameter for kind {kind!r}", spec, allowed, here)
        method_specs[mname] = spec

    metric_names = raw.get("metrics", ["relative_error", "seconds"])
    for metric in _typed(metric_names, list, "metrics", where):
        _typed(metric, str, "a metric", where)
    metric_names = tuple(metric_names)
    _unknown("metric", metric_names, list(METRICS), where)
    summary = dict(raw.get("summary", {}))
    _unknown("summary key", summary, SUMMARY_KEYS, where)
    if "reference" in summary:
        _unknown("reference method", [summary["reference"]], list(method_specs), where)
    if "pivot" in summary:
        _unknown("pivot metric", [summary["pivot"]], list(metric_names), where)
    if "partial_metrics" in summary:
        _unknown("partial metric", summary["partial_metrics"], list(metric_names), where)
    cells = grid_size(datasets, ks, repetitions, len(method_specs))
    if cells > MAX_CELLS:
        raise NMFInputError(
            f"{where}: the grid has {cells} cells ({len(datasets)} data sets, k {list(ks)}, "
            f"{repetitions} repetitions, {len(method_specs)} methods); the runner builds at "
            f"most {MAX_CELLS}")

    from .figures import FIGURE_KINDS, check_figure  # late: figures imports matplotlib

    figures = tuple(_typed(raw.get("figures", []), list, "figures", where))
    for fig in figures:
        _typed(fig, dict, "a [[figures]] entry", where)
        _unknown("figure kind", [fig.get("kind")], list(FIGURE_KINDS), where)
        check_figure(fig, method_specs, datasets, where)
        check_name(fig["name"], f"{where}: figure name")
    return Experiment(
        name=name, title=raw.get("title", name),
        paper=raw.get("paper", ""), compares=raw.get("compares", ""),
        repetitions=repetitions, seed=seed, ks=ks, init=init, metrics=metric_names,
        datasets=datasets, methods=method_specs, figures=figures, summary=summary,
        notes=raw.get("notes", ""), tiny=tiny, path=path,
    )


def list_experiments(config_dir=None) -> dict[str, Path]:
    """Experiment name -> config path, for every ``*.toml`` in ``config_dir`` (default
    :func:`default_config_dir`)."""
    config_dir = Path(config_dir or default_config_dir())
    return {p.stem: p for p in sorted(config_dir.glob("*.toml"))}


