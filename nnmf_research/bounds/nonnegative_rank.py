"""Bracket the nonnegative rank: every lower bound, an exact-NMF upper bound, one report.

    max_b lower_b(X)  ≤  rank₊(X)  ≤  min_b upper_b(X)  ≤  min(m, n)

Lower bounds (each in its own module of ``bounds/``), run cheapest first: ``rank``,
``fooling_set``, ``rectangle_cover_fractional``, ``rectangle_cover``,
``hyperplane_separation``, ``geometric`` and ``geometric_two_sided`` (rank-3 matrices),
``rank_exclusion`` (rank₊ = rank excluded by admissible rectangles), ``refined_rectangle_cover``
(a MILP over 2×2 blocks), ``nuclear_norm`` and ``tau_sos`` (SDPs). Upper bounds: ``restricted_rank3``
(rank-3 matrices: the minimal nested polygon, Gillis & Glineur 2012) and ``exact_nmf`` (the
Vandaele et al. 2016 heuristics tried at r = best lower bound, +1, ..., up to the trivial
r = min(m, n), certified in exact arithmetic where the data allow).

Only a bound with an integer ``bound`` counts; a method that failed, timed out or was skipped
says so in its status. Every lower bound is rounded in the safe direction by its own module.
Every claim is about the stored float64 values of X. An upper bound is a factorization
checked entry by entry (:mod:`.entrywise`); below min(m, n) it is *numerical* unless its
certificate checked in exact arithmetic (``certified``). ``exact`` means proved: lower ==
upper with both ends certified; otherwise a met bracket is "settled numerically" and names
the uncertified end, and a lower bound above an upper one is reported as a detected
inconsistency, never raised.

The whole run shares one time budget: lower bounds first (cheapest first), each given what is
left of 70 % of the budget; the exact-NMF search gets the rest less a 5 % reserve (restarts may
overrun their own limit slightly). Methods that found no time are listed in ``skipped``.

Example
-------
>>> import numpy as np
>>> report = nonnegative_rank(np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 1]]),
...                           bounds=["rank", "fooling_set", "exact_nmf"])
>>> report.lower, report.upper, report.exact
(4, 4, True)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..checks import NMFInputError, check_matrix
from ..results import RankBound
from ..status import Kind
from .cover_certificates import COVER_BOUNDS
from .entrywise import UPPER_BOUND_TOL

__all__ = ["LOWER_BOUNDS", "UPPER_BOUNDS", "BOUNDS", "DEFAULT_BOUNDS", "RankReport",
           "nonnegative_rank", "exact_nmf_upper_bound", "parse_methods"]

LOWER_BOUNDS = ("rank", "fooling_set", "rectangle_cover_fractional", "rectangle_cover",
                "hyperplane_separation", "geometric", "geometric_two_sided", "rank_exclusion",
                "refined_rectangle_cover", "nuclear_norm", "tau_sos")
UPPER_BOUNDS = ("restricted_rank3", "exact_nmf")
BOUNDS = LOWER_BOUNDS + UPPER_BOUNDS
"""Every bound `nnmf rank` knows, cheapest first (one registry name: the factorization methods
are ``factorize.FACTORIZE_METHODS``, the experiment cells ``reproduce.cells.METHOD_KINDS``)."""
DEFAULT_BOUNDS = BOUNDS
LOWER_SHARE = 0.7
RESERVE_SHARE = 0.05
MIN_SECONDS = 0.5
SKIP_WHEN_CLOSED_ABOVE = 400   # entries
BALANCE_SPREAD = 10      # search the balanced copy when row/column exponents span more


_FUNCTIONS = {  # method -> (module in bounds/, function, whether it takes a time limit)
    "rank": ("rank", "rank_bound", False),
    "fooling_set": ("fooling_set", "fooling_set_bound", True),
    "rectangle_cover": ("rectangle_cover", "rectangle_cover_bound", True),
    "rectangle_cover_fractional": ("rectangle_cover", "rectangle_cover_fractional_bound", True),
    "hyperplane_separation": ("hyperplane_separation", "hyperplane_separation_bound", True),
    "geometric": ("nested_polygons", "geometric_bound", False),
    "geometric_two_sided": ("geometric_two_sided", "geometric_two_sided_bound", False),
    "rank_exclusion": ("rank_exclusion", "rank_exclusion_bound", True),
    "refined_rectangle_cover": ("refined_rectangle_cover", "refined_rectangle_cover_bound", True),
    "restricted_rank3": ("nested_polygons", "restricted_rank3_bound", False),
    "nuclear_norm": ("sdp", "nuclear_norm_bound", True),
    "tau_sos": ("sdp", "tau_sos_bound", True),
}


def _bound_function(name: str):
    """The function computing bound ``name`` (imported on first use: SDP modules are heavy)."""
    import importlib

    if name == "exact_nmf":
        return exact_nmf_upper_bound
    module, function, _ = _FUNCTIONS[name]
    return getattr(importlib.import_module(f"{__package__}.{module}"), function)


def _check_options(name: str, options: dict) -> None:
    import inspect

    params = inspect.signature(_bound_function(name)).parameters
    allowed = [p for p in params if p not in ("X", "time_limit", "start")]
    for key in options:
        if key not in allowed:
            raise NMFInputError(f"unknown option {key!r} for bound {name!r}; valid: "
                                f"{', '.join(allowed) or 'none'}")


def _run_lower(name: str, X: np.ndarray, seconds: float, **options) -> RankBound:
    """Run bound ``name`` with a time limit in seconds (where the method takes one) and the
    method's own keyword ``options`` (e.g. ``solver`` for the SDPs)."""
    if name not in _FUNCTIONS:
        raise NMFInputError(f"unknown bound {name!r}; valid: {', '.join(BOUNDS)}")
    if not X.any():
        return RankBound.zero_matrix(name, "upper" if name in UPPER_BOUNDS else "lower")
    if _FUNCTIONS[name][2]:
        options["time_limit"] = seconds
    return _bound_function(name)(X, **options)


def _search_until(X, r: int, seconds: float, heuristic: str, tol: float, random_state: int):
    """Restart the exact-NMF heuristic with fresh seeds until a factorization passes the
    entrywise check (:func:`entrywise_relative_error` ≤ ``tol`` after :func:`entrywise.clean_zeros`)
    or ``seconds`` pass. Returns (best result, its entrywise error, restarts)."""
    from dataclasses import replace

    from ..balance import balance
    from ..drivers.restarts import restart_seed, run_restarts
    from .entrywise import clean_zeros, entrywise_relative_error
    from .exact_nmf import exact_nmf

    # the search's Frobenius criterion is meaningful only on well-scaled data: badly scaled
    # matrices are searched as their exact power-of-two balanced copy and mapped back
    b = balance(X)
    spread = max(np.ptp(b.row_exp), np.ptp(b.col_exp))
    use_balanced = b.exact and spread > BALANCE_SPREAD
    Xs = b.X if use_balanced else X
    t0 = time.perf_counter()

    def restart(i):
        left = seconds - (time.perf_counter() - t0)
        seed = int(restart_seed((random_state, r), i).generate_state(1)[0])
        result = exact_nmf(Xs, r, heuristic=heuristic, tol=tol, random_state=seed,
                           time_limit=max(left, MIN_SECONDS))
        W, H = clean_zeros(Xs, result.W, result.H)   # where the scale is even
        if use_balanced:
            W, H = b.unscale(W, H)
        err = entrywise_relative_error(X, W, H) if result.found else float("inf")
        return replace(result, W=W, H=H), err

    def stop(run):
        deterministic = run[0].heuristic in ("trivial", "rank", "rank<=2")
        return deterministic or seconds - (time.perf_counter() - t0) < MIN_SECONDS

    runs = run_restarts(restart, 10**6, accept=lambda run: run[1] <= tol, stop=stop)
    best, best_err = runs[0]
    for result, err in runs[1:]:
        if (err, result.relative_error) < (best_err, best.relative_error):
            best, best_err = result, err
    return replace(best, attempts=len(runs)), best_err


def exact_nmf_upper_bound(X, start: int = 1, time_limit: float = 60.0, *,
                          random_state: int = 0, tol: float = UPPER_BOUND_TOL,
                          heuristic: str = "hybrid") -> RankBound:
    """rank₊(X) ≤ r for the smallest r ≥ ``start`` at which an exact NMF is found.

    Tries r = start, start + 1, ... (each given an equal share of what is left of
    ``time_limit``) and stops at the first success; r = min(m, n) always succeeds (X = X·I).
    A factorization counts only when it is checked **entry by entry**: it is certified
    (:func:`certificates.certify`: W ≥ 0, H ≥ 0, WH = X in exact arithmetic on the stored
    values), or every positive entry of WH is within relative ``tol`` = 1e-9 of X's and WH
    is exactly zero where X is (then the bound is *numerical*, ``certified=False``: it
    holds for a matrix within that relative distance of X). A Frobenius ratio never makes an
    upper bound: on data spanning many orders of magnitude it says nothing about the small
    entries. The search's own success test is Vandaele et al.'s relative error, at 1e-9.
    """
    from .certificates import certify
    from .rank import stored_rank

    X = check_matrix(X)
    if not X.any():
        return RankBound.zero_matrix("exact_nmf", "upper")
    t0 = time.perf_counter()
    top = min(X.shape)
    start = max(1, min(int(start), top))
    tried = []
    r = start
    while True:  # ends at the latest at r = min(m, n), where X = X·I is always found
        left = time_limit - (time.perf_counter() - t0)
        if r < top and left < MIN_SECONDS:
            tried.append(f"r={r}..{top - 1}: no time left")
            r = top
        share = max(left / max(top - r, 1), MIN_SECONDS)
        result, worst = _search_until(X, r, share, heuristic, tol, random_state)
        cert = certify(X, result.W, result.H) if result.found else None
        if cert is not None and (cert.exact or worst <= tol):
            break
        if cert is None:
            tried.append(f"r={r}: not found in {result.attempts} restarts (best relative "
                         f"error {result.relative_error:.2g})")
        else:
            tried.append(f"r={r}: near miss (relative error {result.relative_error:.2g}, "
                         f"worst entry off by {worst:.2g} > {tol:g}: not counted)")
        r += 1
    if cert.exact:
        status = f"certified exact at r={r}"
    else:
        status = (f"numerically exact at r={r} (every entry within relative {worst:.2g} ≤ "
                  f"{tol:g}, zeros exact; {cert.claim})")
        rho = stored_rank(X)[0]
        if rho > r:
            status += (f"; the stored values have rank {rho} > {r}: the bound is about a "
                       "matrix within rounding of them")
    if tried:
        status += "; " + "; ".join(tried)
    return RankBound("exact_nmf", "upper", float(r), r, certified=cert.exact,
                     seconds=time.perf_counter() - t0, status=status,
                     certificate={"W": result.W, "H": result.H, "claim": cert.claim,
                                  "entrywise_error": worst})


@dataclass
class RankReport:
    """What :func:`nonnegative_rank` found: the bracket and every bound behind it.

    ``exact`` is True only when the bracket is *proved*: lower == upper with both ends
    certified for the stored values. ``settled`` says it in words: "exact" (proved),
    "settled numerically (... end uncertified)", "not settled", or "inconsistent" — a lower
    bound above an upper bound is reported (``inconsistency`` names both), never raised.
    """

    shape: tuple[int, int]
    rank: int
    lower: int
    upper: int
    bounds: list[RankBound]
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    time_limit: float | None = None

    def _ends(self, kind: str, value: int) -> list[RankBound]:
        return [b for b in self.bounds if b.kind == kind and b.bound == value]

    @property
    def lower_certified(self) -> bool:
        """True when a certified lower bound reaches ``lower`` (0 and 1 need no proof)."""
        return self.lower <= 1 or any(b.certified for b in self._ends("lower", self.lower))

    @property
    def upper_certified(self) -> bool:
        """True when the upper end is min(m, n) or a certificate checked exactly."""
        if self.upper == min(self.shape):
            return True
        return any(b.certified for b in self._ends("upper", self.upper))

    @property
    def inconsistency(self) -> str | None:
        """A lower bound above an upper bound: a bug or an uncertified end; both named."""
        if self.lower <= self.upper:
            return None
        ends = self._ends("lower", self.lower) + self._ends("upper", self.upper)
        return (f"lower bound {self.lower} exceeds upper bound {self.upper}: "
                + "; ".join(f"{b.method} ({b.kind} {b.bound}, "
                            f"{'certified' if b.certified else 'uncertified'}): {b.status}"
                            for b in ends))

    @property
    def exact(self) -> bool:
        return (self.lower == self.upper and self.lower_certified and self.upper_certified)

    @property
    def settled(self) -> str:
        if self.lower > self.upper:
            return "inconsistent"
        if self.lower < self.upper:
            return "not settled"
        if self.exact:
            return "exact"
        uncertified = [name for name, ok in (("lower", self.lower_certified),
                                             ("upper", self.upper_certified)) if not ok]
        return f"settled numerically ({' and '.join(uncertified)} end uncertified)"

    def best(self, kind: str) -> RankBound | None:
        counted = [b for b in self.bounds if b.kind == kind and b.bound is not None]
        if not counted:
            return None
        key = (lambda b: b.bound) if kind == "lower" else (lambda b: -b.bound)
        return max(counted, key=key)

    def summary(self) -> dict:
        """The JSON contract of ``nnmf rank --json``."""
        return {"shape": [int(self.shape[0]), int(self.shape[1])], "rank": int(self.rank),
                "lower": int(self.lower), "upper": int(self.upper), "exact": self.exact,
                "settled": self.settled, "lower_certified": self.lower_certified,
                "upper_certified": self.upper_certified, "inconsistency": self.inconsistency,
                "bounds": [b.summary() for b in self.bounds], "skipped": list(self.skipped),
                "seconds": float(self.seconds), "time_limit": self.time_limit}

    def table(self) -> str:
        """A plain-text table: one row per bound, then the bracket."""
        head = f"{'method':<27} {'kind':<5} {'value':>9} {'bound':>5} {'cert':>4} {'seconds':>8}  status"
        lines = [f"nonnegative rank of a {self.shape[0]}x{self.shape[1]} matrix of rank "
                 f"{self.rank}", head, "-" * len(head)]
        for b in self.bounds:
            value = "" if not np.isfinite(b.value) else f"{b.value:.4f}"
            bound = "-" if b.bound is None else str(b.bound)
            lines.append(f"{b.method:<27} {b.kind:<5} {value:>9} {bound:>5} "
                         f"{'yes' if b.certified else 'no':>4} {b.seconds:>8.2f}  {b.status}")
        lines.append(f"{self.lower} <= rank+ <= {self.upper}   ({self.settled})")
        if self.inconsistency:
            lines.append(f"DETECTED INCONSISTENCY: {self.inconsistency}")
        if self.skipped:
            lines.append(f"skipped for time: {', '.join(self.skipped)}")
        return "\n".join(lines)


def parse_methods(methods: str | Sequence[str] | None) -> list[str]:
    """Method names from a list or a comma-separated string, checked and in run order."""
    if methods is None:
        return list(DEFAULT_BOUNDS)
    names = [s.strip() for s in methods.split(",")] if isinstance(methods, str) else list(methods)
    names = [n for n in names if n]
    if not names:
        raise NMFInputError(f"no bounds named; valid: {', '.join(BOUNDS)}")
    for n in names:
        if n not in BOUNDS:
            raise NMFInputError(f"unknown bound {n!r}; valid: {', '.join(BOUNDS)}")
    return [n for n in BOUNDS if n in names]


def nonnegative_rank(X, bounds: str | Sequence[str] | None = None, time_limit: float = 120.0,
                     *, random_state: int = 0, options: dict[str, dict] | None = None,
                     progress: Callable[[RankBound], None] | None = None) -> RankReport:
    """Compute the requested bounds (all by default) within ``time_limit`` seconds in total.

    ``options`` maps a method name to keyword arguments of its function, e.g.
    ``{"tau_sos": {"solver": "SCS"}}`` or ``{"tau_sos": {"exploit_structure": False}}``.

    Returns a :class:`RankReport`; ``lower`` is the best counted lower bound (at least
    rank(X) ≥ 1 for a non-zero X, 0 for X = 0), ``upper`` the best upper bound (at most
    min(m, n)). ``progress`` is called with each finished bound.
    """
    from .rank import matrix_rank

    X = check_matrix(X)
    names = parse_methods(bounds)
    options = dict(options or {})
    for name, opts in options.items():
        if name not in BOUNDS:
            raise NMFInputError(f"options for unknown bound {name!r}; valid: {', '.join(BOUNDS)}")
        _check_options(name, opts)
    if time_limit is None or not time_limit > 0:
        raise NMFInputError(f"time_limit must be a positive number of seconds, got {time_limit}")
    for name in COVER_BOUNDS:   # checkable proofs are tried by default (within the budget)
        options[name] = {"proof": True, **options.get(name, {})}
    t0 = time.perf_counter()
    results: list[RankBound] = []
    skipped: list[str] = []
    lower_budget = LOWER_SHARE * time_limit if "exact_nmf" in names else time_limit
    staged = [n for n in names if n != "exact_nmf"]
    for position, name in enumerate(staged):
        kind = "upper" if name in UPPER_BOUNDS else "lower"
        best_lower = max([b.bound for b in results if b.kind == "lower" and b.bound is not None],
                         default=0)
        # a closed bracket on a large matrix: the rest cannot change it (small matrices still
        # get every bound, which is what a table of bounds is for)
        if best_lower >= min(X.shape) and X.size > SKIP_WHEN_CLOSED_ABOVE and name != "rank":
            results.append(RankBound.no_bound(
                name, kind, Kind.NOT_NEEDED, f"not needed: the lower bound {best_lower} is "
                "min(m, n)"))
            continue
        left = lower_budget - (time.perf_counter() - t0)
        if left < MIN_SECONDS and name != "rank":
            skipped.append(name)
            results.append(RankBound.no_bound(name, kind, Kind.SKIPPED,
                                              "skipped: time budget used up"))
            continue
        # a fair share of what is left: a method that finishes early leaves time to the rest
        share = max(left / sum(1 for n in staged[position:] if _FUNCTIONS[n][2]), MIN_SECONDS) \
            if _FUNCTIONS[name][2] else left
        bound = _run_lower(name, X, share, **options.get(name, {}))
        results.append(bound)
        if progress is not None:
            progress(bound)
    from_rank_bound = [b.bound for b in results if b.method == "rank" and b.bound is not None]
    r = from_rank_bound[0] if from_rank_bound else matrix_rank(X)
    lower = max([b.bound for b in results if b.kind == "lower" and b.bound is not None]
                + [min(r, 1)])
    upper = min([b.bound for b in results if b.kind == "upper" and b.bound is not None]
                + [min(X.shape)])
    if "exact_nmf" in names:
        if lower >= upper:
            results.append(RankBound.no_bound(
                "exact_nmf", "upper", Kind.NOT_NEEDED,
                f"not needed: the lower bound {lower} meets the upper bound {upper}"))
        else:
            # a margin for restarts that overrun their own limit and for the report
            left = (1 - RESERVE_SHARE) * time_limit - (time.perf_counter() - t0)
            # rank(X) <= rank+ always, so the search never starts below it
            bound = exact_nmf_upper_bound(X, start=max(lower, r),
                                          time_limit=max(left, MIN_SECONDS),
                                          random_state=random_state,
                                          **options.get("exact_nmf", {}))
            results.append(bound)
            if progress is not None:
                progress(bound)
            upper = min(upper, bound.bound)
    return RankReport(tuple(X.shape), r, lower, upper, results, skipped,
                      time.perf_counter() - t0, time_limit)
