"""Status as data: a kind (what code branches on) next to a detail (what people read).

A :class:`Status` *is* its detail string — JSON output, tables and every pinned message stay
exactly as they were — and carries ``.kind``, a :class:`Kind`, so no caller has to parse
prose (``status.startswith("time limit")``). It serves rank bounds (``RankBound.status``),
certificates, solver outcomes (:func:`solver_outcome`, the one map from a CVXPY status) and
factorization stops (``stop_reason``).

>>> s = Status(Kind.TIME_LIMIT, "time limit 2 s reached")
>>> s, s.kind is Kind.TIME_LIMIT, s == "time limit 2 s reached"
('time limit 2 s reached', True, True)
>>> kind_of("some old prose")
<Kind.OK: 'ok'>
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Kind", "Status", "kind_of", "solver_outcome"]


class Kind(str, Enum):
    """What happened, as a value."""

    OK = "ok"                       # a result (a bound, a factorization, a solve)
    INACCURATE = "inaccurate"       # a result the solver flagged as reduced accuracy
    NOT_NEEDED = "not needed"       # not computed: the answer is already known
    SKIPPED = "skipped"             # not computed: no time left, or cannot run here
    TIME_LIMIT = "time limit"       # stopped by a time limit; no result from it
    FAILED = "failed"               # tried and gave no result (solver error, infeasible, ...)
    INTERRUPTED = "interrupted"     # Ctrl-C
    STOPPED = "stopped"             # a loop's regular stop (tol, max_iter, exact fit, callback)


class Status(str):
    """A status text that carries its :class:`Kind` (``str(status)`` is the detail)."""

    kind: Kind

    def __new__(cls, kind: Kind | str, detail: str):
        obj = super().__new__(cls, detail)
        obj.kind = Kind(kind)
        return obj

    @property
    def detail(self) -> str:
        return str.__str__(self)

    def __reduce__(self):   # pickles (joblib workers) keep the kind
        return (Status, (self.kind, self.detail))


def kind_of(status) -> Kind:
    """The kind of ``status``: its own for a :class:`Status`, ``Kind.OK`` for plain text."""
    return getattr(status, "kind", Kind.OK)


def solver_outcome(cvxpy_status: str, *, hit_time_limit: bool = False) -> Kind:
    """The one map from a CVXPY problem status to a kind.

    optimal → OK; user_limit, or any other status when the time limit was used up
    (``hit_time_limit``) → TIME_LIMIT; optimal_inaccurate → INACCURATE; everything else (infeasible, unbounded, their
    inaccurate forms, solver_error, None) → FAILED. Which kinds give a value is the caller's
    rule (a model raises on TIME_LIMIT and FAILED, an SDP bound still checks its certificate).
    """
    if cvxpy_status == "optimal":
        return Kind.OK
    if cvxpy_status == "user_limit" or hit_time_limit:
        return Kind.TIME_LIMIT
    if cvxpy_status == "optimal_inaccurate":
        return Kind.INACCURATE
    return Kind.FAILED
