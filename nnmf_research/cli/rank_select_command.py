"""``nnmf rank-select``: choose k for approximate NMF (held-out CV and/or consensus)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import __version__
from ..checks import NMFInputError
from ..io import (check_output_dir, json_text, output_dir, read_matrix, save_json)
from .options import count

__all__ = ["add_parser", "run"]

OUTPUTS = ("selection.json", "rank_selection.png", "fits")


def _ks(text: str) -> list[int]:
    """argparse type: "2:10" (inclusive) or "2,4,6"."""
    try:
        if ":" in text:
            low, high = (int(v) for v in text.split(":"))
            values = list(range(low, high + 1))
        else:
            values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not LOW:HIGH or a comma list of "
                                         "integers") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must name integers >= 1")
    return values


def add_parser(sub) -> None:
    """Add the subcommand to the ``nnmf`` parser (``sub``: its subparsers)."""
    p = sub.add_parser(
        "rank-select",
        help="choose the inner dimension k of approximate NMF (cross-validation, consensus)",
        description="Score candidate k by held-out cross-validation (random entries per fold, "
                    "fitted with the rest; Kanagal & Sindhwani 2010) and/or consensus "
                    "clustering over restarts (cophenetic correlation and dispersion; Brunet "
                    "et al. 2004). NaN entries of FILE are missing: never held out or scored. "
                    "(`nnmf rank` is the nonnegative-rank bracket; this chooses k.)",
        epilog="examples:\n  nnmf rank-select data.csv --ks 2:10 --out sel/\n"
               "  nnmf rank-select data.csv --ks 2,3,4,5 --criterion both --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE", help="matrix file (.npy .npz .csv .txt .mtx)")
    p.add_argument("--ks", type=_ks, default=list(range(2, 11)),
                   help="candidate k: LOW:HIGH (inclusive) or a comma list (default: 2:10)")
    p.add_argument("--criterion", choices=("cv", "bcv", "consensus", "both"), default="cv",
                   help="what to compute: held-out entries (cv), Owen & Perry's "
                        "bi-cross-validation (bcv), consensus clustering, or cv and consensus "
                        "(both) (default: %(default)s)")
    p.add_argument("--folds", type=count(2), default=None,
                   help="CV folds (default: 5), or bcv's row and column groups (default: 2)")
    p.add_argument("--restarts", type=count(1), default=10,
                   help="consensus restarts per k (default: %(default)s)")
    p.add_argument("--method", choices=("hals", "mu", "anls"), default="hals",
                   help="NMF method of every fit (default: %(default)s)")
    p.add_argument("--max-iter", type=count(1), default=1000,
                   help="iterations per fit (default: %(default)s)")
    p.add_argument("--seed", type=count(0), default=0,
                   help="seed of the folds and starts (default: %(default)s)")
    p.add_argument("--jobs", type=count(1), default=1,
                   help="fits run in parallel through joblib (default: %(default)s)")
    p.add_argument("--out", type=Path, default=None,
                   help="directory for selection.json and rank_selection.png; finished fits "
                        "are saved in OUT/fits so a rerun resumes")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=run)


def run(args) -> int:
    import numpy as np
    import scipy.sparse as sp

    from ..rank_selection import select_rank

    if args.out is not None:
        check_output_dir(args.out, owned=OUTPUTS)
    X = read_matrix(args.file)
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=float)
    too_big = [k for k in args.ks if k > min(X.shape)]
    if too_big:
        raise NMFInputError(f"--ks: k = {too_big[0]} is out of range for a {X.shape[0]}x"
                            f"{X.shape[1]} matrix (at most {min(X.shape)})")

    def progress(k, criterion):
        if not args.quiet:
            print(f"k={k}: {criterion} done", file=sys.stderr)

    report = select_rank(X, args.ks, method=args.criterion, n_folds=args.folds,
                         n_restarts=args.restarts, nmf_method=args.method,
                         max_iter=args.max_iter, random_state=args.seed, n_jobs=args.jobs,
                         checkpoint_dir=None if args.out is None else args.out / "fits",
                         progress=progress)
    summary = {"input": str(args.file), **report.summary(),
               "nnmf_research_version": __version__}
    if args.out is not None:
        with output_dir(args.out, keep=("fits",)) as out:
            save_json(out / "selection.json", summary)
            report.plot(out / "rank_selection.png")
    if args.json:
        print(json_text(summary))
    else:
        for row in report.table:
            cells = [f"k={row['k']}"]
            if "cv_mean" in row:
                cells.append(f"held-out {row['cv_mean']:.4g} ± {row['cv_sd']:.2g}")
            if "bcv_mean" in row:
                cells.append(f"bi-cross-validation {row['bcv_mean']:.4g} ± "
                             f"{row['bcv_sd']:.2g}")
            if "cophenetic" in row:
                cells.append(f"cophenetic {row['cophenetic']:.3f}, dispersion "
                             f"{row['dispersion']:.3f}")
            print(", ".join(cells))
        print("best k: " + ", ".join(f"{c} {k}" for c, k in report.best_k.items()))
    return 0
