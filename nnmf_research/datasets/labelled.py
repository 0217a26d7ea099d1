"""Labelled data for clustering comparisons (Ding, Li & Jordan 2010, §7): scikit-learn's
bundled copies and a generated mixed-sign example; nothing is downloaded.

Every loader returns a :class:`Dataset` with columns as samples and the true class of each
sample in ``meta["labels"]`` (integers 0..c−1; ``meta["classes"]`` = c, the k the
comparisons use). ``standardize=True`` (the default, the paper's setting for these mixed
data) centres every feature and divides it by its standard deviation (population, ddof 0,
as scikit-learn's ``StandardScaler``), which makes the data mixed-sign.

=============  ==============================================================================
name           what
=============  ==============================================================================
iris           ``sklearn.datasets.load_iris``: 4 features × 150 flowers, 3 species
wine           ``load_wine``: 13 features × 178 wines, 3 cultivars
breast_cancer  ``load_breast_cancer``: 30 features × 569 tumours, 2 classes
mixed_clusters generated: k Gaussian clusters in ℝᵖ with centres N(0, spread²) and unit
               noise, so features and centres are of both signs
=============  ==============================================================================
"""

from __future__ import annotations

import numpy as np

from ..checks import NMFInputError, check_nonnegative_real, check_positive_int
from .dataset import Dataset

__all__ = ["iris", "wine", "breast_cancer", "mixed_clusters", "standardize_features"]


def standardize_features(data: np.ndarray) -> np.ndarray:
    """Rows are samples: every column centred and scaled to unit (population) variance."""
    std = data.std(axis=0)
    if (std == 0).any():
        raise NMFInputError(f"feature {int(np.argmax(std == 0))} is constant: cannot standardize")
    return (data - data.mean(axis=0)) / std


def _bundled(name: str, standardize: bool) -> Dataset:
    import sklearn.datasets as skd

    bunch = getattr(skd, f"load_{name}")()
    data = np.asarray(bunch.data, dtype=float)
    if standardize:
        data = standardize_features(data)
    labels = np.asarray(bunch.target, dtype=int)
    how = "standardized" if standardize else "raw"
    return Dataset(name if standardize else f"{name}_raw", np.ascontiguousarray(data.T),
                   f"scikit-learn load_{name}(), {how}",
                   meta={"labels": labels, "classes": int(labels.max() + 1),
                         "standardized": int(standardize)})


def iris(standardize: bool = True) -> Dataset:
    """Iris, 4 × 150, 3 classes (standardized by default)."""
    return _bundled("iris", standardize)


def wine(standardize: bool = True) -> Dataset:
    """Wine, 13 × 178, 3 classes (standardized by default)."""
    return _bundled("wine", standardize)


def breast_cancer(standardize: bool = True) -> Dataset:
    """Wisconsin diagnostic breast cancer, 30 × 569, 2 classes (standardized by default)."""
    return _bundled("breast_cancer", standardize)


def mixed_clusters(p: int = 10, n_per_class: int = 50, k: int = 3, spread: float = 2.0,
                   seed: int = 0) -> Dataset:
    """k Gaussian clusters of ``n_per_class`` points in ℝᵖ: centres c_j ~ N(0, spread²·I),
    points c_j + N(0, I), from ``default_rng(seed)`` (centres first, then the points, class
    by class). Mixed-sign by construction; labels in ``meta``."""
    p, n_per_class, k = (check_positive_int(v, name) for v, name in
                         ((p, "p"), (n_per_class, "n_per_class"), (k, "k")))
    spread = check_nonnegative_real(spread, "spread")
    gen = np.random.default_rng(seed)
    centres = spread * gen.standard_normal((p, k))
    X = np.hstack([centres[:, [j]] + gen.standard_normal((p, n_per_class)) for j in range(k)])
    labels = np.repeat(np.arange(k), n_per_class)
    return Dataset(f"mixed_clusters{p}x{k * n_per_class}", X,
                   f"generated mixed-sign Gaussian clusters, seed {seed}",
                   meta={"labels": labels, "classes": k})
