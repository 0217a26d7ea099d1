"""Data sets: shipped with installed packages or generated in code; nothing is downloaded.

Every loader returns a :class:`Dataset` in the toolkit's orientation (columns are samples):
image data in :mod:`.images` (faces, digits, swimmer), generated data in :mod:`.synthetic`
(random, sparse_random, planted, planted_integer, planted_tensor, planted_boolean, separable,
planted_noisy), real
documents as sparse counts in :mod:`.text` (newsgroups, lee, reuters), labelled data for
clustering in :mod:`.labelled` (iris, wine, breast_cancer, mixed_clusters), and matrices with
known or conjectured nonnegative rank, each with its source, in :mod:`.known_rank`.
``load_dataset(name, **params)`` is how the
experiment runner reaches them by name.
"""

from __future__ import annotations

from typing import Callable

from ..checks import NMFInputError, check_choice
from .dataset import Dataset
from .images import digits, faces, lee_seung_normalize, swimmer
from .known_rank import (cube_slack, j_minus_i, linear_edm, nested_hexagons,
                         ngon_rank_plus, ngon_slack, thomas_4x4, udisj)
from .labelled import breast_cancer, iris, mixed_clusters, wine
from .synthetic import (planted, planted_boolean, planted_integer, planted_noisy,
                        planted_tensor, random, separable, sparse_random)
from .text import lee, newsgroups, reuters

__all__ = ["Dataset", "DATASETS", "load_dataset", "faces", "digits", "swimmer", "random",
           "sparse_random", "planted", "lee_seung_normalize", "ngon_slack", "ngon_rank_plus",
           "linear_edm",
           "thomas_4x4", "j_minus_i", "planted_integer", "cube_slack", "udisj",
           "nested_hexagons", "planted_tensor", "planted_boolean", "newsgroups", "lee",
           "reuters", "iris", "wine", "breast_cancer", "mixed_clusters", "separable",
           "planted_noisy"]


DATASETS: dict[str, Callable[..., Dataset]] = {
    "faces": faces,
    "digits": digits,
    "swimmer": swimmer,
    "random": random,
    "planted": planted,
    "ngon_slack": ngon_slack,
    "linear_edm": linear_edm,
    "thomas_4x4": thomas_4x4,
    "j_minus_i": j_minus_i,
    "planted_integer": planted_integer,
    "planted_boolean": planted_boolean,
    "cube_slack": cube_slack,
    "udisj": udisj,
    "nested_hexagons": nested_hexagons,
    "planted_tensor": planted_tensor,
    "newsgroups": newsgroups,   # the text corpora (datasets/text.py; the optional extra 'text')
    "lee": lee,
    "reuters": reuters,
    "iris": iris,
    "wine": wine,
    "breast_cancer": breast_cancer,
    "mixed_clusters": mixed_clusters,
    "separable": separable,
    "planted_noisy": planted_noisy,   # planted product + relative noise (issue 18)
    "sparse_random": sparse_random,   # scipy.sparse, never dense (issue 16's benchmark)
}


def load_dataset(name: str, **params) -> Dataset:
    """Load a data set by name with its parameters (see the table in the module docstring)."""
    check_choice(name, "dataset", DATASETS)
    try:
        return DATASETS[name](**params)
    except TypeError as exc:
        raise NMFInputError(f"bad parameters for dataset {name!r}: {exc}") from None
