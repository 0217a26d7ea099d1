"""BLAS threads for a whole fit: ``blas_threads(n)`` and the toolkit's default.

NumPy's and SciPy's BLAS start one thread per core. On a machine other jobs also use, threaded
GEMMs stall: measured on the 2-core machine this toolkit is built on, 1-minute load 9, 30 plain
HALS iterations from one start (median of 3, interleaved), 1000×500 k = 20: 1.01 s on 1 thread,
6.44 s on 2; 4000×2000 k = 20: 4.04 s on 1 thread, 31.6 s on 2. So the default is
``DEFAULT_THREADS = 1``; a quiet many-core machine fitting large matrices gains from more
(``threads=`` on :func:`~nnmf_research.factorize.factorize`, ``nnmf --threads N``).

``threads=None`` in a public function means "the current default": the innermost enclosing
``blas_threads(n)`` (the CLI wraps each command in one), else ``DEFAULT_THREADS``. Limits are set
through threadpoolctl (the standard tool: scikit-learn's own), looking up the loaded BLAS
libraries afresh each time (about 1 ms; a cached lookup misses libraries loaded later).
"""

from __future__ import annotations

import contextlib
import contextvars

from .checks import check_positive_int

__all__ = ["DEFAULT_THREADS", "blas_threads", "current_threads"]

DEFAULT_THREADS = 1

_current: contextvars.ContextVar[int | None] = contextvars.ContextVar("nnmf_threads",
                                                                        default=None)


def current_threads() -> int:
    """The thread count a fit with ``threads=None`` uses (see the module doc)."""
    value = _current.get()
    return DEFAULT_THREADS if value is None else value


@contextlib.contextmanager
def blas_threads(threads: int | None = None):
    """Run the block with BLAS (and OpenMP) limited to ``threads`` (None: the current
    default); nested blocks see it as their default."""
    n = current_threads() if threads is None else check_positive_int(threads, "threads")
    token = _current.set(n)
    try:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=n):
            yield n
    finally:
        _current.reset(token)
