"""``nnmf factorize --model integer|boolean``: integer and Boolean NMF from the command line.

Writes W.npy, H.npy (int64) and summary.json as one set, like the continuous models; the
summary carries the loss (integer) or errors (Boolean), the proved lower bound, the gap and
the status ("optimal", "time limit (gap 3.2%)"). Ctrl-C during integer NMF keeps the last
complete integral iterate (Boolean NMF: its last complete answer), writes it and exits
130.
"""

from __future__ import annotations

from .. import __version__
from ..checks import NMFInputError
from ..interrupts import InterruptGuard
from ..status import Kind
from .outputs import write_and_report

__all__ = ["MODEL_METHODS", "MODEL_LOSSES", "run_discrete"]

MODEL_METHODS = {"integer": ("relax_round", "alternating", "exact"),
                 "boolean": ("exact", "asso", "threshold")}
MODEL_LOSSES = {"integer": ("frobenius", "l1"), "boolean": ("frobenius",)}
DEFAULT_METHOD = {"integer": "relax_round", "boolean": "exact"}


def check_model_options(args) -> str:
    """The method for ``args.model`` (its default when --method was not given); a method or
    loss the model does not have is a named error."""
    methods = MODEL_METHODS[args.model]
    method = DEFAULT_METHOD[args.model] if args.method is None else args.method
    if method not in methods:
        raise NMFInputError(f"--model {args.model} has no method {method!r}; valid choices: "
                            f"{', '.join(methods)}")
    if args.loss not in MODEL_LOSSES[args.model]:
        if args.model == "boolean":
            raise NMFInputError("--model boolean counts errors (X != W∘H); it takes no --loss")
        raise NMFInputError(f"--model integer has no loss {args.loss!r}; valid choices: "
                            f"{', '.join(MODEL_LOSSES['integer'])}")
    return method


def run_discrete(args, X) -> int:
    """Fit the integer or Boolean model named by ``args.model`` and write / print it."""
    method = check_model_options(args)
    with InterruptGuard() as guard:
        if args.model == "integer":
            from ..integer import integer_nmf

            fit = integer_nmf(X, args.k, bound=args.bound, loss=args.loss, method=method,
                              time_limit=args.time_limit, random_state=args.seed,
                              restarts=args.restarts, max_iter=args.max_iter,
                              solver=args.solver, progress=None if args.quiet else 2.0)
            line = f"loss {fit.loss:.6g}"
        else:
            from ..boolean import boolean_nmf

            fit = boolean_nmf(X, args.k, method=method, time_limit=args.time_limit,
                              random_state=args.seed, solver=args.solver,
                              progress=None if args.quiet else 2.0)
            line = f"{fit.errors} errors"
    interrupted = guard.hit or fit.status_kind is Kind.INTERRUPTED
    summary = {"input": str(args.file), "model": args.model, **fit.summary(),
               "seed": args.seed, "nnmf_research_version": __version__}
    write_and_report(args, {"W.npy": fit.W, "H.npy": fit.H}, summary,
                     f"{args.model}/{method} k={fit.k}: {line}, lower bound "
                     f"{fit.lower_bound:.6g}, {fit.status}, {fit.seconds:.2f} s")
    return 130 if interrupted else 0
