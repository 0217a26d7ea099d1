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
    "check_rank",
    "check_choice",
    "check_factor",
    "check_positive_int",
    "check_nonnegative_real",
    "check_solver",
    "check_random_state",
]


class NMFInputError(ValueError):
    """Bad data or options given to the toolkit."""


class SolverUnavailableError(NMFInputError):
    """A solver was named that CVXPY does not have installed."""


class SolverFailedError(RuntimeError):
    """A solver ran but returned no usable solution (status is in the message)."""


class ModelNotDPPError(NMFInputError):
    """A CVXPY model that is not disciplined-parametrized (so it cannot compile once)."""


def _first_index(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def check_matrix(X, name: str = "X", *, allow_zero: bool = True) -> np.ndarray:
    """Return ``X`` as a finite, non-negative, 2-D float64 array, or raise naming the problem.

    Accepts array-likes and ``scipy.sparse`` matrices (densified: the toolkit's targets are
    matrices that fit in memory). Rejects 1-D or >2-D input, empty matrices, NaN/inf and
    negative entries; the message names the first offending entry and its value.
    """
    if sp.issparse(X):
        X = X.toarray()
    if np.iscomplexobj(X):
        raise NMFInputError(f"{name} has complex entries; NMF needs real non-negative data")
    try:
        A = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
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
            f"({int(negative.sum())} negative entries in all)"
        )
    if not allow_zero and not A.any():
        raise NMFInputError(f"{name} is all zeros")
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
