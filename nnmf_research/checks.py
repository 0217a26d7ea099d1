"""Input validation shared by every layer.

Every check raises an error whose message names the problem (which entry, which value,
which valid range or choices), so a researcher can fix the input without reading code.
The wording is pinned by ``tests/test_checks.py``.

Errors
------
NMFInputError      bad data, shape, rank or option (a ``ValueError``)
SolverUnavailableError
                   a solver CVXPY does not have installed
SolverFailedError  a solver that returned no usable answer (infeasible, unbounded, time limit, error)
ModelNotDPPError   a CVXPY model that is not DCP/DPP, refused at build time
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Iterable

import numpy as np
import scipy.sparse as sp

__all__ = [
    "NMFInputError",
    "SolverUnavailableError",
    "SolverFailedError",
    "ModelNotDPPError",
    "check_matrix",
    "check_observed",
    "check_observed_sparse",
    "check_sparse_structure",
    "check_sparse_matrix",
    "check_rank",
    "check_choice",
    "check_factor",
    "check_initial_factor",
    "check_positive_int",
    "check_nonnegative_real",
    "check_solver",
    "check_random_state",
    "memory_limit",
    "check_allocation",
]


class NMFInputError(ValueError):
    """Bad data or options given to the toolkit."""


class SolverUnavailableError(NMFInputError):
    """A solver was named that CVXPY does not have installed."""


class SolverFailedError(RuntimeError):
    """A solver ran but returned no usable solution (status is in the message)."""


class ModelNotDPPError(NMFInputError):
    """A CVXPY model that is not disciplined-parametrized (so it cannot compile once)."""


MEMORY_LIMIT_ENV = "NNMF_MAX_BYTES"
"""Environment variable: the largest array (in bytes) the toolkit allocates from a file or
densifies; default half the memory the system reports available (4 GiB when unknown)."""


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def memory_limit() -> int:
    """The largest single array, in bytes, the toolkit builds from input (see
    ``MEMORY_LIMIT_ENV``)."""
    import os

    text = os.environ.get(MEMORY_LIMIT_ENV)
    if text:
        try:
            return int(float(text))
        except ValueError:
            raise NMFInputError(f"{MEMORY_LIMIT_ENV}={text!r} must be a number of bytes") \
                from None
    available = _available_memory()
    return available // 2 if available else 4 * 2**30


def _human_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} EB"  # pragma: no cover


def check_allocation(nbytes: int, what: str) -> None:
    """Refuse to build ``what`` when it needs more than :func:`memory_limit` bytes."""
    limit = memory_limit()
    if nbytes > limit:
        raise NMFInputError(
            f"{what} needs {_human_bytes(nbytes)}, more than the memory limit of "
            f"{_human_bytes(limit)} (half the available memory; set {MEMORY_LIMIT_ENV} "
            "to change it)")


def check_densified_allocation(shape: tuple[int, int], name: str) -> None:
    """Refuse to densify a sparse ``name`` of this shape when the float64 array would exceed
    :func:`memory_limit` (checked before any O(rows) structure is built)."""
    rows, cols = shape
    check_allocation(8 * rows * cols, f"{name} ({rows}×{cols} sparse, densified as float64)")


_DTYPE_KINDS = {"U": "strings", "S": "bytes", "M": "datetimes", "m": "time deltas",
                "V": "raw records", "O": "Python objects"}


def _numeric_array(X, name: str) -> np.ndarray:
    """``X`` as a float64 array, refusing strings, bytes, datetimes and other non-numbers by
    name instead of parsing or casting them."""
    A = X if isinstance(X, np.ndarray) else np.asarray(X)
    kind = A.dtype.kind
    if kind == "O":
        flat = A.ravel()
        bad = next((v for v in flat if isinstance(v, (str, bytes))
                    or not isinstance(v, (Real, np.number))), None) if flat.size else None
        if bad is not None:
            raise NMFInputError(f"{name} is not a numeric matrix: it holds "
                                f"{type(bad).__name__} values such as {bad!r}")
    elif kind in _DTYPE_KINDS:
        raise NMFInputError(f"{name} is not a numeric matrix: its dtype {A.dtype} holds "
                            f"{_DTYPE_KINDS[kind]}")
    return np.asarray(A, dtype=np.float64)


_NEGATIVE = "Negative values in data passed to"
"""scikit-learn's phrase for negative input, which its checks look for."""


def _first_index(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def check_matrix(X, name: str = "X", *, allow_zero: bool = True,
                 finite_norm: bool = False) -> np.ndarray:
    """Return ``X`` as a finite, non-negative, 2-D float64 array, or raise naming the problem.

    ``finite_norm=True`` (the approximate-NMF entries, whose losses use ‖X‖²_F) also refuses
    data whose squared norm overflows float64, with a rescaling hint; the rank bounds accept
    any finite values (they balance first).

    Accepts array-likes and ``scipy.sparse`` matrices (densified: the toolkit's targets are
    matrices that fit in memory). Rejects 1-D or >2-D input, empty matrices, NaN/inf and
    negative entries; the message names the first offending entry and its value.
    """
    if sp.issparse(X):
        check_densified_allocation(X.shape, name)
        check_sparse_structure(X, name)
        X = X.toarray()
    if np.iscomplexobj(X):
        raise NMFInputError(f"{name} has complex entries; NMF needs real non-negative data")
    try:
        A = _numeric_array(X, name)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, NMFInputError):
            raise
        raise NMFInputError(f"{name} is not a numeric matrix: {exc}") from None
    if A.ndim != 2:
        raise NMFInputError(
            f"{name} must be a 2-D matrix, got a {A.ndim}-D array of shape {A.shape}"
        )
    if A.size == 0:
        raise NMFInputError(f"{name} is empty (shape {A.shape})")
    finite = np.isfinite(A)
    if not finite.all():
        idx = _first_index(~finite)
        raise NMFInputError(f"{name} entry {idx} is not finite: {A[idx]}")
    negative = A < 0
    if negative.any():
        idx = _first_index(negative)
        raise NMFInputError(
            f"{name} entry {idx} is negative: {A[idx]:.6g} "
            f"({int(negative.sum())} negative entries in all). {_NEGATIVE} {name} are refused"
        )
    if not allow_zero and not A.any():
        raise NMFInputError(f"{name} is all zeros")
    with np.errstate(over="ignore"):
        overflows = finite_norm and not np.isfinite(np.vdot(A, A))
    if overflows:
        raise NMFInputError(
            f"{name} overflows float64: its squared norm is not finite (largest entry "
            f"{A.max():.3g}); rescale it, e.g. divide by its largest entry")
    return A


def check_observed(X, mask=None, name: str = "X") -> tuple[np.ndarray, np.ndarray | None]:
    """X with missing entries: returns (X with 0 where missing, the 0/1 float mask), or
    (X, None) when every entry is observed.

    Missing entries are NaN in X, or the zeros of ``mask`` (1 = observed; same shape as X,
    entries 0/1 only). The observed entries must be finite and non-negative; every row and
    every column needs at least one observed entry (the message names the first that has
    none, and the fix).
    """
    if sp.issparse(X):
        X = X.toarray()
    A = np.array(X, dtype=float) if not isinstance(X, np.ndarray) else X.astype(float)
    if A.ndim != 2 or A.size == 0:
        return check_matrix(A, name), None        # the shape errors, named
    missing = np.isnan(A)
    if mask is not None:
        M = np.asarray(mask.toarray() if sp.issparse(mask) else mask)
        if M.shape != A.shape:
            raise NMFInputError(f"mask has shape {M.shape}, expected {A.shape} (the shape of "
                                f"{name})")
        if M.dtype == bool:
            M = M.astype(float)
        bad = ~np.isin(M, (0, 1))
        if bad.any():
            idx = _first_index(bad)
            raise NMFInputError(f"mask entry {idx} is {M[idx]!r}; a mask holds 1 (observed) "
                                "and 0 (missing) only")
        missing |= M == 0
    if not missing.any():
        return check_matrix(A, name, finite_norm=True), None
    filled = np.where(missing, 0.0, A)
    check_matrix(filled, name, finite_norm=True)  # the observed entries: finite, >= 0
    for axis, what in ((1, "row"), (0, "column")):
        empty = np.flatnonzero(missing.all(axis=axis))
        if empty.size:
            raise NMFInputError(
                f"{name} {what} {empty[0]} has no observed entry ({empty.size} such "
                f"{what}s): nothing can be fitted there; drop it or observe one of its entries")
    return filled, (~missing).astype(float)


def check_observed_sparse(X, mask, name: str = "X") -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """A scipy.sparse X with a scipy.sparse ``mask``, kept sparse: returns (X_Ω, M), both
    canonical CSR on the observed set Ω (the stored non-zeros of ``mask``, minus the entries
    X stores as NaN): M holds 1 on Ω, X_Ω holds X's values there, its observed zeros stored
    explicitly. Memory O(|Ω| + nnz(X)); nothing of size m×n is formed.

    The checks are :func:`check_observed`'s — a mask of X's shape holding 0/1 only, observed
    entries finite and non-negative (only Ω is read), every row and column with an observed
    entry — with the same messages."""
    check_sparse_structure(X, name)
    check_sparse_structure(mask, "mask")
    if X.dtype.kind == "c":
        raise NMFInputError(f"{name} has complex entries; NMF needs real non-negative data")
    if X.ndim != 2 or 0 in X.shape:
        raise NMFInputError(f"{name} is empty (shape {X.shape})")
    if mask.shape != X.shape:
        raise NMFInputError(f"mask has shape {mask.shape}, expected {X.shape} (the shape of "
                            f"{name})")
    m, n = X.shape
    M = sp.csr_matrix(mask, dtype=np.float64, copy=True)
    M.sum_duplicates()
    M.sort_indices()
    bad = ~np.isin(M.data, (0, 1))
    if bad.any():
        t = int(np.argmax(bad))
        row = int(np.searchsorted(M.indptr, t, side="right") - 1)
        raise NMFInputError(f"mask entry {(row, int(M.indices[t]))} is {float(M.data[t])!r}; "
                            "a mask holds 1 (observed) and 0 (missing) only")
    M.eliminate_zeros()
    rows = np.repeat(np.arange(m), np.diff(M.indptr))
    cols = M.indices
    from .sparse_support import values_at

    A = sp.csr_matrix(X, dtype=np.float64, copy=True)
    A.sum_duplicates()
    values = values_at(A, rows, cols)
    keep = ~np.isnan(values)                          # a stored NaN is missing too
    rows, cols, values = rows[keep], cols[keep], values[keep]
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        t = int(np.argmax(bad))
        idx, value = (int(rows[t]), int(cols[t])), values[t]
        if not np.isfinite(value):
            raise NMFInputError(f"{name} entry {idx} is not finite: {value}")
        raise NMFInputError(f"{name} entry {idx} is negative: {value:.6g} "
                            f"({int((values < 0).sum())} negative entries in all). "
                            f"{_NEGATIVE} {name} are refused")
    for counts, what in ((np.bincount(rows, minlength=m), "row"),
                         (np.bincount(cols, minlength=n), "column")):
        empty = np.flatnonzero(counts == 0)
        if empty.size:
            raise NMFInputError(
                f"{name} {what} {empty[0]} has no observed entry ({empty.size} such "
                f"{what}s): nothing can be fitted there; drop it or observe one of its entries")
    with np.errstate(over="ignore"):
        if not np.isfinite(np.dot(values, values)):
            raise NMFInputError(
                f"{name} overflows float64: its squared norm is not finite (largest entry "
                f"{values.max():.3g}); rescale it, e.g. divide by its largest entry")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=m))])
    M = sp.csr_matrix((np.ones(rows.size), cols, indptr), shape=(m, n))
    return sp.csr_matrix((values, cols.copy(), indptr.copy()), shape=(m, n)), M


def check_sparse_structure(S, name: str = "X") -> None:
    """Refuse a scipy.sparse matrix whose index structure is inconsistent (indices out of
    range or negative, a non-monotone index pointer), before anything reads through it: a
    crafted index can otherwise crash the process or silently drop an entry."""
    fmt = S.format
    try:
        if fmt in ("csr", "csc", "bsr"):
            S.check_format(full_check=True)
        elif fmt == "coo":
            m, n = S.shape
            row, col = np.asarray(S.row), np.asarray(S.col)
            if row.shape != col.shape or row.shape != np.asarray(S.data).shape:
                raise ValueError("row, col and data have different lengths")
            if row.size and (row.min() < 0 or row.max() >= m):
                raise ValueError(f"row index {int(row.min() if row.min() < 0 else row.max())}"
                                 f" is out of range [0, {m})")
            if col.size and (col.min() < 0 or col.max() >= n):
                raise ValueError(f"column index {int(col.min() if col.min() < 0 else col.max())}"
                                 f" is out of range [0, {n})")
        elif fmt == "dia":
            if S.data.ndim != 2 or S.data.shape[0] != np.asarray(S.offsets).size:
                raise ValueError("diagonal data and offsets disagree")
    except ValueError as exc:
        raise NMFInputError(f"{name} is a malformed sparse matrix: {exc}") from None
    if S.dtype.kind not in "biuf" and S.dtype.kind != "c":
        raise NMFInputError(f"{name} is not a numeric matrix: its dtype {S.dtype}")


def check_sparse_matrix(X, name: str = "X", *, allow_zero: bool = True,
                        finite_norm: bool = False) -> sp.csr_matrix:
    """Return a scipy.sparse ``X`` as a canonical CSR float64 matrix — duplicates summed,
    indices sorted, stored zeros dropped — checked as :func:`check_matrix` checks a dense one
    (finite, non-negative, not empty; errors name the first offending entry), but never
    densified: memory O(nnz)."""
    if not sp.issparse(X):
        raise NMFInputError(f"{name} must be a scipy.sparse matrix, got {type(X).__name__}")
    check_sparse_structure(X, name)
    if X.dtype.kind == "c":
        raise NMFInputError(f"{name} has complex entries; NMF needs real non-negative data")
    if X.ndim != 2 or 0 in X.shape:
        raise NMFInputError(f"{name} is empty (shape {X.shape})")
    A = sp.csr_matrix(X, dtype=np.float64, copy=True)
    A.sum_duplicates()
    A.sort_indices()
    bad = ~np.isfinite(A.data) | (A.data < 0)
    if bad.any():
        t = int(np.argmax(bad))
        row = int(np.searchsorted(A.indptr, t, side="right") - 1)
        idx, value = (row, int(A.indices[t])), A.data[t]
        if not np.isfinite(value):
            raise NMFInputError(f"{name} entry {idx} is not finite: {value}")
        raise NMFInputError(f"{name} entry {idx} is negative: {value:.6g} "
                            f"({int((A.data < 0).sum())} negative entries in all). "
                            f"{_NEGATIVE} {name} are refused")
    A.eliminate_zeros()
    if not allow_zero and A.nnz == 0:
        raise NMFInputError(f"{name} is all zeros")
    with np.errstate(over="ignore"):
        overflows = finite_norm and not np.isfinite(np.dot(A.data, A.data))
    if overflows:
        raise NMFInputError(
            f"{name} overflows float64: its squared norm is not finite (largest entry "
            f"{A.data.max():.3g}); rescale it, e.g. divide by its largest entry")
    return A


def check_positive_int(value, name: str, *, low: int = 1, high: int | None = None) -> int:
    """Return ``value`` as an int in ``[low, high]`` or raise naming the range."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise NMFInputError(f"{name}={value!r} must be an integer")
    value = int(value)
    if value < low or (high is not None and value > high):
        hi = "inf" if high is None else str(high)
        raise NMFInputError(f"{name}={value} is out of range [{low}, {hi}]")
    return value


def check_nonnegative_real(value, name: str, *, allow_none: bool = False) -> float | None:
    """Return ``value`` as a finite float >= 0 (or None when allowed)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
        raise NMFInputError(f"{name}={value!r} must be a finite number")
    if value < 0:
        raise NMFInputError(f"{name}={value} must be >= 0")
    return float(value)


def check_rank(k, shape: tuple[int, int], name: str = "k") -> int:
    """Return the inner dimension ``k`` if ``1 <= k <= min(m, n)``, else raise naming the range."""
    return check_positive_int(k, name, low=1, high=min(shape))


def check_choice(value, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise listing the valid choices."""
    choices = list(choices)
    if value not in choices:
        raise NMFInputError(
            f"unknown {name} {value!r}; valid choices: {', '.join(map(str, choices))}"
        )
    return value


def check_factor(F, shape: tuple[int, int], name: str) -> np.ndarray:
    """Validate a factor (W or H): non-negative, finite, and of the expected ``shape``."""
    A = check_matrix(F, name)
    if A.shape != tuple(shape):
        raise NMFInputError(f"{name} has shape {A.shape}, expected {tuple(shape)}")
    return A


def check_initial_factor(F, shape: tuple[int, int], name: str) -> np.ndarray:
    """:func:`check_factor` for a starting point, which must not be all zeros: every update
    of W scales with H and vice versa, so from H = 0 the iterates stay at W = 0, H = 0 (a
    stationary point with relative error 1, which the loop would report as converged).
    Refused as scikit-learn refuses it ("Array passed to ... is full of zeros")."""
    return refuse_all_zeros(check_factor(F, shape, name), name)


def refuse_all_zeros(A: np.ndarray, name: str) -> np.ndarray:
    """``A`` unless it is all zeros (:func:`check_initial_factor`'s rule and message)."""
    if not A.any():
        raise NMFInputError(f"Array passed to {name} is full of zeros: an all-zero starting "
                            "factor is a stationary point (W = H = 0), no method can leave it")
    return A


def check_solver(solver: str | None) -> str | None:
    """Return ``solver`` (upper-cased) if CVXPY has it installed; ``None`` means CVXPY's choice."""
    if solver is None:
        return None
    import cvxpy as cp

    installed = cp.installed_solvers()
    name = str(solver).upper()
    if name not in installed:
        raise SolverUnavailableError(
            f"solver {solver!r} is not installed; installed: {sorted(installed)}"
        )
    return name


def check_random_state(seed) -> np.random.Generator:
    """Turn ``seed`` (None, int, or Generator) into a ``numpy.random.Generator``; never global state."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, Integral) and not isinstance(seed, bool) and seed >= 0):
        return np.random.default_rng(seed)
    raise NMFInputError(
        f"random_state={seed!r} must be None, a non-negative integer or a numpy Generator"
    )
