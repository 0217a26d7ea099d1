"""``nnmf factorize``: approximate NMF of a matrix file (W.npy, H.npy, summary.json as one set).

Ctrl-C stops the run and still writes the last complete iterate (stop_reason "interrupted
..."), also when a CVXPY solver reports the interrupt as a failure; the command then exits 130.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import scipy.sparse as sp

from .. import __version__, losses
from ..checks import NMFInputError, SolverFailedError, check_rank, check_solver
from ..factorize import (FACTORIZE_METHODS, SPARSE_METHODS, factorize, make_updates,
                         zero_factorization)
from ..init import INIT_METHODS, initialize
from ..interrupts import InterruptGuard, mentions_interrupt
from ..io import (atomic_write_text, check_output_dir, json_text, load_matrix, output_dir,
                  save_matrix)
from ..losses import LOSSES
from ..results import Factorization
from .discrete import MODEL_METHODS, MODELS, run_discrete
from .options import add_loop_options, add_output_options, count

__all__ = ["add_parser", "run"]

_ALL_METHODS = tuple(dict.fromkeys(FACTORIZE_METHODS + sum(MODEL_METHODS.values(), ())))

FACTORIZE_EPILOG = """\
input formats: .npy, .npz (scipy.sparse), .csv (comma), .txt/.tsv/.dat (whitespace), .mtx
(Matrix Market). X must be non-negative and finite; columns are samples.

outputs (with --out DIR): DIR/W.npy (m x k), DIR/H.npy (k x n), DIR/summary.json with the
loss (frobenius: ||X - WH||_F^2, no 1/2; kl: sum X log(X/WH) - X + WH), relative error
||X - WH||_F / ||X||_F, iterations, stop reason and timing.

examples:
  nnmf factorize data.npy -k 10 --loss frobenius --method hals --seed 0 --out run/
  nnmf factorize data.csv -k 10 --loss kl --method mu --json
  nnmf factorize counts.mtx -k 20 --loss kl --method cd --out run/
  (--loss kl with --method mu, cd or cvxpy keeps a sparse .mtx/.npz sparse: the updates
  read X on its non-zeros; --loss kl --method cvxpy solves one exponential cone per stored
  entry: small matrices only)
  nnmf factorize counts.csv -k 3 --model integer --bound 3 --time-limit 60 --out run/
  nnmf factorize binary.csv -k 4 --model boolean --method exact --out run/
"""


def add_parser(sub) -> None:
    """Add the subcommand to the ``nnmf`` parser (``sub``: its subparsers)."""
    p = sub.add_parser(
        "factorize",
        help="approximate NMF X ~ WH of a matrix file",
        description="Approximate NMF X ~ W H (W, H >= 0) of the matrix in FILE.",
        epilog=FACTORIZE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE", help="matrix file (see input formats below)")
    p.add_argument("-k", "--rank", dest="k", type=int, required=True,
                   help="inner dimension k, 1 <= k <= min(m, n)")
    p.add_argument("--model", choices=MODELS, default="nmf",
                   help="nmf = W, H >= 0 real; integer = W, H integer in [0, --bound] "
                        "(mixed-integer steps); boolean = 0/1 data, W, H 0/1, X ~ W o H over "
                        "the Boolean semiring (default: %(default)s)")
    p.add_argument("--loss", choices=LOSSES + ("l1",), default="frobenius",
                   help="objective: frobenius = ||X - WH||_F^2, kl = generalized KL "
                        "divergence D(X||WH), l1 = sum |X - WH| (--model integer only) "
                        "(default: %(default)s)")
    p.add_argument("--method", choices=_ALL_METHODS, default=None,
                   help="nmf: mu = Lee-Seung multiplicative updates (frobenius, kl); hals = "
                        "accelerated HALS (frobenius, the default); anls = exact NNLS per "
                        "column (frobenius); cd = Hsieh-Dhillon coordinate descent (kl); "
                        "cvxpy = the CVXPY models (frobenius, kl). "
                        "integer: relax_round (default), alternating, exact. boolean: exact "
                        "(default), asso, threshold")
    p.add_argument("--bound", type=count(1), default=1,
                   help="--model integer: entries of W and H in {0, ..., BOUND} "
                        "(default: %(default)s, binary)")
    p.add_argument("--restarts", type=count(1), default=10,
                   help="--model integer: seeded restarts (default: %(default)s)")
    p.add_argument("--init", choices=INIT_METHODS, default="nndsvda",
                   help="initial factors (default: %(default)s)")
    add_loop_options(p, steps="alternating iterations", step="iteration",
                     seed_of="the initialization")
    p.add_argument("--solver", default=None,
                   help="CVXPY solver for --method cvxpy, e.g. OSQP, CLARABEL, SCS "
                        "(default: OSQP for frobenius, CLARABEL for kl); for --model "
                        "integer / boolean the MIP solver, SCIP or HIGHS (default: SCIP, and "
                        "HIGHS for --loss l1)")
    add_output_options(p, writes="W.npy, H.npy and summary.json")
    p.set_defaults(handler=run)


FACTORIZE_OUTPUTS = ("W.npy", "H.npy", "summary.json")


def _remember(last: dict, it, W, H, loss) -> bool:
    """Callback: keep the last complete iterate (for a solver that loses it on Ctrl-C)."""
    last.update(W=W, H=H, n_iter=it)
    last["history"].append(loss)
    last["times"].append(time.perf_counter() - last["start"])
    return False


class _SolverOutput:
    """Collects what C solvers print on file descriptor 1 during the block (OSQP says
    "Solver interrupted" there, and only there, when it caught a Ctrl-C) and passes it on
    to stdout afterwards."""

    def __enter__(self):
        import tempfile

        self.text = ""
        sys.stdout.flush()
        self._file = tempfile.TemporaryFile()
        self._saved = os.dup(1)
        os.dup2(self._file.fileno(), 1)
        return self

    def __exit__(self, *exc) -> bool:
        sys.stdout.flush()
        os.dup2(self._saved, 1)
        os.close(self._saved)
        self._file.seek(0)
        data = self._file.read()
        self._file.close()
        self.text = data.decode("utf-8", "replace")
        if data:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        return False


def _last_complete(X, loss: str, last: dict) -> Factorization:
    W, H, n_iter = last["W"], last["H"], last["n_iter"]
    return Factorization(
        W, H, losses.loss(loss, X, W, H), loss, n_iter,
        f"interrupted after {n_iter} iterations (Ctrl-C; returning the last complete "
        "iterate)", tuple(last["history"]), tuple(last["times"]),
        losses.relative_error(X, W, H), time.perf_counter() - last["start"])


def _precheck(args, shape, nnz=None) -> None:
    """What ``factorize`` would refuse about method, loss, solver and size, checked cheaply
    (the CVXPY models are compiled once, by ``factorize``)."""
    if args.method != "cvxpy":
        make_updates(args.method, args.loss, shape, args.k)
        if args.solver is not None:
            make_updates(args.method, args.loss, shape, args.k, solver=args.solver)
        return
    check_solver(args.solver)
    if args.loss == "kl":
        from ..models.kl import check_kl_size

        check_kl_size(*shape, nnz)


def run(args) -> int:
    if args.out is not None:
        check_output_dir(args.out, owned=FACTORIZE_OUTPUTS)
    X = load_matrix(args.file, keep_sparse=(args.method, args.loss) in SPARSE_METHODS)
    check_rank(args.k, X.shape)
    if args.model != "nmf":
        return run_discrete(args, X)
    if args.method is None:
        args.method = "hals"
    if args.method not in FACTORIZE_METHODS or args.loss not in LOSSES:
        what = (f"method {args.method!r}" if args.method not in FACTORIZE_METHODS
                else f"loss {args.loss!r}")
        raise NMFInputError(f"--model nmf has no {what} (valid methods: "
                            f"{', '.join(FACTORIZE_METHODS)}; losses: {', '.join(LOSSES)})")
    start = time.perf_counter()
    interrupted = False
    if (X.nnz == 0) if sp.issparse(X) else not X.any():
        fit, init_seconds = zero_factorization(X.shape, args.k, args.loss), 0.0
    else:
        last = {}
        with InterruptGuard() as guard, _SolverOutput() as solver_output:
            _precheck(args, X.shape, X.nnz if sp.issparse(X) else None)  # bad options are refused before a long initialization
            W0, H0 = initialize(X, args.k, method=args.init, random_state=args.seed)
            init_seconds = time.perf_counter() - start
            last.update(W=W0, H=H0, n_iter=0, history=[losses.loss(args.loss, X, W0, H0)],
                        times=[0.0], start=time.perf_counter())
            try:
                fit = factorize(
                    X, args.k, loss=args.loss, method=args.method, W=W0, H=H0,
                    max_iter=args.max_iter, tol=args.tol, time_limit=args.time_limit,
                    solver=args.solver, callback=lambda *state: _remember(last, *state),
                    progress=None if args.quiet else 2.0)
            except SolverFailedError:
                fit = None
        if fit is None:  # OSQP / CLARABEL catch Ctrl-C themselves and report a failure
            if not (guard.hit or mentions_interrupt(solver_output.text)):
                raise
            fit = _last_complete(X, args.loss, last)
        interrupted = guard.hit or mentions_interrupt(fit.stop_reason)
    summary = {
        "input": str(args.file),
        **fit.summary(),
        "seconds": init_seconds + fit.seconds,
        "init_seconds": init_seconds,
        "method": args.method,
        "init": args.init,
        "seed": args.seed,
        "nnmf_research_version": __version__,
    }
    why = {"relative_error": "X is all zeros: ||X - WH||_F / ||X||_F is 0/0"}
    if args.out is not None:
        with output_dir(args.out) as out:
            save_matrix(out / "W.npy", fit.W)
            save_matrix(out / "H.npy", fit.H)
            atomic_write_text(out / "summary.json", json_text(summary, why_null=why) + "\n")
    if args.json:
        print(json_text(summary, why_null=why))
    elif not args.quiet or args.out is None:
        print(f"{args.method}/{args.loss} k={fit.k}: loss {fit.loss:.6g}, relative error "
              f"{fit.relative_error:.3g}, {fit.stop_reason}, {summary['seconds']:.2f} s")
    return 130 if interrupted else 0
