"""argparse types and option blocks shared by the ``nnmf`` subcommands (errors name the value)."""

from __future__ import annotations

import argparse
import math

__all__ = ["count", "seconds", "fraction"]


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


def seconds(text: str) -> float:
    """argparse type: a finite number of seconds >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be a finite number of seconds >= 0")
    return value


def fraction(text: str) -> float:
    """argparse type: a tolerance in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (0 <= value < 1):  # also refuses NaN
        raise argparse.ArgumentTypeError(f"{text} is out of range: must be in [0, 1)")
    return value
