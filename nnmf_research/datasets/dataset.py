"""The Dataset record every loader returns (columns are samples)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..checks import NMFInputError

__all__ = ["Dataset", "DatasetUnavailableError"]


@dataclass(frozen=True)
class Dataset:
    """X (features × samples), with what is known about it.

    ``image_shape`` is set for image data (each column reshapes to it); ``parts`` holds
    ground-truth parts as columns (features × n_parts) where they are known; ``source`` says
    where the data come from.
    """

    name: str
    X: np.ndarray
    source: str
    image_shape: tuple[int, int] | None = None
    parts: np.ndarray | None = None
    part_names: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


class DatasetUnavailableError(NMFInputError):
    """A data set whose source is an optional package that is not installed (the message
    names the package and the extra that installs it); the experiment runner skips its cells
    with this reason instead of stopping."""
