"""``nnmf exact``: search for an exact NMF X = WH, check it entry by entry and certify it."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from .. import __version__
from ..checks import NMFInputError
from ..io import check_output_dir, json_text, load_matrix, output_dir, save_json, save_matrix
from .options import count, fraction, seconds

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    """Add the subcommand to the ``nnmf`` parser (``sub``: its subparsers)."""
    p = sub.add_parser(
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
    p.add_argument("file", metavar="FILE", help="matrix file (.npy .npz .csv .txt .mtx)")
    p.add_argument("-r", "--rank", dest="r", type=int, default=None,
                   help="inner dimension r, 1 <= r <= min(m, n)")
    p.add_argument("--smallest", action="store_true",
                   help="try r = rank(X), rank(X) + 1, ... and report the smallest found")
    p.add_argument("--heuristic", default="hybrid",
                   choices=("multistart", "rank_by_rank", "annealing", "hybrid"),
                   help="search heuristic (default: %(default)s)")
    p.add_argument("--time-limit", type=seconds, default=60.0,
                   help="seconds per rank tried and restart (default: %(default)s)")
    p.add_argument("--tol", type=fraction, default=1e-6,
                   help="relative error counted as numerically exact (default: %(default)s)")
    p.add_argument("--seed", type=count(0), default=0,
                   help="random seed (default: %(default)s)")
    p.add_argument("--restarts", type=count(1), default=1,
                   help="independent restarts (default: %(default)s)")
    p.add_argument("--jobs", type=count(1), default=1,
                   help="restarts run in parallel through joblib (default: %(default)s)")
    p.add_argument("--out", type=Path, default=None,
                   help="directory for W.npy, H.npy, certificate.json, summary.json; "
                        "finished restarts are saved in OUT/restarts so a rerun resumes")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=run)


EXACT_OUTPUTS = ("W.npy", "H.npy", "certificate.json", "summary.json", "restarts")


def run(args) -> int:
    from ..bounds.certificates import certify, save_certificate
    from ..bounds.entrywise import clean_zeros, entrywise_relative_error
    from ..bounds.exact_nmf import exact_nmf
    from ..bounds.rank import matrix_rank

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
