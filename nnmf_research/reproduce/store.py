"""The results store: the one owner of the file layout of an experiment's results.

    <results root>/<experiment>[-tiny]/
        cells/<key>.json      one finished cell: its record (written last: it marks the cell done)
        cells/<key>.npz       its arrays (W, H, trace_loss, trace_time)
        failures/<key>.json   a failed cell, with its error (retried by the next run)
        cells.csv  summary.csv  pivot_<metric>.csv
    <figures folder>/<experiment>_<figure>.png

The runner writes through it and the figures read through it; nothing else builds these
paths. Experiment and figure names are identifiers (letters, digits, underscores), and every
path is checked to stay under its root, so a config cannot write outside ``--results``.

Every record carries a SHA-256 of its own content and of its arrays file. A cached cell that
is truncated, garbage, hand-edited or whose arrays changed is *damaged*: it is discarded
with a :class:`DamagedCacheWarning` naming the reason, and the runner recomputes it.
Records written before the checksums (and under the older cell key that also hashed the
plot label and the metric list) are found through ``legacy_key`` and moved to the current
key once, so old results are reused, not recomputed.
"""

from __future__ import annotations

import hashlib
import io as _io
import json
import re
import warnings
from pathlib import Path

import numpy as np

from ..checks import NMFInputError
from ..io import atomic_write_bytes, json_text

__all__ = ["ResultStore", "DamagedCacheWarning", "check_name", "path_under"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
_KEY = re.compile(r"[0-9a-f]{16}")
_RECORD_KEYS = ("key", "dataset", "method", "k", "rep", "status")


class DamagedCacheWarning(UserWarning):
    """A cached file was unreadable or did not match its checksum; it is recomputed."""


def check_name(name, what: str) -> str:
    """``name`` if it is an identifier (it becomes part of a file name), else a named error."""
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise NMFInputError(
            f"{what} {name!r} is not a name: use letters, digits and underscores (starting "
            "with a letter or underscore, at most 100 characters); it becomes part of a "
            "file name")
    return name


def path_under(root, *parts) -> Path:
    """``root / parts...``, refusing any result that resolves outside ``root``."""
    root = Path(root)
    path = root.joinpath(*parts)
    base = root.resolve()
    target = path.resolve()
    if target != base and base not in target.parents:
        raise NMFInputError(f"{path} is outside {root}; refusing to write there")
    return path


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _record_digest(record: dict) -> str:
    body = {k: v for k, v in record.items() if k != "checksum"}
    return _digest(json.dumps(body, sort_keys=True, allow_nan=False).encode())


class ResultStore:
    """Paths and cached cells of one experiment run (``tiny`` runs live beside full ones)."""

    def __init__(self, results_root, experiment: str, tiny: bool = False):
        self.root = Path(results_root)
        self.experiment = check_name(experiment, "experiment name")
        self.dir = path_under(self.root, experiment + ("-tiny" if tiny else ""))
        self._verified: dict[str, dict] = {}

    # ------------------------------------------------------------------ paths

    def _cell(self, key: str, suffix: str, folder: str = "cells") -> Path:
        if not _KEY.fullmatch(key):
            raise NMFInputError(f"{key!r} is not a cell key")
        return self.dir / folder / f"{key}{suffix}"

    def table_path(self, filename: str) -> Path:
        """A table of this experiment (``cells.csv``, ``summary.csv``, ``pivot_<m>.csv``)."""
        return path_under(self.dir, filename)

    def figure_path(self, figures_dir, figure: str) -> Path:
        """Where figure ``figure`` of this experiment goes in ``figures_dir``."""
        check_name(figure, "figure name")
        return path_under(figures_dir, f"{self.experiment}_{figure}.png")

    # ------------------------------------------------------------------ reading

    def _discard(self, key: str, reason: str) -> None:
        warnings.warn(f"discarding the cached cell {key} of {self.dir.name} ({reason}); "
                      "it will be recomputed", DamagedCacheWarning, stacklevel=3)
        for path in (self._cell(key, ".json"), self._cell(key, ".npz")):
            path.unlink(missing_ok=True)
        self._verified.pop(key, None)

    def _read_record(self, key: str) -> tuple[dict | None, str]:
        path = self._cell(key, ".json")
        if not path.exists():
            return None, ""
        try:
            record = json.loads(path.read_bytes().decode("utf-8"))
        except (OSError, ValueError) as exc:
            return None, f"unreadable record: {type(exc).__name__}"
        if not isinstance(record, dict) or any(k not in record for k in _RECORD_KEYS):
            return None, "record is not a cell record"
        if record["key"] != key:
            return None, f"record names key {record['key']!r}"
        if not isinstance(record.get("metrics", {}), dict):
            return None, "record's metrics are not a table"
        return record, ""

    def _arrays_digest(self, key: str) -> str | None:
        path = self._cell(key, ".npz")
        return _digest(path.read_bytes()) if path.exists() else None

    def record(self, key: str, legacy_key: str | None = None) -> dict | None:
        """The finished cell's record, or None when it is missing or was damaged."""
        if key in self._verified:
            return self._verified[key]
        record, problem = self._read_record(key)
        if record is None and problem:
            self._discard(key, problem)
        if record is None:
            return self._migrate(legacy_key, key) if legacy_key else None
        if "checksum" not in record:
            problem = "record has no checksum"
        elif record["checksum"] != _record_digest(record):
            problem = "record does not match its checksum (edited by hand?)"
        elif record.get("arrays_sha256") != self._arrays_digest(key):
            problem = "arrays file missing or does not match its checksum"
        if problem:
            self._discard(key, problem)
            return None
        self._verified[key] = record
        return record

    def _migrate(self, legacy_key: str, key: str) -> dict | None:
        """A record saved under the pre-checksum key layout, moved to ``key``."""
        record, problem = self._read_record(legacy_key)
        if record is None:
            if problem:
                self._discard(legacy_key, problem)
            return None
        old_arrays = self._cell(legacy_key, ".npz")
        if record.get("status") == "ok" and not old_arrays.exists():
            self._discard(legacy_key, "arrays file missing")
            return None
        record = {**record, "key": key, "migrated_from": legacy_key}
        record.pop("checksum", None)
        if old_arrays.exists():
            old_arrays.replace(self._cell(key, ".npz"))
        record["arrays_sha256"] = self._arrays_digest(key)
        record["checksum"] = _record_digest(record)
        atomic_write_bytes(self._cell(key, ".json"), (json_text(record) + "\n").encode())
        self._cell(legacy_key, ".json").unlink(missing_ok=True)
        self._verified[key] = record
        return record

    def arrays(self, key: str) -> dict[str, np.ndarray]:
        """The saved arrays (W, H, trace_loss, trace_time) of a finished cell."""
        path = self._cell(key, ".npz")
        if not path.exists():
            return {}
        with np.load(path, allow_pickle=False) as z:
            return {name: z[name] for name in z.files}

    def image_shape(self, key: str):
        record = self.record(key) or {}
        shape = record.get("image_shape")
        return tuple(shape) if shape else None

    # ------------------------------------------------------------------ writing

    def save_cell(self, key: str, record: dict, arrays: dict[str, np.ndarray]) -> dict:
        """Save a finished cell: arrays, then the record (whose presence marks it done)."""
        record = {**record, "key": key}
        record.pop("checksum", None)
        if arrays:
            buf = _io.BytesIO()
            np.savez_compressed(buf, **arrays)
            data = buf.getvalue()
            atomic_write_bytes(self._cell(key, ".npz"), data)
            record["arrays_sha256"] = _digest(data)
        else:
            self._cell(key, ".npz").unlink(missing_ok=True)
            record["arrays_sha256"] = None
        record = json.loads(json_text(record))  # what is read back: strict JSON
        record["checksum"] = _record_digest(record)
        atomic_write_bytes(self._cell(key, ".json"), (json_text(record) + "\n").encode())
        self._cell(key, ".json", "failures").unlink(missing_ok=True)
        self._verified[key] = record
        return record

    def save_failure(self, key: str, record: dict) -> None:
        atomic_write_bytes(self._cell(key, ".json", "failures"),
                           (json_text(record) + "\n").encode())
