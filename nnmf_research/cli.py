"""The ``nnmf`` command.

    nnmf factorize data.npy -k 10 --loss frobenius --method hals --seed 0 --out run/
    nnmf factorize data.csv -k 10 --loss kl --method cvxpy --json
    nnmf reproduce --list | NAME | all [--tiny] [--force] [--jobs N]

``factorize`` reads X (columns are samples: X ≈ W H with W m×k, H k×n), runs
:func:`nnmf_research.factorize.factorize`, and writes ``W.npy``, ``H.npy`` and
``summary.json`` into ``--out`` (each file atomically, and only after the run, so bad input
writes nothing), and/or prints the summary as JSON with ``--json``. Ctrl-C stops the run
and still writes the last complete iterate (stop_reason "interrupted ...").

Exit codes: 0 success, 2 bad input or options, 1 a solver failure.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .checks import NMFInputError, SolverFailedError
from .factorize import METHODS, factorize
from .init import INIT_METHODS
from .io import load_matrix, save_json, save_matrix
from .losses import LOSSES

__all__ = ["main", "build_parser"]

FACTORIZE_EPILOG = """\
input formats: .npy, .npz (scipy.sparse), .csv (comma), .txt/.tsv/.dat (whitespace), .mtx
(Matrix Market). X must be non-negative and finite; columns are samples.

outputs (with --out DIR): DIR/W.npy (m x k), DIR/H.npy (k x n), DIR/summary.json with the
loss (frobenius: ||X - WH||_F^2, no 1/2; kl: sum X log(X/WH) - X + WH), relative error
||X - WH||_F / ||X||_F, iterations, stop reason and timing.

examples:
  nnmf factorize data.npy -k 10 --loss frobenius --method hals --seed 0 --out run/
  nnmf factorize data.csv -k 10 --loss kl --method cvxpy --json
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnmf",
        description="nnmf_research: non-negative matrix factorization for research.",
    )
    parser.add_argument("--version", action="version", version=f"nnmf_research {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    fac = sub.add_parser(
        "factorize",
        help="approximate NMF X ~ WH of a matrix file",
        description="Approximate NMF X ~ W H (W, H >= 0) of the matrix in FILE.",
        epilog=FACTORIZE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fac.add_argument("file", metavar="FILE", help="matrix file (see input formats below)")
    fac.add_argument("-k", "--rank", dest="k", type=int, required=True,
                     help="inner dimension k, 1 <= k <= min(m, n)")
    fac.add_argument("--loss", choices=LOSSES, default="frobenius",
                     help="objective: frobenius = ||X - WH||_F^2, kl = generalized KL "
                          "divergence D(X||WH) (default: %(default)s)")
    fac.add_argument("--method", choices=METHODS, default="hals",
                     help="mu = Lee-Seung multiplicative updates (frobenius, kl); hals = "
                          "accelerated HALS (frobenius); anls = exact NNLS per column "
                          "(frobenius); cvxpy = the CVXPY models (frobenius, kl) "
                          "(default: %(default)s)")
    fac.add_argument("--init", choices=INIT_METHODS, default="nndsvda",
                     help="initial factors (default: %(default)s)")
    fac.add_argument("--seed", type=int, default=0,
                     help="random seed for the initialization (default: %(default)s)")
    fac.add_argument("--max-iter", type=int, default=200,
                     help="maximum number of alternating iterations (default: %(default)s)")
    fac.add_argument("--tol", type=float, default=1e-4,
                     help="stop when the relative loss decrease of one iteration is below "
                          "this; 0 disables (default: %(default)s)")
    fac.add_argument("--time-limit", type=float, default=None,
                     help="stop after this many seconds (default: none)")
    fac.add_argument("--solver", default=None,
                     help="CVXPY solver for --method cvxpy, e.g. OSQP, CLARABEL, SCS "
                          "(default: OSQP for frobenius, CLARABEL for kl)")
    fac.add_argument("--out", type=Path, default=None,
                     help="directory to write W.npy, H.npy and summary.json into")
    fac.add_argument("--json", action="store_true",
                     help="print the summary as JSON on stdout")
    fac.add_argument("--quiet", action="store_true",
                     help="no progress lines on stderr")
    fac.set_defaults(handler=_factorize)

    rep = sub.add_parser(
        "reproduce",
        help="run a paper comparison (an experiment config) and draw its figures",
        description="Run experiment configs from experiments/*.toml: every missing cell of "
                    "the grid (finished cells are reused, so an interrupted run resumes), "
                    "then the results table and the figures.",
        epilog="examples:\n  nnmf reproduce --list\n  nnmf reproduce lee_seung_1999_faces\n"
               "  nnmf reproduce all --tiny",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rep.add_argument("experiments", nargs="*", metavar="NAME",
                     help="experiment names (config file stems), or 'all'")
    rep.add_argument("--list", action="store_true",
                     help="list every experiment, its paper and what it compares")
    rep.add_argument("--tiny", action="store_true",
                     help="run each config at its [tiny] size (minutes; what the tests run); "
                          "figures then go to RESULTS/<name>-tiny/figures")
    rep.add_argument("--force", action="store_true",
                     help="recompute finished cells instead of reusing them")
    rep.add_argument("--jobs", type=int, default=1,
                     help="cells run in parallel through joblib (default: %(default)s)")
    rep.add_argument("--results", type=Path, default=Path("results"),
                     help="folder for cached cells and tables (default: %(default)s)")
    rep.add_argument("--figures", type=Path, default=None,
                     help="folder for figures (default: paper_figures/ for full runs)")
    rep.add_argument("--config-dir", type=Path, default=None,
                     help="folder of experiment TOML files (default: the repository's "
                          "experiments/)")
    rep.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    rep.set_defaults(handler=_reproduce)
    return parser


def _reproduce(args) -> int:
    from .runner import list_experiments, load_experiment, run_experiment

    available = list_experiments(args.config_dir)
    if args.list:
        for name, path in available.items():
            exp = load_experiment(path)
            print(f"{name}\n    paper:    {exp.paper}\n    compares: {exp.compares}")
        return 0
    if not args.experiments:
        raise NMFInputError("name an experiment (or 'all'); see: nnmf reproduce --list")
    names = list(available) if args.experiments == ["all"] else args.experiments
    for name in names:
        if name not in available:
            raise NMFInputError(f"unknown experiment {name!r}; valid: "
                                f"{', '.join(available)}, all")
    # Validate every config before any cell runs.
    configs = [load_experiment(available[name], tiny=args.tiny) for name in names]
    failed = 0
    for exp in configs:
        try:
            report = run_experiment(exp, args.results, args.figures, jobs=args.jobs,
                                    force=args.force, progress=not args.quiet)
        except KeyboardInterrupt:
            print(f"nnmf: interrupted; finished cells of {exp.name} are saved, rerun to "
                  "resume", file=sys.stderr)
            return 130
        failed += len(report.failures)
        print(f"{exp.name}: {report.ran} cells run, {report.cached} reused, "
              f"{report.skipped} skipped, {len(report.failures)} failed; table "
              f"{report.table}; figures: {', '.join(map(str, report.figures)) or 'none'}")
        for failure in report.failures:
            print(f"  failed cell {failure['dataset']}/{failure['method']}/k={failure['k']}/"
                  f"rep {failure['rep']}: {failure['status']}", file=sys.stderr)
    return 1 if failed else 0


def _factorize(args) -> int:
    X = load_matrix(args.file)
    fit = factorize(
        X, args.k, loss=args.loss, method=args.method, init=args.init,
        random_state=args.seed, max_iter=args.max_iter, tol=args.tol,
        time_limit=args.time_limit, solver=args.solver,
        progress=None if args.quiet else 2.0,
    )
    summary = {
        "input": str(args.file),
        **fit.summary(),
        "method": args.method,
        "init": args.init,
        "seed": args.seed,
        "nnmf_research_version": __version__,
    }
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        save_matrix(args.out / "W.npy", fit.W)
        save_matrix(args.out / "H.npy", fit.H)
        save_json(args.out / "summary.json", summary)
    if args.json:
        print(json.dumps(summary, indent=2))
    elif not args.quiet or args.out is None:
        print(f"{args.method}/{args.loss} k={fit.k}: loss {fit.loss:.6g}, relative error "
              f"{fit.relative_error:.3g}, {fit.stop_reason}, {fit.seconds:.2f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except NMFInputError as exc:
        print(f"nnmf: error: {exc}", file=sys.stderr)
        return 2
    except SolverFailedError as exc:
        print(f"nnmf: solver failure: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
