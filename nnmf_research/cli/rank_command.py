"""``nnmf rank``: bracket the nonnegative rank (every lower bound, the upper bounds)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import __version__
from ..bounds.cover_certificates import COVER_BOUNDS
from ..bounds.nonnegative_rank import BOUNDS
from ..checks import NMFInputError
from ..io import check_output_dir, check_output_file, json_text, load_matrix, save_json
from .options import count, seconds

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    """Add the subcommand to the ``nnmf`` parser (``sub``: its subparsers)."""
    p = sub.add_parser(
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
    p.add_argument("file", metavar="FILE", help="matrix file (.npy .npz .csv .txt .mtx)")
    p.add_argument("--bounds", default=None,
                   help="comma-separated methods (default: all): " + ", ".join(BOUNDS))
    p.add_argument("--time-limit", type=seconds, default=120.0,
                   help="seconds for the whole run (default: %(default)s)")
    p.add_argument("--seed", type=count(0), default=0,
                   help="random seed of the exact-NMF search (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--out", type=Path, default=None,
                   help="also write the JSON report to this file")
    p.add_argument("--proofs", type=Path, default=None, metavar="DIR",
                   help="write every checked cover refutation to DIR/<bound>/ "
                        "(cover_proof.json, formula.cnf, proof.drup) and the exact "
                        "certificate of the two-sided geometric bound "
                        "(DIR/geometric_two_sided/geometric_proof.json) for 'nnmf verify'")
    p.add_argument("--no-proofs", action="store_true",
                   help="do not try SAT/DRUP proofs of the cover numbers (they are tried, "
                        "within the time budget, when python-sat and dratify are installed)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..bounds.nonnegative_rank import nonnegative_rank

    if args.out is not None:
        check_output_file(args.out)
    if args.proofs is not None:
        if args.no_proofs:
            raise NMFInputError("--proofs writes proofs that --no-proofs turns off; pick one")
        check_output_dir(args.proofs, "--proofs", owned=(*COVER_BOUNDS, "geometric_two_sided"))
    X = load_matrix(args.file)

    def progress(bound):
        if not args.quiet:
            shown = "-" if bound.bound is None else bound.bound
            print(f"{bound.method}: {shown} ({bound.seconds:.2f} s)", file=sys.stderr)

    options = ({name: {"proof": False} for name in COVER_BOUNDS} if args.no_proofs else None)
    report = nonnegative_rank(X, bounds=args.bounds, time_limit=args.time_limit,
                              random_state=args.seed, progress=progress, options=options)
    if args.proofs is not None:
        from ..bounds.cover_certificates import checked_refutation, write_cover_proof
        from ..bounds.geometric_certificates import write_geometric_proof

        for bound in report.bounds:
            written = None
            if checked_refutation(bound) is not None:
                written = write_cover_proof(args.proofs / bound.method, X, bound)
            elif bound.method == "geometric_two_sided" and bound.certified and \
                    isinstance(bound.certificate, dict) and "proof" in bound.certificate:
                written = write_geometric_proof(args.proofs / bound.method, X, bound)
            if written is not None and not args.quiet:
                print(f"proof written: {written}", file=sys.stderr)
    summary = {"input": str(args.file), **report.summary(),
               "nnmf_research_version": __version__}
    if args.out is not None:
        save_json(args.out, summary)
    print(json_text(summary) if args.json else report.table())
    return 0
