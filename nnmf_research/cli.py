"""The ``nnmf`` command.

    nnmf factorize data.npy -k 10 --loss frobenius --method hals --seed 0 --out run/
    nnmf factorize data.csv -k 10 --loss kl --method cvxpy --json
    nnmf reproduce --list | NAME | all [--tiny] [--force] [--jobs N]
    nnmf exact matrix.csv -r 5 --out fact/ ;  nnmf verify matrix.csv fact/
    nnmf rank matrix.csv [--json] [--bounds fooling_set,tau_sos] [--time-limit 120]

``factorize`` reads X (columns are samples: X ≈ W H with W m×k, H k×n), runs
:func:`nnmf_research.factorize.factorize`, and writes ``W.npy``, ``H.npy`` and
``summary.json`` into ``--out`` as a set (a temporary sibling folder renamed into place, only
after the run, so bad input or a failed write leaves the old folder as it was), and/or prints
the summary as JSON with ``--json``. Ctrl-C stops the run and still writes the last
complete iterate (stop_reason "interrupted ..."), also when a CVXPY solver reports the
interrupt as a failure; the command then exits 130. Output paths and options are checked
before anything is computed. Every JSON printed or written is strict (a non-finite number
is ``null``, and ``null_because`` says why).

Exit codes: 0 success, 2 bad input or options, 1 a solver failure, an invalid certificate
or no memory, 3 no exact factorization found, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

from . import __version__
from .bounds.nonnegative_rank import METHODS as RANK_METHODS
from .checks import NMFInputError, SolverFailedError, check_rank, check_solver
from .factorize import METHODS, factorize, make_updates, zero_factorization
from .init import INIT_METHODS, initialize
from .interrupts import InterruptGuard, mentions_interrupt
from .io import (check_output_dir, check_output_file, check_regular_file, json_text,
                 atomic_write_text, load_matrix, output_dir, save_json, save_matrix)
from . import losses
from .losses import LOSSES
from .models.kl import check_kl_size
from .results import Factorization

__all__ = ["main", "build_parser"]

FACTORIZE_EPILOG = """\
input formats: .npy, .npz (scipy.sparse), .csv (comma), .txt/.tsv/.dat (whitespace), .mtx
(Matrix Market). X must be non-negative and finite; columns are samples.

outputs (with --out DIR): DIR/W.npy (m x k), DIR/H.npy (k x n), DIR/summary.json with the
loss (frobenius: ||X - WH||_F^2, no 1/2; kl: sum X log(X/WH) - X + WH), relative error
||X - WH||_F / ||X||_F, iterations, stop reason and timing.

examples:
  nnmf factorize data.npy -k 10 --loss frobenius --method hals --seed 0 --out run/
  nnmf factorize data.csv -k 10 --loss kl --method mu --json
  (--loss kl --method cvxpy solves one exponential cone per entry: small matrices only)
"""


def _count(low: int):
    """argparse type: an integer >= ``low``, named in the error."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is out of range: must be >= {low}")
        return value
    return parse


def _seconds(text: str) -> float:
    """argparse type: a finite number of seconds >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be a finite number of seconds >= 0")
    return value


def _fraction(text: str) -> float:
    """argparse type: a tolerance in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (0 <= value < 1):  # also refuses NaN
        raise argparse.ArgumentTypeError(f"{text} is out of range: must be in [0, 1)")
    return value


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
    fac.add_argument("--seed", type=_count(0), default=0,
                     help="random seed for the initialization (default: %(default)s)")
    fac.add_argument("--max-iter", type=_count(0), default=200,
                     help="maximum number of alternating iterations (default: %(default)s)")
    fac.add_argument("--tol", type=_fraction, default=1e-4,
                     help="stop when the relative loss decrease of one iteration is below "
                          "this; 0 disables (default: %(default)s)")
    fac.add_argument("--time-limit", type=_seconds, default=None,
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

    ten = sub.add_parser(
        "tensor",
        help="non-negative tensor factorization of an n-way array (.npy)",
        description="Non-negative CP factorization T ~ sum_j a_j^1 o ... o a_j^n with every "
                    "factor >= 0 (Shashua & Hazan 2005) of the array in FILE (.npy, order "
                    ">= 2).",
    )
    ten.add_argument("file", metavar="FILE", help="an .npy array of order >= 2")
    ten.add_argument("-k", "--rank", dest="k", type=int, required=True,
                     help="number of rank-one terms k >= 1")
    ten.add_argument("--method", choices=("hals", "mu", "cvxpy"), default="hals",
                     help="hals (frobenius), mu (frobenius, kl) or cvxpy (the Gram-form mode "
                          "model) (default: %(default)s)")
    ten.add_argument("--loss", choices=("frobenius", "kl"), default="frobenius",
                     help="objective (default: %(default)s)")
    ten.add_argument("--seed", type=_count(0), default=0,
                     help="random seed for the initial factors (default: %(default)s)")
    ten.add_argument("--max-iter", type=_count(0), default=200,
                     help="maximum number of sweeps over the modes (default: %(default)s)")
    ten.add_argument("--tol", type=_fraction, default=1e-4,
                     help="stop when the relative loss decrease of one sweep is below this "
                          "(default: %(default)s)")
    ten.add_argument("--time-limit", type=_seconds, default=None,
                     help="stop after this many seconds (default: none)")
    ten.add_argument("--solver", default=None, help="CVXPY solver for --method cvxpy")
    ten.add_argument("--out", type=Path, default=None,
                     help="directory to write A1.npy ... An.npy and summary.json into")
    ten.add_argument("--json", action="store_true", help="print the summary as JSON")
    ten.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    ten.set_defaults(handler=_tensor)

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
    rep.add_argument("--jobs", type=_count(1), default=1,
                     help="cells run in parallel through joblib (default: %(default)s)")
    rep.add_argument("--results", type=Path, default=Path("results"),
                     help="folder for cached cells and tables (default: %(default)s)")
    rep.add_argument("--figures", type=Path, default=None,
                     help="folder for figures (default: paper_figures/ for full runs)")
    rep.add_argument("--config-dir", type=Path, default=None,
                     help="folder of experiment TOML files (default: the repository's "
                          "experiments/, or the copies installed with the package)")
    rep.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    rep.set_defaults(handler=_reproduce)

    ex = sub.add_parser(
        "exact",
        help="search for an exact NMF X = WH and certify it",
        description="Search for W >= 0 (m x r), H >= 0 (r x n) with X = WH (Vandaele et al. "
                    "2016 heuristics), then try to certify it in exact rational arithmetic. "
                    "The status is one of: certified exact, numerically exact (< tol), "
                    "not found.",
        epilog="examples:\n  nnmf exact matrix.csv -r 5 --time-limit 60 --seed 0 --out fact/\n"
               "  nnmf exact matrix.csv --smallest --time-limit 300",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ex.add_argument("file", metavar="FILE", help="matrix file (.npy .npz .csv .txt .mtx)")
    ex.add_argument("-r", "--rank", dest="r", type=int, default=None,
                    help="inner dimension r, 1 <= r <= min(m, n)")
    ex.add_argument("--smallest", action="store_true",
                    help="try r = rank(X), rank(X) + 1, ... and report the smallest found")
    ex.add_argument("--heuristic", default="hybrid",
                    choices=("multistart", "rank_by_rank", "annealing", "hybrid"),
                    help="search heuristic (default: %(default)s)")
    ex.add_argument("--time-limit", type=_seconds, default=60.0,
                    help="seconds per rank tried and restart (default: %(default)s)")
    ex.add_argument("--tol", type=_fraction, default=1e-6,
                    help="relative error counted as numerically exact (default: %(default)s)")
    ex.add_argument("--seed", type=_count(0), default=0,
                    help="random seed (default: %(default)s)")
    ex.add_argument("--restarts", type=_count(1), default=1,
                    help="independent restarts (default: %(default)s)")
    ex.add_argument("--jobs", type=_count(1), default=1,
                    help="restarts run in parallel through joblib (default: %(default)s)")
    ex.add_argument("--out", type=Path, default=None,
                    help="directory for W.npy, H.npy, certificate.json, summary.json; "
                         "finished restarts are saved in OUT/restarts so a rerun resumes")
    ex.add_argument("--json", action="store_true", help="print the summary as JSON")
    ex.set_defaults(handler=_exact)

    rk = sub.add_parser(
        "rank",
        help="bracket the nonnegative rank: every lower bound and an exact-NMF upper bound",
        description="Compute lower bounds on rank+(X) (rank, fooling set, rectangle cover and "
                    "its LP relaxation, hyperplane separation, geometric, nonnegative nuclear "
                    "norm, tau+^sos) and upper bounds (restricted rank-3 nested polygon, "
                    "exact NMF), within one time budget. Prints a table and the bracket "
                    "lower <= rank+ <= upper.",
        epilog="examples:\n  nnmf rank matrix.csv\n  nnmf rank matrix.csv --json\n"
               "  nnmf rank matrix.csv --bounds fooling_set,tau_sos --time-limit 120",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rk.add_argument("file", metavar="FILE", help="matrix file (.npy .npz .csv .txt .mtx)")
    rk.add_argument("--bounds", default=None,
                    help="comma-separated methods (default: all): " + ", ".join(RANK_METHODS))
    rk.add_argument("--time-limit", type=_seconds, default=120.0,
                    help="seconds for the whole run (default: %(default)s)")
    rk.add_argument("--seed", type=_count(0), default=0,
                    help="random seed of the exact-NMF search (default: %(default)s)")
    rk.add_argument("--json", action="store_true", help="print the report as JSON")
    rk.add_argument("--out", type=Path, default=None,
                    help="also write the JSON report to this file")
    rk.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    rk.set_defaults(handler=_rank)

    ver = sub.add_parser(
        "verify",
        help="re-check a certificate in exact arithmetic",
        description="Re-check a certificate written by 'nnmf exact' against the matrix, "
                    "in exact rational arithmetic, independently of how it was found.",
    )
    ver.add_argument("file", metavar="FILE", help="the matrix file the certificate is about")
    ver.add_argument("certificate", type=Path,
                     help="certificate.json, or the directory holding it")
    ver.set_defaults(handler=_verify)
    return parser


EXACT_OUTPUTS = ("W.npy", "H.npy", "certificate.json", "summary.json", "restarts")
FACTORIZE_OUTPUTS = ("W.npy", "H.npy", "summary.json")


def _exact(args) -> int:
    from .bounds.certificates import certify, save_certificate
    from .bounds.entrywise import clean_zeros, entrywise_relative_error
    from .bounds.exact_nmf import exact_nmf
    from .bounds.rank import matrix_rank

    if args.out is not None:
        check_output_dir(args.out, owned=EXACT_OUTPUTS)
    X = load_matrix(args.file)
    if args.r is None and not args.smallest:
        raise NMFInputError("give -r R or --smallest")
    checkpoint = None if args.out is None else args.out / "restarts"
    # rank(X) ≤ rank₊(X): the rank counted for the stored values (bounds/rank.py)
    ranks = ([args.r] if not args.smallest else
             range(max(1, matrix_rank(X)), min(X.shape) + 1))
    tried = []
    for r in ranks:
        result = exact_nmf(X, r, heuristic=args.heuristic, tol=args.tol,
                           time_limit=args.time_limit, random_state=args.seed,
                           restarts=args.restarts, n_jobs=args.jobs,
                           checkpoint_dir=checkpoint)
        # Vandaele et al.'s criterion is a Frobenius ratio; a claim is checked entry by
        # entry (bounds/entrywise.py), or proved exactly by certify
        W, H = clean_zeros(X, result.W, result.H) if result.found else (result.W, result.H)
        worst = entrywise_relative_error(X, W, H)
        cert = certify(X, W, H) if result.found else None
        status = result.status
        if cert is not None and cert.exact:
            status = "certified exact"
        elif result.found and not worst <= args.tol:
            status = (f"near miss: relative error {result.relative_error:.3g} but the worst "
                      f"entry is off by {worst:.3g} (relative; above tol {args.tol:g})")
        found = result.found and (cert.exact or worst <= args.tol)
        result = replace(result, W=W, H=H)
        tried.append({**result.summary(), "status": status, "entrywise_error": worst})
        print(f"r={r}: {status}, relative error {result.relative_error:.3g}, "
              f"{result.seconds:.2f} s", file=sys.stderr)
        if found:
            break
    summary = {"input": str(args.file), "shape": list(X.shape), "r": result.r,
               "status": status, "relative_error": result.relative_error,
               "entrywise_error": worst,
               "heuristic": result.heuristic, "seconds": result.seconds,
               "certificate_claim": None if cert is None else cert.claim, "tried": tried,
               "nnmf_research_version": __version__}
    if args.out is not None:
        with output_dir(args.out, keep=("restarts",)) as out:
            save_matrix(out / "W.npy", result.W)
            save_matrix(out / "H.npy", result.H)
            if cert is not None:
                save_certificate(out / "certificate.json", cert)
            save_json(out / "summary.json", summary)
    if args.json:
        print(json_text(summary))
    else:
        print(f"r={result.r}: {status} (relative error {result.relative_error:.3g}, "
              f"{result.heuristic}, {result.seconds:.2f} s)")
    return 0 if found else 3


def _tensor(args) -> int:
    from .tensor import load_tensor, ntf, save_ntf

    T = load_tensor(args.file)
    owned = tuple(f"A{r}.npy" for r in range(1, T.ndim + 1)) + ("summary.json",)
    if args.out is not None:
        check_output_dir(args.out, owned=owned)
    fit = ntf(T, args.k, method=args.method, loss=args.loss, random_state=args.seed,
              max_iter=args.max_iter, tol=args.tol, time_limit=args.time_limit,
              solver=args.solver, progress=None if args.quiet else 2.0)
    extra = {"input": str(args.file), "seed": args.seed, "nnmf_research_version": __version__}
    if args.out is not None:
        with output_dir(args.out) as out:
            save_ntf(fit, out, extra)
    if args.json:
        print(json_text({**fit.summary(), **extra}))
    elif not args.quiet or args.out is None:
        print(f"{args.method}/{args.loss} k={args.k}: loss {fit.loss:.6g}, relative error "
              f"{fit.relative_error:.3g}, {fit.stop_reason}, {fit.seconds:.2f} s")
    return 130 if fit.stop_reason.startswith("interrupted") else 0


def _rank(args) -> int:
    from .bounds.nonnegative_rank import nonnegative_rank

    if args.out is not None:
        check_output_file(args.out)
    X = load_matrix(args.file)

    def progress(bound):
        if not args.quiet:
            shown = "-" if bound.bound is None else bound.bound
            print(f"{bound.method}: {shown} ({bound.seconds:.2f} s)", file=sys.stderr)

    report = nonnegative_rank(X, bounds=args.bounds, time_limit=args.time_limit,
                              random_state=args.seed, progress=progress)
    summary = {"input": str(args.file), **report.summary(),
               "nnmf_research_version": __version__}
    if args.out is not None:
        save_json(args.out, summary)
    print(json_text(summary) if args.json else report.table())
    return 0


def _verify(args) -> int:
    from .bounds.certificates import load_certificate, verify_certificate

    X = load_matrix(args.file)
    path = args.certificate
    if path.is_dir():
        path = path / "certificate.json"
    check_regular_file(path, "certificate")
    report = verify_certificate(X, load_certificate(path))
    print(f"{'valid' if report['valid'] else 'INVALID'}: {report['claim']} — {report['reason']}")
    return 0 if report["valid"] else 1


def _reproduce(args) -> int:
    from .reproduce import list_experiments, load_experiment, run_experiment

    check_output_dir(args.results, "--results")
    if args.figures is not None:
        check_output_dir(args.figures, "--figures")
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


def _precheck(args, shape) -> None:
    """What ``factorize`` would refuse about method, loss, solver and size, checked cheaply
    (the CVXPY models are compiled once, by ``factorize``)."""
    if args.method != "cvxpy":
        make_updates(args.method, args.loss, shape, args.k)
        if args.solver is not None:
            make_updates(args.method, args.loss, shape, args.k, solver=args.solver)
        return
    check_solver(args.solver)
    if args.loss == "kl":
        check_kl_size(*shape)


def _factorize(args) -> int:
    if args.out is not None:
        check_output_dir(args.out, owned=FACTORIZE_OUTPUTS)
    X = load_matrix(args.file)
    check_rank(args.k, X.shape)
    start = time.perf_counter()
    interrupted = False
    if not X.any():
        fit, init_seconds = zero_factorization(X.shape, args.k, args.loss), 0.0
    else:
        last = {}
        with InterruptGuard() as guard, _SolverOutput() as solver_output:
            _precheck(args, X.shape)  # bad options are refused before a long initialization
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


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"nnmf: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning  # one line, no source; restored on exit
            return args.handler(args)
    except NMFInputError as exc:
        print(f"nnmf: error: {exc}", file=sys.stderr)
        return 2
    except SolverFailedError as exc:
        print(f"nnmf: solver failure: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("nnmf: interrupted (Ctrl-C)", file=sys.stderr)
        return 130
    except MemoryError:
        print("nnmf: error: out of memory (try a smaller input, a smaller k, or set "
              "NNMF_MAX_BYTES lower so oversized inputs are refused early)", file=sys.stderr)
        return 1
    except OSError as exc:
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"nnmf: error:{where} {exc.strerror or exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
