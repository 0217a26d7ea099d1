"""Read and write matrices; every write is atomic (temp file in the same folder, then rename).

Formats, by suffix (case-insensitive):

========  ================================================  ===========================
suffix    contents                                          read returns
========  ================================================  ===========================
.npy      a NumPy array (``allow_pickle=False``)            ndarray
.npz      a scipy.sparse matrix (``save_npz``) or one array CSR matrix / ndarray
.csv      comma-separated numbers, no header                ndarray
.txt      whitespace-separated numbers (also .tsv, .dat)    ndarray
.mtx      Matrix Market, coordinate or array                CSR matrix / ndarray
========  ================================================  ===========================

``read_matrix`` only reads; ``load_matrix`` reads and validates (non-negative, finite, 2-D)
in one call, prefixing any error with the file name. Parse failures raise
:class:`~nnmf_research.checks.NMFInputError` ("could not parse PATH as FORMAT: reason").
"""

from __future__ import annotations

import io as _io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import scipy.io
import scipy.sparse as sp

from .checks import NMFInputError, check_matrix

__all__ = [
    "SUPPORTED_SUFFIXES",
    "read_matrix",
    "load_matrix",
    "save_matrix",
    "save_json",
    "atomic_write_bytes",
    "atomic_write_text",
]

SUPPORTED_SUFFIXES = (".npy", ".npz", ".csv", ".txt", ".tsv", ".dat", ".mtx")
_FORMAT_NAMES = {".npy": "NumPy .npy", ".npz": "NumPy/scipy .npz", ".csv": "CSV",
                 ".txt": "whitespace-delimited text", ".tsv": "whitespace-delimited text",
                 ".dat": "whitespace-delimited text", ".mtx": "Matrix Market"}


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise NMFInputError(
            f"unsupported file type {suffix or '(none)'!r} for {path}; supported: "
            f"{', '.join(SUPPORTED_SUFFIXES)}"
        )
    return suffix


def _read_npz(path: Path):
    try:
        return sp.load_npz(path).tocsr()
    except (ValueError, KeyError):
        pass
    with np.load(path, allow_pickle=False) as archive:
        names = list(archive.files)
        if len(names) != 1:
            raise ValueError(f"expected a scipy.sparse archive or exactly one array, found "
                             f"{len(names)} arrays {names}")
        return archive[names[0]]


def _read(path: Path, suffix: str):
    if suffix == ".npy":
        return np.load(path, allow_pickle=False)
    if suffix == ".npz":
        return _read_npz(path)
    if suffix == ".csv":
        return np.loadtxt(path, delimiter=",", ndmin=2, dtype=float)
    if suffix in (".txt", ".tsv", ".dat"):
        return np.loadtxt(path, ndmin=2, dtype=float)
    A = scipy.io.mmread(path)
    return A.tocsr() if sp.issparse(A) else np.asarray(A)


def read_matrix(path) -> np.ndarray | sp.csr_matrix:
    """Read a matrix file by its suffix (table in the module docstring); no validation."""
    path = Path(path)
    suffix = _suffix(path)
    if not path.is_file():
        raise NMFInputError(f"file not found: {path}")
    try:
        return _read(path, suffix)
    except (ValueError, OSError, EOFError, UnicodeDecodeError, zipfile.BadZipFile,
            IndexError, TypeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise NMFInputError(
            f"could not parse {path} as {_FORMAT_NAMES[suffix]}: {reason}"
        ) from None


def load_matrix(path, name: str = "X") -> np.ndarray:
    """Read ``path`` and validate it as a non-negative, finite 2-D matrix (dense float64)."""
    A = read_matrix(path)
    try:
        return check_matrix(A, name)
    except NMFInputError as exc:
        raise NMFInputError(f"{path}: {exc}") from None


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same folder, fsync, rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp",
                                      delete=False)
    try:
        with tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp.name, path)
    except BaseException:
        try:
            os.unlink(tmp.name)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def save_matrix(path, A) -> None:
    """Write a matrix by the suffix of ``path``, atomically; float64 text is written with 17
    significant digits so it reads back bit for bit."""
    path = Path(path)
    suffix = _suffix(path)
    buf = _io.BytesIO()
    if suffix == ".npy":
        np.save(buf, np.asarray(A), allow_pickle=False)
    elif suffix == ".npz":
        if sp.issparse(A):
            sp.save_npz(buf, sp.csr_matrix(A))
        else:
            np.savez(buf, X=np.asarray(A))
    elif suffix == ".mtx":
        scipy.io.mmwrite(buf, A, precision=17)
    else:
        dense = A.toarray() if sp.issparse(A) else np.asarray(A)
        delimiter = "," if suffix == ".csv" else " "
        np.savetxt(buf, np.atleast_2d(dense), delimiter=delimiter, fmt="%.17g")
    atomic_write_bytes(path, buf.getvalue())


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def save_json(path, obj) -> None:
    """Write ``obj`` as indented JSON (NumPy scalars and arrays converted), atomically."""
    atomic_write_text(path, json.dumps(obj, indent=2, default=_json_default) + "\n")
