"""The regular 13-gon's refined rectangle covering bound (issue 19's stretch case), one attempt.

    nice -n 10 python benchmarks/rrcb_13gon.py [--milp-seconds 1800] [--total-seconds 3600]

VGG 2017 (Linear Algebra Appl. 521, Table 1) give RRCB = 8 for n = 13; the geometric bounds
give 7 here. Proving 8 needs "7 rectangles cannot do" on a system of 1 495 maximal rectangles
and 2 925 non-singular 2×2 blocks (LP relaxation 5.2). Two routes, one after the other, on one
core (BLAS 1 thread; HiGHS's MIP search and CaDiCaL are serial), within ``--total-seconds``:

1. the toolkit's ``refined_rectangle_cover_bound`` (HiGHS MILP with the orbit-leader
   constraints of the verified dihedral group of order 26), ``--milp-seconds``, no proof; on
   the time limit it reports HiGHS's dual bound, the bracket reached; HiGHS's log is printed;
2. if the MILP did not settle it, ``cover_proofs.prove_optimum(…, 8, …)`` with the time left:
   CaDiCaL refutes "a cover with 7" with a DRUP proof that dratify then checks (both in a
   child process killed at the deadline) — success certifies RRCB ≥ 8.

Prints one JSON line per phase and the load averages at the start and the end.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from threadpoolctl import threadpool_limits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=13)
    ap.add_argument("--milp-seconds", type=float, default=1800.0)
    ap.add_argument("--total-seconds", type=float, default=3600.0)
    args = ap.parse_args()

    import scipy.optimize

    from nnmf_research.bounds import rectangle_cover
    from nnmf_research.bounds.cover_proofs import prove_optimum
    from nnmf_research.bounds.refined_rectangle_cover import (nonsingular_blocks,
                                                              refined_rectangle_cover_bound,
                                                              refined_system)
    from nnmf_research.datasets import ngon_slack

    def milp_with_log(*a, options=None, **kw):        # HiGHS's progress lines on stdout
        return scipy.optimize.milp(*a, options={**(options or {}), "disp": True}, **kw)

    rectangle_cover.milp = milp_with_log
    t0 = time.perf_counter()
    print(json.dumps({"n": args.n, "load_start": os.getloadavg()}), flush=True)
    X = ngon_slack(args.n).X
    with threadpool_limits(1):
        b = refined_rectangle_cover_bound(X, time_limit=args.milp_seconds, proof=False,
                                          symmetry=True)
    print(json.dumps({"phase": "milp", "bound": b.bound, "value": b.value,
                      "seconds": round(b.seconds, 1), "status": str(b.status)}), flush=True)
    if b.status.kind.name == "OK" and b.bound != 8:
        return                        # the MILP's optimum is known and is not VGG's 8
    rects, A, _ = rectangle_cover.cover_system(X, "refined_rectangle_cover", None,
                                               time.perf_counter())
    M, rhs = refined_system(X, rects, A, nonsingular_blocks(X).blocks)
    left = args.total_seconds - (time.perf_counter() - t0)
    ok, why, proof = prove_optimum(M, rhs, 2, 8, time_limit=left)
    meaning = {True: "RRCB >= 8, certified", False: "nothing proved by SAT",
               None: "a cover with 7 exists: RRCB <= 7"}[ok]
    print(json.dumps({"phase": "sat", "result": meaning, "why": why,
                      "proof": proof.summary() if proof else None,
                      "total_seconds": round(time.perf_counter() - t0, 1),
                      "load_end": os.getloadavg()}), flush=True)


if __name__ == "__main__":
    main()
