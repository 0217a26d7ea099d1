"""The child process of :func:`.cover_proofs._in_child`: one SAT solve or one proof check.

Run as a script (``python -P _proof_child.py TASK CPU OUT IN...``), importing only pysat or
dratify, so it starts in a few hundredths of a second and can be killed at a deadline:

* TASK "solve", inputs (DIMACS CNF, PySAT solver name): writes "sat" or "unsat", a newline
  and the solver's DRUP proof;
* TASK "check", inputs (DIMACS CNF, DRUP proof, dratify engine): writes "ok" or "fail", a
  newline and dratify's verdict.

CPU is "none" or a CPU-second limit (RLIMIT_CPU), the backstop that ends an orphan. The
answer is written to OUT.part and renamed to OUT, so a killed child leaves no answer.
"""

import os
import resource
import sys


def main(argv: list[str]) -> None:
    task, cpu, out, *paths = argv
    if cpu != "none":
        resource.setrlimit(resource.RLIMIT_CPU, (int(cpu), int(cpu) + 5))
    texts = []
    for path in paths:
        with open(path) as f:
            texts.append(f.read())
    if task == "solve":
        from pysat.formula import CNF
        from pysat.solvers import Solver

        cnf, name = texts
        with Solver(name=name, bootstrap_with=CNF(from_string=cnf).clauses,
                    with_proof=True) as s:
            result = s.solve()
            proof = s.get_proof() if result is False else None
        answer = ("sat\n" if result else
                  "unsat\n" + ("\n".join(proof) + "\n" if proof else ""))
    elif task == "check":
        import dratify

        cnf, drup, engine = texts
        if engine == "native":
            import cdclkit.native  # noqa: F401  (registers the Rust checker with dratify)
        result = dratify.check_proof(dratify.parse_dimacs(cnf), drup, engine=engine)
        answer = ("ok" if result.ok else "fail") + f"\n{result}"
    else:
        raise ValueError(f"unknown task {task!r}")
    with open(out + ".part", "w") as f:
        f.write(answer)
    os.replace(out + ".part", out)


if __name__ == "__main__":
    main(sys.argv[1:])
