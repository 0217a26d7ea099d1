"""argparse types and option blocks shared by the ``nnmf`` subcommands (errors name the value)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

__all__ = ["count", "seconds", "fraction", "nonnegative", "add_loop_options",
           "add_output_options"]


def count(low: int):
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


def _nonnegative(what: str):
    """argparse type: a finite number >= 0; ``what`` completes "must be a finite number"."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or value < 0:
            raise argparse.ArgumentTypeError(f"{text} must be a finite number{what} >= 0")
        return value
    return parse


seconds = _nonnegative(" of seconds")
"""argparse type: a finite number of seconds >= 0."""

nonnegative = _nonnegative("")
"""argparse type: a finite number >= 0 (e.g. a noise level)."""


def fraction(text: str) -> float:
    """argparse type: a tolerance in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (0 <= value < 1):  # also refuses NaN
        raise argparse.ArgumentTypeError(f"{text} is out of range: must be in [0, 1)")
    return value


def add_loop_options(p, *, steps: str, step: str, seed_of: str) -> None:
    """--seed, --max-iter, --tol, --time-limit: the stopping rules of the block-coordinate
    driver (``steps``/``step`` name what one iteration is, e.g. "sweeps over the modes")."""
    p.add_argument("--seed", type=count(0), default=0,
                   help=f"random seed for {seed_of} (default: %(default)s)")
    p.add_argument("--max-iter", type=count(0), default=200,
                   help=f"maximum number of {steps} (default: %(default)s)")
    p.add_argument("--tol", type=fraction, default=1e-4,
                   help=f"stop when the relative loss decrease of one {step} is below "
                        "this; 0 disables (default: %(default)s)")
    p.add_argument("--time-limit", type=seconds, default=None,
                   help="stop after this many seconds (default: none)")


def add_output_options(p, *, writes: str) -> None:
    """--out DIR (the files ``writes`` names, written as one set), --json, --quiet."""
    p.add_argument("--out", type=Path, default=None,
                   help=f"directory to write {writes} into")
    p.add_argument("--json", action="store_true",
                   help="print the summary as JSON on stdout")
    p.add_argument("--quiet", action="store_true",
                   help="no progress lines on stderr")
