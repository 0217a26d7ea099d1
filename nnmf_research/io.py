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

from .checks import (NMFInputError, check_allocation, check_densified_allocation, check_matrix,
                     check_sparse_matrix, check_sparse_structure)

__all__ = [
    "SUPPORTED_SUFFIXES",
    "read_matrix",
    "load_matrix",
    "save_matrix",
    "save_json",
    "atomic_write_bytes",
    "atomic_write_text",
    "json_text",
    "check_regular_file",
    "check_output_dir",
    "check_output_file",
    "output_dir",
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


def _npy_header(f, where: str, available: int) -> None:
    """Check an .npy header's declared array size against the memory limit and against the
    bytes that follow it, then rewind: nothing is allocated for a size the file cannot back."""
    start = f.tell()
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(f)
    elif version in ((2, 0), (3, 0)):
        shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    else:  # pragma: no cover - numpy's own reader names the version
        f.seek(start)
        return
    count = 1
    for dim in shape:
        count *= int(dim)
    nbytes = count * dtype.itemsize
    check_allocation(nbytes, f"{where} (declared shape {tuple(shape)}, dtype {dtype})")
    left = available - (f.tell() - start)
    if not dtype.hasobject and nbytes > left:
        raise ValueError(f"truncated: the header declares {nbytes} bytes of data "
                         f"(shape {tuple(shape)}, dtype {dtype}), the file holds {left}")
    f.seek(start)


def _read_npy(path: Path) -> np.ndarray:
    # read_array, not np.load: np.load would hand back an open NpzFile for a zip archive.
    with open(path, "rb") as f:
        _npy_header(f, str(path), os.fstat(f.fileno()).st_size)
        return np.lib.format.read_array(f, allow_pickle=False)


def _check_zip_members(path: Path) -> None:
    """Every member's declared inflated size and .npy header checked before inflating it
    (a small archive can otherwise inflate to gigabytes)."""
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        check_allocation(sum(i.file_size for i in infos), f"{path} (inflated archive)")
        for info in infos:
            if info.filename.endswith(".npy"):
                with archive.open(info) as member:
                    _npy_header(member, f"{path} member {info.filename!r}", info.file_size)


def _read_npz(path: Path):
    if not zipfile.is_zipfile(path):
        raise ValueError("not a zip archive (an .npz file is one)")
    _check_zip_members(path)
    with np.load(path, allow_pickle=False) as archive:
        names = list(archive.files)
        if "format" in names:
            S = sp.load_npz(path)
            check_sparse_structure(S, f"{path}")
            return sp.csr_matrix(S)
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
    rows, cols, entries, layout, field, _ = scipy.io.mminfo(path)
    # coordinate: (row, col, value) per entry, then the CSR row pointer
    declared = entries * 24 + (rows + 1) * 8 if layout == "coordinate" else rows * cols * 8
    check_allocation(declared,
                     f"{path} (declared {rows}×{cols} {layout}, {entries} entries)")
    if field not in ("real", "integer", "pattern", "complex"):
        raise ValueError(f"unsupported Matrix Market field {field!r}")
    A = scipy.io.mmread(path)
    return sp.csr_matrix(A) if sp.issparse(A) else np.asarray(A)


def _refuse_an_mtx_too_large_to_densify(path: Path, name: str) -> None:
    """A coordinate ``.mtx`` whose header declares a matrix too large to densify is refused
    from the header alone, before its CSR row pointer (O(rows) memory) is built."""
    try:
        rows, cols, _, layout, _, _ = scipy.io.mminfo(path)
    except (OSError, ValueError):
        return  # read_matrix reports an unreadable file with its own message
    if layout == "coordinate":
        try:
            check_densified_allocation((rows, cols), name)
        except NMFInputError as exc:
            raise NMFInputError(f"{path}: {exc}") from None


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
    check_regular_file(path)
    try:
        return _read(path, suffix)
    except FileNotFoundError:
        raise NMFInputError(f"file not found: {path}") from None
    except OSError as exc:
        raise NMFInputError(f"could not read {path}: {_one_line(exc)}") from None
    except MemoryError:
        raise NMFInputError(f"could not read {path}: out of memory") from None
    except NMFInputError:
        raise
    except _PARSE_ERRORS as exc:
        raise NMFInputError(
            f"could not parse {path} as {_FORMAT_NAMES[suffix]}: {_one_line(exc)}"
        ) from None


def check_regular_file(path, what: str = "file") -> Path:
    """``path`` if it is an existing regular file (symlinks followed); a FIFO, device or
    folder is refused by name, since reading one can block forever or never end."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise NMFInputError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise NMFInputError(f"could not read {path}: {_one_line(exc)}") from None
    if not stat.S_ISREG(mode):
        kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)"
                if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode)
                or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "not a regular file")
        raise NMFInputError(f"{path} is {kind}, not a regular file")
    return path


def load_matrix(path, name: str = "X", *, keep_sparse: bool = False) -> np.ndarray:
    """Read ``path`` and validate it with :func:`~nnmf_research.checks.check_matrix` (or, when
    ``keep_sparse`` and the file is sparse, :func:`~nnmf_research.checks.check_sparse_matrix`,
    which returns it as CSR without densifying).

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
    if not keep_sparse and _suffix(Path(path)) == ".mtx":
        _refuse_an_mtx_too_large_to_densify(Path(path), name)
    A = read_matrix(path)
    try:
        if keep_sparse and sp.issparse(A):
            return check_sparse_matrix(A, name)
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




def _finite_json(obj, path: str, nulls: dict):
    """``obj`` with every NaN / ±inf float replaced by None (recorded in ``nulls`` under its
    dotted path), NumPy scalars and arrays converted."""
    if isinstance(obj, dict):
        return {k: _finite_json(v, f"{path}.{k}" if path else str(k), nulls)
                for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_json(v, f"{path}.{i}", nulls) for i, v in enumerate(obj)]
    if isinstance(obj, np.ndarray):
        return _finite_json(obj.tolist(), path, nulls)
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        if not np.isfinite(value):
            nulls[path] = f"was {value!r} (not a JSON number)"
            return None
        return value
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def json_text(obj, *, why_null: dict | None = None) -> str:
    """``obj`` as strict, indented JSON (every parser reads it: no NaN or Infinity).

    A non-finite float becomes ``null``; the output then gets a ``"null_because"`` object
    mapping each such dotted path to the reason given in ``why_null`` (or "was nan").
    """
    nulls: dict = {}
    clean = _finite_json(obj, "", nulls)
    if nulls and isinstance(clean, dict):
        clean["null_because"] = {p: (why_null or {}).get(p, r) for p, r in nulls.items()}
    return json.dumps(clean, indent=2, allow_nan=False, default=_json_default)


def save_json(path, obj) -> None:
    """Write ``obj`` as indented strict JSON plus a newline, atomically (see
    :func:`json_text`).

    NumPy integers, floats, bools and arrays, and paths, are converted to JSON types.
    """
    atomic_write_text(path, json_text(obj) + "\n")


# ------------------------------------------------------------------ output folders


def _writable_ancestor(path: Path, what: str) -> None:
    """The nearest existing ancestor of ``path`` must be a writable folder."""
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise NMFInputError(f"{what} {path}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise NMFInputError(f"{what} {path}: the folder {parent} is not writable")


def check_output_dir(path, what: str = "--out", *, owned=None) -> Path:
    """Validate an output folder before any computation: not a file, creatable and writable;
    when it exists, it holds only files named in ``owned`` (so replacing it as a set
    never deletes anything else)."""
    path = Path(path)
    if path.exists() or path.is_symlink():
        if not path.is_dir():
            raise NMFInputError(f"{what} {path} exists and is not a folder")
        if not os.access(path, os.W_OK | os.X_OK):
            raise NMFInputError(f"{what} {path} is not writable")
        if owned is not None:
            foreign = sorted(p.name for p in path.iterdir() if p.name not in owned)
            if foreign:
                raise NMFInputError(
                    f"{what} {path} holds files this command does not write "
                    f"({', '.join(foreign[:5])}); it replaces the folder as a whole, so "
                    "choose a new or empty folder")
    _writable_ancestor(path, what)
    return path


def check_output_file(path, what: str = "--out") -> Path:
    """Validate an output file before any computation: not a folder, in a writable folder."""
    path = Path(path)
    if path.is_dir():
        raise NMFInputError(f"{what} {path} is a folder, not a file")
    if path.exists() and not os.access(path, os.W_OK):
        raise NMFInputError(f"{what} {path} is not writable")
    _writable_ancestor(path, what)
    return path


class output_dir:
    """Write a whole output folder as a set: files go to a temporary sibling, which replaces
    ``path`` only when the block finishes without error; on an error the old folder (if
    any) is left exactly as it was and the temporary one is removed.

    ``keep`` names entries of the old folder moved into the new one (e.g. a resume cache).

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> with output_dir(root / "run") as tmp:
    ...     save_json(tmp / "summary.json", {"ok": True})
    >>> sorted(p.name for p in (root / "run").iterdir())
    ['summary.json']
    """

    def __init__(self, path, keep=()):
        self.path = Path(path)
        self.keep = tuple(keep)

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(dir=self.path.parent, prefix=f".{self.path.name}.",
                                         suffix=".tmp"))
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> bool:
        import shutil

        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return False
        old, moved = None, []
        try:
            os.chmod(self.tmp, 0o777 & ~_process_umask())
            if self.path.exists():
                for name in self.keep:
                    if (self.path / name).exists() and not (self.tmp / name).exists():
                        os.replace(self.path / name, self.tmp / name)
                        moved.append(name)
                old = Path(tempfile.mkdtemp(dir=self.path.parent,
                                            prefix=f".{self.path.name}.", suffix=".old"))
                os.replace(self.path, old / self.path.name)
            os.replace(self.tmp, self.path)
        except BaseException:
            if old is not None and not self.path.exists():
                os.replace(old / self.path.name, self.path)
            for name in moved:
                if self.path.is_dir() and (self.tmp / name).exists():
                    os.replace(self.tmp / name, self.path / name)
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise
        finally:
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        return False
