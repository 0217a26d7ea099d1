"""SAT refutations with DRUP proofs for the rectangle covers, checked by an independent checker."""

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

pytest.importorskip("pysat")
pytest.importorskip("dratify")

from nnmf_research.bounds.cover_proofs import (check_cover_proof, prove_no_cover,  # noqa: E402
                                               prove_optimum)
from nnmf_research.bounds.rectangle_cover import rectangle_cover_bound  # noqa: E402
from nnmf_research.bounds.refined_rectangle_cover import refined_rectangle_cover_bound  # noqa: E402
from nnmf_research.datasets import ngon_slack  # noqa: E402

IDENTITY = sp.csr_matrix(np.eye(3))          # three rows, each coverable by one column only


def test_three_disjoint_rows_need_three_columns():
    proof = prove_no_cover(IDENTITY, [1, 1, 1], 1, 2)
    assert proof.status == "unsat" and check_cover_proof(IDENTITY, [1, 1, 1], 1, 2, proof)[0]
    assert prove_no_cover(IDENTITY, [1, 1, 1], 1, 3).status == "sat"


def test_a_row_needing_two_meetings_counts_multiplicity():
    M = sp.csr_matrix(np.array([[1.0, 0.0], [1.0, 1.0]]))
    # row 2 needs two: x = (2, 0) or (1, 1); with one rectangle in total it is impossible
    assert prove_no_cover(M, [1, 2], 2, 2).status == "sat"
    proof = prove_no_cover(M, [1, 2], 2, 1)
    assert proof.status == "unsat" and check_cover_proof(M, [1, 2], 2, 1, proof)[0]


def test_a_tampered_proof_or_formula_is_rejected():
    proof = prove_no_cover(IDENTITY, [1, 1, 1], 1, 2)
    assert not check_cover_proof(IDENTITY, [1, 1, 1], 1, 1, proof)[0]          # other k
    weaker = replace(proof, cnf=proof.cnf.replace("\n1 0\n", "\n1 2 0\n"))
    assert weaker.cnf != proof.cnf
    ok, why = check_cover_proof(IDENTITY, [1, 1, 1], 1, 2, weaker)
    assert not ok and "not the encoding" in why
    sat = prove_no_cover(IDENTITY, [1, 1, 1], 1, 3)
    forged = replace(sat, status="unsat", drup="0\n")              # "the empty clause follows"
    ok, why = check_cover_proof(IDENTITY, [1, 1, 1], 1, 3, forged)
    assert not ok and "does not check" in why


def test_the_rectangle_cover_of_the_octagon_comes_with_a_checked_proof():
    # rc = 6 = rank₊ while the LP gives 5
    b = rectangle_cover_bound(ngon_slack(8).X, proof=True)
    assert (b.bound, b.certified) == (6, True) and "DRUP" in b.status


def test_sat_and_the_milp_agree_on_a_small_refined_cover():
    X = np.array([[1, 3, 0, 2, 3, 0], [1, 2, 3, 3, 0, 1], [0, 2, 0, 1, 3, 2],
                  [3, 0, 3, 1, 3, 2], [3, 3, 0, 2, 0, 1], [1, 0, 1, 3, 1, 2]], dtype=float)
    plain = refined_rectangle_cover_bound(X)
    assert (plain.bound, plain.certified) == (5, False)      # the LP bound is lower
    proved = refined_rectangle_cover_bound(X, proof=True)
    assert (proved.bound, proved.certified) == (5, True)
    assert proved.certificate["proof"].k == 4


@pytest.mark.slow
def test_the_rectangle_cover_of_the_9_gon_comes_with_a_checked_proof():
    # rc = 6 while the LP gives 5: without the proof the optimum is HiGHS's word only
    X = ngon_slack(9).X
    plain, proved = rectangle_cover_bound(X), rectangle_cover_bound(X, proof=True)
    assert (plain.bound, plain.certified) == (6, False)
    assert (proved.bound, proved.certified) == (6, True) and "DRUP" in proved.status
    assert proved.certificate["proof"].status == "unsat"


@pytest.mark.slow
def test_the_refined_cover_of_the_heptagon_comes_with_a_checked_proof():
    b = refined_rectangle_cover_bound(ngon_slack(7).X, proof=True)
    assert (b.bound, b.certified) == (6, True)
    p = b.certificate["proof"]
    assert p.k == 5 and p.status == "unsat"


def _nine_gon_refined_system():
    """The 9-gon's RRCB system: "6 rectangles" takes CaDiCaL 90-120 s to refute here."""
    import time

    from nnmf_research.bounds.rectangle_cover import cover_system
    from nnmf_research.bounds.refined_rectangle_cover import nonsingular_blocks, refined_system
    X = ngon_slack(9).X
    rects, A, _ = cover_system(X, "refined_rectangle_cover", None, time.perf_counter())
    return refined_system(X, rects, A, nonsingular_blocks(X).blocks)


def _proof_children() -> list[int]:
    """Pids of this process's children that run the proof child script."""
    import os

    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and b"_proof_child.py" in cmd:
            found.append(int(pid))
    return found


def test_a_sat_solve_that_cannot_finish_stops_at_its_time_limit_and_claims_nothing():
    # CaDiCaL cannot be interrupted through PySAT (a 900 s limit once ran 1 060 s); the
    # solver now runs in a child process killed at the deadline
    import time

    M, rhs = _nine_gon_refined_system()
    t0 = time.perf_counter()
    proof = prove_no_cover(M, rhs, 2, 6, time_limit=2.0)
    elapsed = time.perf_counter() - t0
    assert proof.status == "unknown" and proof.drup == "" and 2.0 <= elapsed < 3.5
    ok, why, _ = prove_optimum(M, rhs, 2, 7, time_limit=1.0)
    assert ok is False and why.startswith("time limit") and "nothing claimed" in why
    assert _proof_children() == []


def test_a_proof_check_is_stopped_at_its_time_limit_and_certifies_nothing():
    M = sp.csr_matrix(np.vstack([np.eye(4), np.ones((1, 4))]))
    proof = prove_no_cover(M, [1, 1, 1, 1, 2], 2, 3)
    assert check_cover_proof(M, [1, 1, 1, 1, 2], 2, 3, proof, time_limit=60)[0]
    ok, why = check_cover_proof(M, [1, 1, 1, 1, 2], 2, 3, proof, time_limit=0.001)
    assert not ok and why.startswith("time limit") and _proof_children() == []


def test_ctrl_c_during_a_proof_stops_it_and_its_child():
    import os
    import signal
    import threading
    import time

    M, rhs = _nine_gon_refined_system()
    threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        prove_no_cover(M, rhs, 2, 6)
    assert time.perf_counter() - t0 < 3.0 and _proof_children() == []


def test_an_interrupted_proof_claims_nothing():
    b = refined_rectangle_cover_bound(ngon_slack(8).X, time_limit=3, proof=True)
    assert b.bound is None or b.bound <= 6
    assert b.seconds < 3 + 1.5                     # the limit binds the proof too
    if b.bound is not None and not b.certified:
        # cut short while solving, or solved with no time left to check the proof
        assert any(why in b.status for why in ("interrupted", "time limit", "not checked"))


def test_the_python_and_native_checkers_agree_where_both_exist():
    import dratify

    from nnmf_research.bounds.cover_proofs import checker_engine
    if checker_engine() != "native":
        pytest.skip("dratify's native engine is not installed (pip install cdclkit-native)")
    M = sp.csr_matrix(np.vstack([np.eye(4), np.ones((1, 4))]))
    proof = prove_no_cover(M, [1, 1, 1, 1, 2], 2, 3)
    formula = dratify.parse_dimacs(proof.cnf)
    verdicts = {e: dratify.check_proof(formula, proof.drup, engine=e).ok
                for e in ("python", "native")}
    broken = "\n".join(proof.drup.splitlines()[1:]) + "\n"       # drop the first lemma
    assert verdicts == {"python": True, "native": True}
    assert (dratify.check_proof(formula, broken, engine="python").ok
            == dratify.check_proof(formula, broken, engine="native").ok)


@pytest.mark.slow
def test_the_refined_cover_of_the_9_gon_is_7_with_a_checked_proof_that_6_cannot_do():
    # VGG 2017 Table 1; ≈ 11 min here: CaDiCaL 90 s, a DRUP proof of ~0.5 M lines, the
    # native checker ~7 min (the pure-Python one would take hours)
    from nnmf_research.bounds.cover_proofs import checker_engine
    if checker_engine() != "native":
        pytest.skip("needs dratify's native engine (pip install cdclkit-native)")
    b = refined_rectangle_cover_bound(ngon_slack(9).X, proof=True)
    assert (b.bound, b.certified) == (7, True)
    assert b.certificate["proof"].k == 6 and "DRUP" in b.status
