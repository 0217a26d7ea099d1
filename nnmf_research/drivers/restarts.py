"""Independent restarts of a randomized search: seeded, resumable, optionally parallel.

A restart is a function ``run(i)`` of its index alone; its randomness comes from the seed
sequence ``(seed, i)`` (:func:`restart_seed`), so restart i gives the same result whether it
runs first, last, alone or in a joblib worker, and the same seed gives the same search.

``run_restarts`` runs restarts 0, 1, ..., count − 1

* one after another (``n_jobs == 1``), stopping after the first one that ``accept`` s or once
  ``stop()`` says so (e.g. a time budget), or
* all of them in parallel through joblib (``n_jobs > 1``; joblib's backend may be switched to
  Dask or Ray by the caller, see README "Dependencies").

With a :class:`Checkpoint`, each finished restart is saved atomically as an ``.npz`` of its
record (a dict of arrays and numbers) and reloaded on a rerun instead of recomputed. The
checkpoint key must cover **everything that can change a restart's result** — the data, every
option, the time limit, the inner update and the polishing switch: :func:`fingerprint` hashes
them, and raises :class:`NotFingerprintable` (with the reason) for a value it cannot hash
faithfully, such as a CVXPY model whose constraints are code. The caller then runs without a
cache and says why (:func:`checkpoint_for`). A file that cannot be read back (truncated,
garbage, another key, missing fields) is discarded with a :class:`CheckpointWarning` and the
restart recomputed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io as _io
import warnings
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["restart_seed", "fingerprint", "NotFingerprintable", "Checkpoint",
           "CheckpointWarning", "checkpoint_for", "run_restarts"]

FORMAT = 2   # bump when a record's layout or the key's meaning changes


def restart_seed(seed, index: int) -> np.random.SeedSequence:
    """The seed sequence of restart ``index``: ``SeedSequence([*seed, index])`` (``seed`` an
    int or a tuple of ints), independent streams for distinct (seed, index)."""
    parts = list(seed) if isinstance(seed, (tuple, list)) else [seed]
    return np.random.SeedSequence([*(int(p) for p in parts), int(index)])


class NotFingerprintable(TypeError):
    """A value that cannot be hashed faithfully; ``str(error)`` is the reason."""


class CheckpointWarning(UserWarning):
    """A checkpoint was not used: disabled (with the reason) or a file was discarded."""


def _canonical(value, where: str):
    """A repr-able canonical form of ``value`` that determines it, or NotFingerprintable."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return ("float", value.hex())
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return _canonical(value.item(), where)
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise NotFingerprintable(f"{where} is an object array")
        a = np.ascontiguousarray(value)
        return ("ndarray", a.dtype.str, a.shape, hashlib.sha256(a.tobytes()).hexdigest())
    if isinstance(value, (tuple, list)):
        return (type(value).__name__,
                tuple(_canonical(v, f"{where}[{i}]") for i, v in enumerate(value)))
    if isinstance(value, dict):
        return ("dict", tuple((k, _canonical(value[k], f"{where}[{k!r}]"))
                              for k in sorted(value)))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        return (f"{cls.__module__}.{cls.__qualname__}",
                tuple((f.name, _canonical(getattr(value, f.name), f"{where}.{f.name}"))
                      for f in dataclasses.fields(value)))
    raise NotFingerprintable(f"{where} ({type(value).__module__}.{type(value).__qualname__}) "
                             "has no faithful fingerprint")


def fingerprint(**parts) -> str:
    """SHA-256 of the canonical form of every keyword (numbers exactly, arrays by dtype, shape
    and bytes, dataclasses by class and fields). Raises :class:`NotFingerprintable`."""
    canon = tuple((name, _canonical(parts[name], name)) for name in sorted(parts))
    return hashlib.sha256(repr((FORMAT, canon)).encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """Restart records under ``directory``, one file per (key, index).

    ``fields`` are the record's names; a file is used only if it holds all of them and its
    stored key equals ``key``.
    """

    directory: Path
    key: str
    fields: tuple[str, ...]

    def path(self, index: int) -> Path:
        digest = hashlib.sha256(f"{self.key}/{index}".encode()).hexdigest()[:16]
        return Path(self.directory) / f"restart-{digest}.npz"

    def load(self, index: int) -> dict | None:
        """The saved record of restart ``index``, or None (absent, or unreadable: warned)."""
        path = self.path(index)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                if str(z["key"]) != self.key:
                    raise ValueError("the file belongs to another key")
                return {name: z[name] for name in self.fields}
        except Exception as error:   # truncated zip, garbage, missing field, wrong key
            warnings.warn(CheckpointWarning(
                f"discarding unreadable restart file {path.name}: {error}; recomputing"),
                stacklevel=3)
            return None

    def save(self, index: int, record: dict) -> None:
        from ..io import atomic_write_bytes

        buf = _io.BytesIO()
        np.savez(buf, key=np.array(self.key), **{name: record[name] for name in self.fields})
        atomic_write_bytes(self.path(index), buf.getvalue())


def checkpoint_for(directory, fields: Sequence[str], **key) -> tuple[Checkpoint | None, str]:
    """A :class:`Checkpoint` keyed by ``key``, or (None, reason) when a part of the key cannot
    be fingerprinted — then a :class:`CheckpointWarning` states the reason."""
    if directory is None:
        return None, ""
    try:
        digest = fingerprint(**key)
    except NotFingerprintable as error:
        reason = f"checkpoint disabled: {error}"
        warnings.warn(CheckpointWarning(reason), stacklevel=3)
        return None, reason
    return Checkpoint(Path(directory), digest, tuple(fields)), ""


def _one(run: Callable[[int], Any], index: int, checkpoint: Checkpoint | None):
    if checkpoint is not None:
        record = checkpoint.load(index)
        if record is not None:
            return record
    record = run(index)
    if checkpoint is not None:
        checkpoint.save(index, record)
    return record


def run_restarts(run: Callable[[int], Any], count: int, *,
                 accept: Callable[[Any], bool] = lambda record: False,
                 stop: Callable[[Any], bool] = lambda record: False, n_jobs: int = 1,
                 checkpoint: Checkpoint | None = None) -> list:
    """Records of restarts 0, 1, ...: sequentially until one is accepted or ``stop(record)``
    (``n_jobs == 1``), else all ``count`` through joblib. See the module docstring."""
    if n_jobs == 1:
        records = []
        for index in range(count):
            records.append(_one(run, index, checkpoint))
            if accept(records[-1]) or stop(records[-1]):
                break
        return records
    from joblib import Parallel, delayed

    return list(Parallel(n_jobs=n_jobs)(delayed(_one)(run, index, checkpoint)
                                        for index in range(count)))
