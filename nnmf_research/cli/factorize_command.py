"""``nnmf factorize``: approximate NMF of a matrix file (W.npy, H.npy, summary.json as one set).

``--model`` chooses the family: ``nmf`` (the default, below) or one of the table in
:mod:`nnmf_research.cli.models` (semi, convex, kernel-convex, separable), each with its own
outputs, written as one set in the same way; :data:`MODELS` maps a name to (runner, outputs).

Ctrl-C stops the run and still writes the last complete iterate (stop_reason "interrupted
..."), also when a CVXPY solver reports the interrupt as a failure; the command then exits 130.
"""

from __future__ import annotations

import argparse
import sys
import time

import scipy.sparse as sp

from .. import __version__, losses
from ..checks import (NMFInputError, SolverFailedError, check_choice, check_observed,
                      check_rank, check_solver)
from ..factorize import (FACTORIZE_METHODS, _has_nan, _mean_filled, factorize, keeps_sparse,
                         make_updates, zero_factorization)
from ..init import INIT_METHODS, initialize
from ..interrupts import InterruptGuard, mentions_interrupt
from ..io import check_output_dir, load_matrix, read_matrix
from ..losses import BETA_LOSSES, LOSSES
from ..results import Factorization
from .discrete import MODEL_METHODS as DISCRETE_METHODS, run_discrete
from .models import MODEL_METHODS, MODELS as OTHER_MODELS, resolve_options, run_model
from .options import add_loop_options, add_output_options, count, nonnegative
from .outputs import write_and_report

__all__ = ["add_parser", "run"]


FACTORIZE_EPILOG = """\
input formats: .npy, .npz (scipy.sparse), .csv (comma), .txt/.tsv/.dat (whitespace), .mtx
(Matrix Market). X must be finite; columns are samples. X must be non-negative for --model
nmf and separable; semi and convex take X of any sign; kernel-convex reads an n x n kernel K.
missing entries: with --model nmf a NaN entry (e.g. "nan" in a .csv) is missing: every method
fits the observed entries only (loss and relative error over them); the other models refuse
NaN.

outputs (with --out DIR): DIR/W.npy (m x k), DIR/H.npy (k x n), DIR/summary.json with the
loss (frobenius: ||X - WH||_F^2, no 1/2; kl: sum X log(X/WH) - X + WH; a beta B: the
beta-divergence sum d_B(X|WH), scikit-learn's _beta_divergence), relative error
||X - WH||_F / ||X||_F, iterations, stop reason and timing. Other models write
  semi: F.npy (m x k), G.npy (n x k); convex: F.npy, G.npy, W.npy (n x k, F = XW);
  kernel-convex: G.npy, W.npy; separable: W.npy = X[:, anchors], H.npy, anchors.npy;
and summary.json (loss = ||X - F G^T||_F^2, resp. ||X - WH||_F^2).

examples:
  nnmf factorize data.npy -k 10 --loss frobenius --method hals --seed 0 --out run/
  nnmf factorize data.csv -k 10 --loss kl --method mu --json
  nnmf factorize counts.mtx -k 20 --loss kl --method cd --out run/
  nnmf factorize spectra.npy -k 8 --loss 0.5 --method mu --out run/   (beta = 0.5)
  (--loss kl with --method mu, cd or cvxpy keeps a sparse .mtx/.npz sparse: the updates
  read X on its non-zeros; --loss kl --method cvxpy solves one exponential cone per stored
  entry: small matrices only)
  nnmf factorize std.csv -k 3 --model semi --method mu --max-iter 2000 --tol 0 --out run/
  nnmf factorize data.csv -k 10 --model separable --method gillis_luce --noise 0.05 --json
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
    p.add_argument("--model", choices=tuple(MODELS), default="nmf",
                   help="; ".join(f"{name} = {help}" for name, help in MODEL_HELP.items())
                        + " (default: %(default)s)")
    p.add_argument("--loss", type=loss_name, default=None, metavar="LOSS",
                   help="objective: frobenius = ||X - WH||_F^2, kl = generalized KL "
                        "divergence D(X||WH), itakura-saito, or a real number B = the "
                        "beta-divergence d_B(X|WH) of Fevotte & Idier 2011 (2 = frobenius, "
                        "1 = kl, 0 = itakura-saito; B other than 1 and 2 with --method mu) "
                        "(--model nmf); l1 = sum |X - WH| (--model integer only) "
                        "(default: frobenius)")
    p.add_argument("--method", choices=METHODS, default=None,
                   help="--model nmf: mu = Lee-Seung multiplicative updates (frobenius, kl; "
                        "Fevotte-Idier for any other beta); "
                        "hals = accelerated HALS (frobenius, the default); anls = exact NNLS "
                        "(frobenius); cd = Hsieh-Dhillon coordinate descent (kl); cvxpy = the "
                        "CVXPY models (frobenius, kl). semi/convex/kernel-convex: mu = the "
                        "paper's multiplicative rules (default), cvxpy = exact CVXPY block "
                        "minimization. separable: spa (default), gillis_luce, hottopixx. "
                        "integer: relax_round (default), alternating, exact. boolean: exact "
                        "(default), asso, threshold")
    p.add_argument("--init", choices=INITS, default=None,
                   help="initial factors: nndsvda (default), nndsvd, nndsvdar, random for "
                        "--model nmf; kmeans (the paper's k-means indicator + 0.2, default) or "
                        "random for semi/convex/kernel-convex")
    p.add_argument("--noise", type=nonnegative, default=None,
                   help="noise level epsilon of the separable LPs (gillis_luce: "
                        "||X(:,j) - X C(:,j)||_1 <= rho*epsilon; hottopixx: 2*epsilon on "
                        "columns scaled to sum 1) (default: 0)")
    p.add_argument("--bound", type=count(1), default=1,
                   help="--model integer: entries of W and H in {0, ..., BOUND} "
                        "(default: %(default)s, binary)")
    p.add_argument("--restarts", type=count(1), default=10,
                   help="--model integer: seeded restarts (default: %(default)s)")
    add_loop_options(p, steps="alternating iterations", step="iteration",
                     seed_of="the initialization")
    p.add_argument("--check-every", type=_check_every, default="auto", metavar="N",
                   help="--model nmf: evaluate the loss (history, --tol, progress) every N "
                        "iterations; the iterates do not depend on N (default: auto, 10 for a "
                        "loss other than frobenius with --method mu or cd, else 1)")
    p.add_argument("--solver", default=None,
                   help="CVXPY solver for --method cvxpy and the LPs, e.g. OSQP, CLARABEL, "
                        "SCS, HIGHS (default: OSQP for frobenius, CLARABEL for kl, HIGHS for "
                        "the LPs); for --model integer / boolean the MIP solver, SCIP or HIGHS "
                        "(default: SCIP, and HIGHS for --loss l1)")
    add_output_options(p, writes="the model's outputs (nmf: W.npy, H.npy) and summary.json")
    p.set_defaults(handler=run)


FACTORIZE_OUTPUTS = ("W.npy", "H.npy", "summary.json")


def _check_every(text: str):
    """--check-every: 'auto' or a positive integer."""
    return text if text == "auto" else count(1)(text)

METHODS = tuple(dict.fromkeys((*FACTORIZE_METHODS, *MODEL_METHODS,
                               *(m for ms in DISCRETE_METHODS.values() for m in ms))))
INITS = tuple(dict.fromkeys((*INIT_METHODS, "kmeans")))


def loss_name(text: str) -> str:
    """argparse type of ``--loss``: a loss name or a real β, as its canonical name
    (:func:`~nnmf_research.losses.check_loss`: ``"0.5"`` -> ``"beta=0.5"``, ``"1"`` -> "kl")."""
    if text == "l1":
        return text
    try:
        value = float(text)
    except ValueError:
        value = text
    try:
        return losses.check_loss(value)
    except NMFInputError as exc:
        raise argparse.ArgumentTypeError(f"{exc} (or l1 for --model integer)") from None


def _remember(last: dict, it, W, H, loss) -> bool:
    """Callback: keep the last complete iterate (for a solver that loses it on Ctrl-C)."""
    last.update(W=W, H=H, n_iter=it)
    last["history"].append(loss)
    last["times"].append(time.perf_counter() - last["start"])
    return False


def _loss(name: str, X, W, H, mask) -> float:
    """The named loss, over the observed entries when ``mask`` (1 = observed) is given."""
    return (losses.loss(name, X, W, H) if mask is None
            else losses.masked_loss(name, X, W, H, mask))


def _last_complete(X, loss: str, last: dict) -> Factorization:
    W, H, n_iter, mask = last["W"], last["H"], last["n_iter"], last["mask"]
    return Factorization(
        W, H, _loss(loss, X, W, H, mask), loss, n_iter,
        f"interrupted after {n_iter} iterations (Ctrl-C; returning the last complete "
        "iterate)", tuple(last["history"]), tuple(last["times"]),
        losses.relative_error(X, W, H) if mask is None
        else losses.masked_relative_error(X, W, H, mask), time.perf_counter() - last["start"])


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


def _refuse_missing(args, A) -> None:
    """A model other than nmf cannot fit missing entries: say so (not just "not finite")."""
    if _has_nan(A):
        raise NMFInputError(f"{args.file}: X has missing (NaN) entries; --model {args.model} "
                            "cannot fit missing entries (--model nmf can: NaN = missing)")


def _load_observed(args):
    """(X, mask) of FILE for --model nmf: NaN entries are missing (mask 0, X 0 there,
    :func:`~nnmf_research.checks.check_observed`); mask None when every entry is observed."""
    A = read_matrix(args.file)
    if not _has_nan(A):
        return load_matrix(args.file, keep_sparse=keeps_sparse(args.method, args.loss)), None
    try:
        return check_observed(A)
    except NMFInputError as exc:
        raise NMFInputError(f"{args.file}: {exc}") from None


def _run_nmf(args) -> int:
    """--model nmf: approximate NMF by :func:`~nnmf_research.factorize.factorize`."""
    if args.noise is not None:
        raise NMFInputError("--noise applies to --model separable only")
    args.loss = args.loss or "frobenius"
    args.method = args.method or "hals"
    args.init = args.init or "nndsvda"
    check_choice(args.method, "--method for --model nmf", FACTORIZE_METHODS)
    check_choice(args.init, "--init for --model nmf", INIT_METHODS)
    if args.out is not None:
        check_output_dir(args.out, owned=FACTORIZE_OUTPUTS)
    if args.loss == "l1":
        raise NMFInputError("--model nmf has no loss 'l1'; valid choices: "
                            f"{', '.join(BETA_LOSSES)}, or a real beta")
    X, mask = _load_observed(args)
    if mask is not None and args.loss not in LOSSES:
        raise NMFInputError(f"{args.file}: missing (NaN) entries are fitted with --loss "
                            f"{' or '.join(LOSSES)} only, not {args.loss!r}")
    check_rank(args.k, X.shape)
    start = time.perf_counter()
    interrupted = False
    if (X.nnz == 0) if sp.issparse(X) else not X.any():
        fit, init_seconds = zero_factorization(X.shape, args.k, args.loss), 0.0
    else:
        last = {}
        with InterruptGuard(solver_output=True) as guard:
            # bad options are refused before a long initialization
            if mask is None:   # with missing entries factorize refuses these up front
                _precheck(args, X.shape, X.nnz if sp.issparse(X) else None)
            W0, H0 = initialize(X if mask is None else _mean_filled(X, mask), args.k,
                                method=args.init, random_state=args.seed)
            init_seconds = time.perf_counter() - start
            last.update(W=W0, H=H0, n_iter=0, history=[_loss(args.loss, X, W0, H0, mask)],
                        times=[0.0], start=time.perf_counter(), mask=mask)
            try:
                fit = factorize(
                    X, args.k, loss=args.loss, method=args.method, W=W0, H=H0,
                    max_iter=args.max_iter, tol=args.tol, time_limit=args.time_limit,
                    solver=args.solver, callback=lambda *state: _remember(last, *state),
                    progress=None if args.quiet else 2.0, mask=mask,
                    check_every=args.check_every)
            except SolverFailedError:
                fit = None
        if fit is None:  # OSQP / CLARABEL catch Ctrl-C themselves and report a failure
            if not guard.hit:
                raise
            fit = _last_complete(X, args.loss, last)
        interrupted = guard.hit or mentions_interrupt(fit.stop_reason)
    summary = {
        "input": str(args.file),
        **fit.summary(),
        "missing_entries": 0 if mask is None else int(mask.size - mask.sum()),
        "seconds": init_seconds + fit.seconds,
        "init_seconds": init_seconds,
        "method": args.method,
        "init": args.init,
        "seed": args.seed,
        "nnmf_research_version": __version__,
    }
    why = {"relative_error": "X is all zeros: ||X - WH||_F / ||X||_F is 0/0"}
    write_and_report(args, {"W.npy": fit.W, "H.npy": fit.H}, summary,
                     f"{args.method}/{args.loss} k={fit.k}: loss {fit.loss:.6g}, relative "
                     f"error {fit.relative_error:.3g}, {fit.stop_reason}, "
                     f"{summary['seconds']:.2f} s", why_null=why)
    return 130 if interrupted else 0


def _run_other(args) -> int:
    """A model of :mod:`nnmf_research.cli.models`: its arrays and summary.json as one set."""
    spec = resolve_options(args)
    if args.out is not None:
        check_output_dir(args.out, owned=spec.outputs)
    _refuse_missing(args, read_matrix(args.file))
    with InterruptGuard(solver_output=sys.stderr.buffer) as guard:
        fit, arrays = run_model(args)
    interrupted = guard.hit or mentions_interrupt(fit.stop_reason)
    summary = {"input": str(args.file), **fit.summary(), "model": args.model,
               "method": args.method, "init": args.init, "seed": args.seed,
               "nnmf_research_version": __version__}
    write_and_report(args, arrays, summary,
                     f"{args.model}/{args.method} k={args.k}: loss {fit.loss:.6g}, relative "
                     f"error {fit.relative_error:.3g}, {fit.stop_reason}, {fit.seconds:.2f} s")
    return 130 if interrupted else 0


def _run_discrete(args) -> int:
    """--model integer | boolean: :func:`~nnmf_research.integer.integer_nmf` or
    :func:`~nnmf_research.boolean.boolean_nmf` (:mod:`nnmf_research.cli.discrete`)."""
    if args.noise is not None:
        raise NMFInputError("--noise applies to --model separable only")
    args.loss = args.loss or "frobenius"
    if args.out is not None:
        check_output_dir(args.out, owned=FACTORIZE_OUTPUTS)
    _refuse_missing(args, read_matrix(args.file))
    X = load_matrix(args.file)
    check_rank(args.k, X.shape)
    return run_discrete(args, X)


MODELS = {"nmf": (_run_nmf, FACTORIZE_OUTPUTS),
          **{name: (_run_other, spec.outputs) for name, spec in OTHER_MODELS.items()},
          "integer": (_run_discrete, FACTORIZE_OUTPUTS),
          "boolean": (_run_discrete, FACTORIZE_OUTPUTS)}
"""``--model`` name -> (runner, the files it writes). A new family is one entry."""

MODEL_HELP = {"nmf": "approximate NMF X ~ WH, W, H >= 0 (Lee & Seung 1999; --loss, "
                     "--method mu|hals|anls|cvxpy)",
              **{name: spec.help for name, spec in OTHER_MODELS.items()},
              "integer": "W, H integer in [0, --bound] by mixed-integer steps (relax, round, "
                         "repair; --loss frobenius|l1)",
              "boolean": "0/1 data, W, H 0/1, X ~ W o H over the Boolean semiring "
                         "(Kovacs, Gunluk & Hauser 2024; ASSO; thresholded NMF)"}
"""One line per model for ``--help``, with its paper."""


def run(args) -> int:
    runner, _ = MODELS[args.model]
    return runner(args)
