"""Read and write matrices; every write is atomic (temp file in the same folder, then rename).

Formats, by suffix (case-insensitive):

========  ================================================  ===========================
suffix    contents                                          read returns
========  ================================================  ===========================
.npy      a NumPy array (``allow_pickle=False``)            ndarray
.npz      a scipy.sparse matrix (``save_npz``) or one array CSR matrix / ndarray
.csv      comma-separated numbers, no header                ndarray (2-D)
.txt      whitespace-separated numbers (also .tsv, .dat)    ndarray (2-D)
.mtx      Matrix Market, coordinate or array                CSR matrix / ndarray
========  ================================================  ===========================

``read_matrix`` only reads; ``load_matrix`` reads and validates (non-negative, finite, 2-D)
in one call, prefixing any validation error with the file name. Every failure to read is a
:class:`~nnmf_research.checks.NMFInputError`: "file not found: PATH", "unsupported file
type ...", "could not read PATH: reason" (permissions and other I/O errors) or "could not
parse PATH as FORMAT: reason".

``save_matrix`` writes float64 text with 17 significant digits, so every format reads back
bit for bit, except that Matrix Market reads ``-0.0`` back as ``0.0`` (scipy's reader).
"""

from __future__ import annotations

import io as _io
import json
import os
import stat
import tempfile
import warnings
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
_TEXT_SUFFIXES = (".csv", ".txt", ".tsv", ".dat")
_FORMAT_NAMES = {".npy": "NumPy .npy", ".npz": "NumPy/scipy .npz", ".csv": "CSV",
                 ".txt": "whitespace-delimited text", ".tsv": "whitespace-delimited text",
                 ".dat": "whitespace-delimited text", ".mtx": "Matrix Market"}
# What the parsers raise on malformed input (UnicodeDecodeError is a ValueError;
# scipy's Matrix Market reader raises OverflowError for out-of-range integers).
_PARSE_ERRORS = (ValueError, EOFError, OverflowError, KeyError, IndexError, TypeError,
                 zipfile.BadZipFile)


# ---------------------------------------------------------------------------- reading


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise NMFInputError(
            f"unsupported file type {suffix or '(none)'!r} for {path}; supported: "
            f"{', '.join(SUPPORTED_SUFFIXES)}"
        )
    return suffix


def _read_npy(path: Path) -> np.ndarray:
    # read_array, not np.load: np.load would hand back an open NpzFile for a zip archive.
    with open(path, "rb") as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def _read_npz(path: Path):
    if not zipfile.is_zipfile(path):
        raise ValueError("not a zip archive (an .npz file is one)")
    with np.load(path, allow_pickle=False) as archive:
        names = list(archive.files)
        if "format" in names:
            return sp.csr_matrix(sp.load_npz(path))
        if len(names) != 1:
            raise ValueError(f"expected a scipy.sparse archive or exactly one array, found "
                             f"{len(names)} arrays {names}")
        A = archive[names[0]]
    if not isinstance(A, np.ndarray):
        raise ValueError(f"archive member {names[0]!r} is not a .npy array")
    return A


def _read_text(path: Path, delimiter: str | None) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # "input contained no data"
        try:
            return np.loadtxt(path, delimiter=delimiter, ndmin=2, dtype=np.float64)
        except UserWarning:
            raise ValueError("the file holds no numbers") from None


def _read_mtx(path: Path):
    A = scipy.io.mmread(path)
    return sp.csr_matrix(A) if sp.issparse(A) else np.asarray(A)


def _read(path: Path, suffix: str):
    if suffix == ".npy":
        return _read_npy(path)
    if suffix == ".npz":
        return _read_npz(path)
    if suffix == ".csv":
        return _read_text(path, ",")
    if suffix in _TEXT_SUFFIXES:
        return _read_text(path, None)
    return _read_mtx(path)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def read_matrix(path) -> np.ndarray | sp.csr_matrix:
    """Read a matrix file, choosing the format by suffix; no validation.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.npy``, ``.npz``, ``.csv``, ``.txt``, ``.tsv``, ``.dat`` or ``.mtx`` file.

    Returns
    -------
    numpy.ndarray or scipy.sparse.csr_matrix
        Sparse for sparse ``.npz`` archives and coordinate ``.mtx`` files; text files
        always give a 2-D float64 array.

    Raises
    ------
    NMFInputError
        Unsupported suffix, missing or unreadable file, or contents that do not parse.
    """
    path = Path(path)
    suffix = _suffix(path)
    if not path.is_file():
        raise NMFInputError(f"file not found: {path}")
    try:
        return _read(path, suffix)
    except FileNotFoundError:
        raise NMFInputError(f"file not found: {path}") from None
    except OSError as exc:
        raise NMFInputError(f"could not read {path}: {_one_line(exc)}") from None
    except _PARSE_ERRORS as exc:
        raise NMFInputError(
            f"could not parse {path} as {_FORMAT_NAMES[suffix]}: {_one_line(exc)}"
        ) from None


def load_matrix(path, name: str = "X") -> np.ndarray:
    """Read ``path`` and validate it with :func:`~nnmf_research.checks.check_matrix`.

    Parameters
    ----------
    path : str or os.PathLike
        Any file :func:`read_matrix` reads.
    name : str, default "X"
        The matrix's name in error messages.

    Returns
    -------
    numpy.ndarray
        A finite, non-negative, 2-D float64 array (sparse input is densified).

    Raises
    ------
    NMFInputError
        As :func:`read_matrix`, or a validation error prefixed with the path, e.g.
        ``"data.csv: X entry (0, 1) is negative: -1 ..."``.
    """
    A = read_matrix(path)
    try:
        return check_matrix(A, name)
    except NMFInputError as exc:
        raise NMFInputError(f"{path}: {exc}") from None


# ---------------------------------------------------------------------------- writing


def _process_umask() -> int:
    """The umask, read without changing it (Linux ``/proc``); ``0o077`` when unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o077


def _mode_for(path: Path) -> int:
    """An existing file's permissions, else what ``open(path, "w")`` would have given."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~_process_umask()


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never a part.

    The bytes go to a temp file in the same folder (created if missing), which is flushed,
    fsynced and renamed onto ``path``; on any error the temp file is removed and the error
    re-raised. The file gets the permissions a plain write would have given.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp",
                                      delete=False)
    try:
        with tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp.name, _mode_for(path))
        os.replace(tmp.name, path)
    except BaseException:
        try:
            os.unlink(tmp.name)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` to ``path`` as UTF-8, atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _dense(A) -> np.ndarray:
    return A.toarray() if sp.issparse(A) else np.asarray(A)


def _matrix_bytes(A, suffix: str) -> bytes:
    buf = _io.BytesIO()
    if suffix == ".npy":
        np.save(buf, _dense(A), allow_pickle=False)
    elif suffix == ".npz" and sp.issparse(A):
        sp.save_npz(buf, sp.csr_matrix(A))
    elif suffix == ".npz":
        np.savez(buf, X=np.asarray(A))
    elif suffix == ".mtx":
        scipy.io.mmwrite(buf, A, precision=17)
    else:
        delimiter = {".csv": ",", ".tsv": "\t"}.get(suffix, " ")
        np.savetxt(buf, np.atleast_2d(_dense(A)), delimiter=delimiter, fmt="%.17g")
    return buf.getvalue()


def save_matrix(path, A) -> None:
    """Write a dense or sparse matrix in the format named by the suffix of ``path``, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Suffix as for :func:`read_matrix`. Text formats are dense, 17 significant digits.
    A : array_like or scipy.sparse matrix
        The matrix. ``.npz`` and ``.mtx`` keep sparse input sparse.

    Raises
    ------
    NMFInputError
        Unsupported suffix.
    """
    path = Path(path)
    atomic_write_bytes(path, _matrix_bytes(A, _suffix(path)))


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
    """Write ``obj`` as indented JSON plus a newline, atomically.

    NumPy integers, floats, bools and arrays, and paths, are converted to JSON types.
    """
    text = json.dumps(obj, indent=2, sort_keys=False, default=_json_default)
    atomic_write_text(path, text + "\n")
