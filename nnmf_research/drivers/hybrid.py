"""``hybrid``: alternate local-search algorithms on one objective until none improves.

Ding, Li & Peng (AAAI 2006; Comput. Stat. Data Anal. 52(8):3913–3927, 2008, §6) observe that
PLSI's EM and KL-NMF's multiplicative updates minimize the same objective but stop at
different local optima from the same start, and that running one to convergence, converting,
and continuing with the other "jumps out of the local minima of the other method
successively". This is that loop for any set of algorithms on one state and one objective f:

    round 0   run every algorithm from the start x₀ (each alone, to convergence);
              x ← the best of them, last ← the algorithm that made it
    round r   run each algorithm other than ``last`` from x, in order; the first whose
              result y has f(y) < f(x)·(1 − tol) (relative improvement) makes x ← y,
              last ← it; when none improves, stop

so f(result) ≤ min over algorithms of f(algorithm alone from x₀), and every improvement is a
:class:`HybridStep` naming the algorithm that made it. An algorithm is a callable
``run(state) -> (new_state, n_iter)``; any conversion between representations (PLSI
distributions ⇄ NMF factors) is its own business, so the state has one representation here.

Example
-------
Two "algorithms" on f(x) = (x − 3)² from x = 0.4: one moves halfway to 3 (one step: 1.7),
one rounds up to an integer (1.0); together they reach 3 exactly.

>>> halve = lambda x: ((x + 3) / 2, 1)
>>> ceil = lambda x: (float(-(-x // 1)), 1)
>>> res = hybrid(0.4, {"halve": halve, "ceil": ceil}, lambda x: (x - 3) ** 2)
>>> res.state, res.improvements, res.alone
(3.0, ('halve', 'ceil', 'halve', 'ceil'), {'halve': 1.6900000000000002, 'ceil': 4.0})
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..checks import NMFInputError, check_nonnegative_real, check_positive_int
from ..status import Kind, Status

__all__ = ["HybridStep", "HybridResult", "hybrid"]


@dataclass(frozen=True)
class HybridStep:
    """One algorithm run: in which round, from which objective to which, and if it was kept."""

    round: int
    algorithm: str
    start: float
    end: float
    improved: bool
    n_iter: int
    seconds: float


@dataclass(frozen=True)
class HybridResult:
    """The best state found, its objective, every run made, and each algorithm alone.

    ``alone[name]`` is the objective of algorithm ``name`` run alone from the start (round 0),
    ``alone_states[name]`` its state; ``improvements`` lists the algorithm of each kept step
    in order.
    """

    state: Any
    objective: float
    steps: tuple[HybridStep, ...]
    alone: dict
    alone_states: dict
    rounds: int
    stop_reason: str
    seconds: float

    @property
    def improvements(self) -> tuple[str, ...]:
        return tuple(s.algorithm for s in self.steps if s.improved)


def hybrid(start, algorithms: Mapping[str, Callable], objective: Callable[[Any], float], *,
           max_rounds: int = 20, tol: float = 1e-9) -> HybridResult:
    """Alternate ``algorithms`` from ``start`` until none improves ``objective`` (module docstring).

    Parameters
    ----------
    start : the initial state (not modified by a well-behaved algorithm)
    algorithms : name -> ``run(state) -> (state, n_iter)``; at least two
    objective : ``objective(state) -> float``, the one number every algorithm is judged by
    max_rounds : rounds after round 0
    tol : relative improvement below which a run does not count as one

    Returns
    -------
    HybridResult
    """
    if len(algorithms) < 2:
        raise NMFInputError(f"the hybrid needs at least two algorithms, got {list(algorithms)}")
    for name, run in algorithms.items():
        if not callable(run):
            raise NMFInputError(f"algorithm {name!r} must be callable, got {run!r}")
    max_rounds = check_positive_int(max_rounds, "max_rounds", low=0)
    tol = check_nonnegative_real(tol, "tol")
    t0 = time.perf_counter()
    steps: list[HybridStep] = []
    f0 = float(objective(start))

    def attempt(round_, name, state, f_state):
        t = time.perf_counter()
        new, n_iter = algorithms[name](state)
        f_new = float(objective(new))
        return new, f_new, (round_, name, f_state, f_new, int(n_iter), time.perf_counter() - t)

    alone, results = {}, {}
    for name in algorithms:
        new, f_new, record = attempt(0, name, start, f0)
        alone[name] = f_new
        results[name] = (new, f_new, record)
    last = min(alone, key=alone.get)
    state, best = results[last][0], results[last][1]
    for name in algorithms:
        steps.append(HybridStep(*results[name][2][:4], name == last, *results[name][2][4:]))
    stop = Status(Kind.STOPPED, f"max_rounds={max_rounds} reached")
    rounds = 0
    for round_ in range(1, max_rounds + 1):
        rounds = round_
        moved = False
        for name in algorithms:
            if name == last:
                continue
            new, f_new, record = attempt(round_, name, state, best)
            improved = f_new < best * (1 - tol) if best > 0 else f_new < best
            steps.append(HybridStep(*record[:4], improved, *record[4:]))
            if improved:
                state, best, last, moved = new, f_new, name, True
                break
        if not moved:
            stop = Status(Kind.STOPPED, f"no algorithm improves after {round_} rounds "
                                        f"(relative tol={tol:g})")
            break
    return HybridResult(state=state, objective=best, steps=tuple(steps), alone=alone,
                        alone_states={name: results[name][0] for name in algorithms},
                        rounds=rounds, stop_reason=stop, seconds=time.perf_counter() - t0)
