"""Checkable proofs that no cover with k rectangles exists: SAT encodings and DRUP proofs.

A MILP solver's "optimal" is its own word. For the rectangle cover and the refined rectangle
cover (:mod:`.rectangle_cover`, :mod:`.refined_rectangle_cover`) the statement "the covering
system M x ≥ rhs has no solution x ∈ {0, …, u}^K with 1ᵀx ≤ k" is written as a CNF formula,
a SAT solver (CaDiCaL through PySAT) refutes it while logging a DRUP proof, and an independent
checker (``dratify``, forward RUP/RAT checking, no code shared with the solver) replays the
proof. The certificate holds the formula and the proof; :func:`check_cover_proof` rebuilds
the formula from the covering system and re-checks.

Encoding (variables: a_t ⇔ x_t ≥ 1, and for u = 2 also b_t ⇔ x_t ≥ 2, so x_t = a_t + b_t):

* b_t → a_t;
* a row with rhs 1: the clause ∨_{t ∈ row} a_t (some rectangle of the row is taken);
* a row with rhs 2: at least two of the literals [a_t, b_t : t ∈ row] (then Σ x_t ≥ 2),
  linearly: auxiliaries s_i → l_1 ∨ … ∨ l_i, p_j → l_j ∧ s_{j−1}, and ∨_j p_j;
* Σ_t (a_t + b_t) ≤ k: a sequential counter (Sinz 2005; PySAT ``CardEnc``).

Soundness of "UNSAT ⇒ no such x": every feasible x extends to a satisfying assignment
(a_t = [x_t ≥ 1], b_t = [x_t ≥ 2], s_i = l_1 ∨ … ∨ l_i, p_j = l_j ∧ s_{j−1}, the counter's
auxiliaries by its own completeness), so a refutation rules out every feasible x. The
reductions behind the covering systems (maximal rectangles suffice, x_t ≤ 2) are argued in
those modules. The trust base is the checker, this encoder (re-run by the check) and the
maximal-rectangle enumeration (networkx ``find_cliques``); for a refined cover with
symmetry breaking also the exact symmetry check and the leader-constraint argument of
:mod:`.refined_rectangle_cover` (the checker recomputes both from X).

Both packages are optional (``python-sat``, ``dratify``); without them no proof is attempted
and the status says so. Measured (2 cores shared with other jobs): rectangle covers of the
regular 7-, 8-, 9-gons (rc = 6, "5 cannot cover") 1, 3, 10 s with proofs of 479, 1 099,
2 637 lines; refined covers of the 7- and 8-gon ("5 cannot do") 7 s (1 714 lines) and 93 s
(11 785 lines, almost all of it the pure-Python checker). The 9-gon's refined cover ("6
cannot do", VGG 2017's 7) is refuted by CaDiCaL in 87 s with a proof of 491 660 lines, which
dratify's native engine (``pip install cdclkit-native``; importing ``cdclkit`` registers it
with dratify) checks in ≈ 440 s — 676 s in all, so the 9-gon's RRCB of 7 is certified — and
the pure-Python engine would need hours.

Time limits are hard. CaDiCaL cannot be interrupted through PySAT (``interrupt`` raises
NotImplementedError in the caller's timer thread, so a 900 s cell once ran 1 060 s), and
dratify's checker has no deadline; so both run in a child process (``_proof_child.py``,
:func:`_in_child`) that is killed when the time left runs out. A solve cut short has status
"unknown", a check cut short certifies nothing, and the message begins "time limit".

Example
-------
>>> import numpy as np, scipy.sparse as sp
>>> M = sp.csr_matrix(np.eye(3))                      # three rows, each needs its own column
>>> proof = prove_no_cover(M, [1, 1, 1], upper=1, k=2)  # doctest: +SKIP
>>> proof.status, check_cover_proof(M, [1, 1, 1], 1, 2, proof)[0]  # doctest: +SKIP
('unsat', True)
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["CoverProof", "proof_tools_available", "covering_cnf", "prove_no_cover",
           "check_cover_proof", "prove_optimum", "checker_engine", "SAT_SOLVER"]

SAT_SOLVER = "cadical153"
TIME_LIMIT = "time limit"      # how a message stating that a deadline stopped the work begins


def proof_tools_available() -> str | None:
    """None when python-sat and dratify import; otherwise what is missing."""
    missing = []
    try:
        import pysat.solvers  # noqa: F401
    except ImportError:
        missing.append("python-sat")
    try:
        import dratify  # noqa: F401
    except ImportError:
        missing.append("dratify")
    return ", ".join(missing) or None


def _rows(M: sp.spmatrix) -> list[list[int]]:
    Mr = sp.csr_matrix(M)
    Mr.eliminate_zeros()
    return [Mr.indices[Mr.indptr[e]:Mr.indptr[e + 1]].tolist() for e in range(Mr.shape[0])]


def covering_cnf(M: sp.spmatrix, rhs, upper: int, k: int, leaders=()):
    """The CNF "∃ x ∈ {0..upper}^K: M x ≥ rhs, 1ᵀx ≤ k" (module doc), a pysat ``CNF``;
    deterministic, so a checker can rebuild it. rhs entries must be 1 or 2, upper 1 or 2.
    ``leaders``: pairs (t₀, t) adding x_{t₀} ≥ x_t as a_t → a_{t₀}, b_t → b_{t₀}; only pairs
    proved to keep every cover size attainable may be passed
    (:func:`.refined_rectangle_cover.leader_constraints`), so a refutation with them still
    refutes the plain system."""
    from pysat.card import CardEnc, EncType
    from pysat.formula import CNF

    rhs = [int(v) for v in np.asarray(rhs).tolist()]
    if not set(rhs) <= {1, 2} or upper not in (1, 2) or (2 in rhs and upper != 2):
        raise ValueError("covering_cnf encodes rhs in {1, 2} with upper 1 (rhs 1 only) or 2")
    K = M.shape[1]
    a = list(range(1, K + 1))
    b = list(range(K + 1, 2 * K + 1)) if upper == 2 else []
    cnf = CNF()
    top = K * upper
    for t in range(len(b)):
        cnf.append([-b[t], a[t]])
    for row, need in zip(_rows(M), rhs):
        if need == 1:
            cnf.append([a[t] for t in row])
            continue
        lits = [a[t] for t in row] + [b[t] for t in row]
        if len(lits) < 2:
            cnf.append([])                       # cannot be met at all
            continue
        s = list(range(top + 1, top + len(lits)))            # s_1 .. s_{n-1}
        p = list(range(top + len(lits), top + 2 * len(lits) - 1))  # p_2 .. p_n
        top += 2 * len(lits) - 2
        cnf.append([-s[0], lits[0]])
        for i in range(1, len(lits) - 1):
            cnf.append([-s[i], s[i - 1], lits[i]])
        for j in range(1, len(lits)):
            cnf.append([-p[j - 1], lits[j]])
            cnf.append([-p[j - 1], s[j - 1]])
        cnf.append(list(p))
    for t0, t in leaders:
        cnf.append([-a[t], a[t0]])
        if b:
            cnf.append([-b[t], b[t0]])
    if k < 0:
        cnf.append([])
    else:
        card = CardEnc.atmost(lits=a + b, bound=k, top_id=top, encoding=EncType.seqcounter)
        cnf.extend(card.clauses)
    return cnf


@dataclass(frozen=True)
class CoverProof:
    """``status``: "unsat" (refuted; ``drup`` holds the proof), "sat" (a cover with ≤ k
    exists), "unknown" (the solver was stopped at the time limit); ``cnf`` the DIMACS
    text."""

    status: str
    k: int
    cnf: str
    drup: str
    seconds: float
    solver: str = SAT_SOLVER
    symmetric: bool = False      # the formula carries leader constraints

    def summary(self) -> dict:
        return {"status": self.status, "k": self.k, "solver": self.solver,
                "cnf_clauses": self.cnf.count("\n") - 1, "proof_lines": self.drup.count("\n"),
                "seconds": self.seconds}


def prove_no_cover(M: sp.spmatrix, rhs, upper: int, k: int,
                   time_limit: float | None = None, solver: str = SAT_SOLVER,
                   leaders=()) -> CoverProof:
    """Refute "a cover with ≤ k" by SAT with a DRUP proof (module doc). The solver runs in
    a child process (:func:`_in_child`), killed when ``time_limit`` (seconds, for the whole
    call) runs out: status "unknown", nothing is claimed."""
    t0 = time.perf_counter()
    cnf = covering_cnf(M, rhs, upper, k, leaders).to_dimacs() + "\n"
    left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
    answer = _in_child("solve", [cnf, solver], left)
    if answer is None:
        status, drup = "unknown", ""
    else:
        status, _, drup = answer.partition("\n")
    return CoverProof(status, int(k), cnf, drup, time.perf_counter() - t0, solver,
                      bool(leaders))


def check_cover_proof(M: sp.spmatrix, rhs, upper: int, k: int,
                      proof: CoverProof, leaders=(),
                      time_limit: float | None = None) -> tuple[bool, str]:
    """Rebuild the CNF from (M, rhs, upper, k), compare it with the one the proof is about,
    and replay the DRUP proof with ``dratify`` (in a child process killed when
    ``time_limit`` runs out: then nothing is certified). Names the first failure."""
    import dratify

    if proof.status != "unsat":
        return False, f"no refutation to check (status {proof.status})"
    if proof.k != k:
        return False, f"the proof is about k = {proof.k}, not {k}"
    expected = covering_cnf(M, rhs, upper, k, leaders).to_dimacs() + "\n"
    if expected != proof.cnf:
        return False, "the formula is not the encoding of this covering system"
    engine = checker_engine()
    lines = proof.drup.count("\n")
    answer = _in_child("check", [proof.cnf, proof.drup, engine], time_limit)
    if answer is None:
        return False, (f"{TIME_LIMIT}: the check of the DRUP proof of {lines} lines did not "
                       f"finish in {time_limit:.0f} s")
    verdict, _, detail = answer.partition("\n")
    if verdict != "ok":
        return False, f"the DRUP proof does not check: {detail}"
    return True, (f"no solution with {k}: DRUP proof of {lines} lines "
                  f"checked by dratify {getattr(dratify, '__version__', '')} ({engine} engine)")


def checker_engine() -> str:
    """"native" when dratify's Rust engine is registered (``pip install cdclkit-native``;
    importing ``cdclkit`` registers it, ~15× faster), else "python"."""
    import dratify

    try:
        import cdclkit.native  # noqa: F401  (registers the Rust checker with dratify)
    except ImportError:
        pass
    return "native" if dratify.native_available() else "python"


_CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_proof_child.py")


def _in_child(task: str, inputs: list[str], time_limit: float | None) -> str | None:
    """Run ``_proof_child.py`` (``task`` "solve" or "check" on the ``inputs`` texts; it
    imports only pysat or dratify) in a fresh Python process and return its answer, or None
    when ``time_limit`` seconds passed first.

    Why a process: neither CaDiCaL through PySAT (its ``interrupt`` raises
    NotImplementedError, so a 900 s limit once ran 1 060 s) nor dratify's checker can be
    stopped from inside; a process can, at the deadline, with SIGKILL to its session. It
    runs in its own session, so Ctrl-C reaches only this process, whose KeyboardInterrupt
    kills the child on the way out; an orphan (this process killed) stops at its CPU limit
    of ``time_limit`` + 10 s. A child that fails raises RuntimeError with its stderr."""
    import signal
    import subprocess
    import sys
    import tempfile

    if time_limit is not None and time_limit <= 0:
        return None
    with tempfile.TemporaryDirectory(prefix="nnmf-proof-") as folder:
        paths = []
        for i, text in enumerate(inputs):
            paths.append(os.path.join(folder, f"in{i}"))
            with open(paths[-1], "w") as f:
                f.write(text)
        out, err = os.path.join(folder, "out"), os.path.join(folder, "err")
        cpu = "none" if time_limit is None else str(math.ceil(time_limit) + 10)
        with open(err, "w") as stderr:
            proc = subprocess.Popen([sys.executable, "-P", _CHILD, task, cpu, out, *paths],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=stderr, start_new_session=True)
        try:
            proc.wait(timeout=time_limit)
        except subprocess.TimeoutExpired:
            return None
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if proc.returncode != 0 or not os.path.exists(out):
            with open(err) as f:
                tail = f.read()[-2000:]
            raise RuntimeError(f"the proof {task} process failed (exit {proc.returncode}): "
                               f"{tail.strip() or 'no message'}")
        with open(out) as f:
            return f.read()


def prove_optimum(M: sp.spmatrix, rhs, upper: int, value: int,
                  time_limit: float | None = None,
                  leaders=()) -> tuple[bool | None, str, CoverProof | None]:
    """Try to prove that ``value`` is the optimum's lower end: no cover with value − 1.

    Returns (True, message, proof) when the refutation checks; (False, why not, proof or
    None) when no proof was obtained (tools missing, interrupted, a proof that fails the
    check); (None, message, proof) when the SAT solver finds a cover with value − 1 — the
    MILP's optimum is then wrong and must not be used."""
    missing = proof_tools_available()
    if missing:
        return False, f"no proof attempted ({missing} not installed)", None
    if value <= 0:
        return True, "nothing to prove (value 0)", None
    t0 = time.perf_counter()
    proof = prove_no_cover(M, rhs, upper, value - 1, time_limit, leaders=leaders)
    if proof.status == "sat":
        return None, f"a SAT solution with {value - 1} contradicts the MILP optimum", proof
    if proof.status == "unknown":
        return False, (f"{TIME_LIMIT}: the SAT solver was stopped at {proof.seconds:.0f} s "
                       "(nothing claimed)"), proof
    left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
    ok, why = check_cover_proof(M, rhs, upper, value - 1, proof, leaders, left)
    seconds = time.perf_counter() - t0
    if ok:
        return True, f"{why} ({seconds:.1f} s)", proof
    return False, (why if why.startswith(TIME_LIMIT) else f"proof rejected: {why}"), proof
