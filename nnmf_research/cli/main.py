"""The ``nnmf`` parser and entry point: one module per subcommand, each adding its parser."""

from __future__ import annotations

import argparse
import sys
import warnings

from .. import __version__
from ..checks import NMFInputError, SolverFailedError
from ..threads import DEFAULT_THREADS, blas_threads
from . import (exact_command, factorize_command, rank_command, rank_select_command,
               reproduce_command, tensor_command, verify_command)
from .options import count

__all__ = ["main", "build_parser"]

COMMANDS = (factorize_command, tensor_command, reproduce_command, exact_command, rank_command,
            rank_select_command, verify_command)
"""The subcommands in the order ``nnmf --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnmf",
        description="nnmf_research: non-negative matrix factorization for research.",
    )
    parser.add_argument("--version", action="version", version=f"nnmf_research {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        command.add_parser(sub)
    for command_parser in sub.choices.values():   # one option, every command
        command_parser.add_argument(
            "--threads", type=count(1), default=None,
            help=f"BLAS threads for the whole command (default: {DEFAULT_THREADS}, measured "
                 "fastest on a shared 2-core machine; more can pay on a quiet many-core one)")
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"nnmf: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning  # one line, no source; restored on exit
            with blas_threads(args.threads):
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
