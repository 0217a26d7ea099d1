"""``nnmf reproduce``: run experiment configs (every missing cell), then tables and figures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..checks import NMFInputError
from ..io import check_output_dir
from .options import count

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    """Add the subcommand to the ``nnmf`` parser (``sub``: its subparsers)."""
    p = sub.add_parser(
        "reproduce",
        help="run a paper comparison (an experiment config) and draw its figures",
        description="Run experiment configs from experiments/*.toml: every missing cell of "
                    "the grid (finished cells are reused, so an interrupted run resumes), "
                    "then the results table and the figures.",
        epilog="examples:\n  nnmf reproduce --list\n  nnmf reproduce lee_seung_1999_faces\n"
               "  nnmf reproduce all --tiny",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("experiments", nargs="*", metavar="NAME",
                   help="experiment names (config file stems), or 'all'")
    p.add_argument("--list", action="store_true",
                   help="list every experiment, its paper and what it compares")
    p.add_argument("--tiny", action="store_true",
                   help="run each config at its [tiny] size (minutes; what the tests run); "
                        "figures then go to RESULTS/<name>-tiny/figures")
    p.add_argument("--force", action="store_true",
                   help="recompute finished cells instead of reusing them")
    p.add_argument("--jobs", type=count(1), default=1,
                   help="cells run in parallel through joblib (default: %(default)s)")
    p.add_argument("--results", type=Path, default=Path("results"),
                   help="folder for cached cells and tables (default: %(default)s)")
    p.add_argument("--figures", type=Path, default=None,
                   help="folder for figures (default: paper_figures/ for full runs)")
    p.add_argument("--config-dir", type=Path, default=None,
                   help="folder of experiment TOML files (default: the repository's "
                        "experiments/, or the copies installed with the package)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..reproduce import list_experiments, load_experiment, run_experiment

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
