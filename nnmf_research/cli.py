"""The ``nnmf`` command.

    nnmf factorize data.npy -k 10 --loss frobenius --method hals --seed 0 --out run/
    nnmf factorize data.csv -k 10 --loss kl --method cvxpy --json

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
    return parser


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
