"""Image data sets: shipped with installed packages or generated in code; nothing is downloaded.

Every loader returns a :class:`Dataset` in the toolkit's orientation (columns are samples).

========  =================================================================================
name      what
========  =================================================================================
faces     scikit-image's bundled ``lfw_subset()``: the first 100 of its 200 images are faces
          (25×25; the last 100 are background crops and are never used). Preprocessed as
          Lee & Seung (1999, Nature 401:788, Methods): intensities scaled linearly so the
          pixel mean and standard deviation are 0.25, then clipped to [0, 1]. A small
          stand-in for CBCL (2,429 faces of 19×19), which cannot be shipped.
digits    scikit-learn's bundled digits: 64 pixels × 1,797 images (8×8, values 0..16); the
          digit each image shows is in ``meta["labels"]``.
swimmer   the Swimmer data of Donoho & Stodden (2003, NIPS 16), generated: 256 images of
          32×32, a torso and four limbs, each limb in one of four positions (4⁴ = 256). The
          17 true parts are known (``parts``), so recovering them is a number.
random    a dense uniform random m×n matrix.
planted   W₀H₀ with uniform random positive factors of inner dimension k.
========  =================================================================================
"""

from __future__ import annotations

import numpy as np

from ..checks import NMFInputError, check_positive_int
from .dataset import Dataset

__all__ = ["faces", "digits", "swimmer", "lee_seung_normalize"]


def lee_seung_normalize(X: np.ndarray) -> np.ndarray:
    """Scale intensities linearly to mean 0.25 and standard deviation 0.25, clip to [0, 1]."""
    Z = (X - X.mean()) / X.std()
    return np.clip(0.25 + 0.25 * Z, 0.0, 1.0)


def faces(n_images: int = 100) -> Dataset:
    """The first ``n_images`` (<= 100) face images of scikit-image's LFW subset, 625 × n."""
    n_images = check_positive_int(n_images, "n_images", low=1, high=100)
    try:
        from skimage.data import lfw_subset
    except ImportError:  # pragma: no cover - scikit-image is a dependency
        raise NMFInputError("the faces data set needs scikit-image (pip install scikit-image)")
    images = np.asarray(lfw_subset(), dtype=float)[:n_images]  # first 100 are faces
    X = images.reshape(n_images, -1).T
    return Dataset("faces", lee_seung_normalize(X), "scikit-image lfw_subset() faces 0..99, "
                   "Lee & Seung (1999) normalisation", image_shape=(25, 25))


def digits(n_images: int | None = None, binarize: float | None = None) -> Dataset:
    """scikit-learn's bundled digits, 64 × n_images (all 1,797 by default); with
    ``binarize = t`` the 0/1 images pixel ≥ t·16 (16 is the digits' largest value)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:  # pragma: no cover - scikit-learn is a dependency
        raise NMFInputError("the digits data set needs scikit-learn (pip install scikit-learn)")
    bunch = load_digits()
    data, labels = bunch.data.astype(float), np.asarray(bunch.target, dtype=int)
    if n_images is not None:
        n_images = check_positive_int(n_images, "n_images", low=1, high=len(data))
        data, labels = data[:n_images], labels[:n_images]
    if binarize is not None:
        data = (data >= float(binarize) * 16.0).astype(float)
        return Dataset("digits_binary", np.ascontiguousarray(data.T),
                       f"scikit-learn load_digits(), pixel >= {binarize:g}·16", image_shape=(8, 8),
                       meta={"labels": labels, "classes": 10})
    return Dataset("digits", np.ascontiguousarray(data.T), "scikit-learn load_digits()",
                   image_shape=(8, 8), meta={"labels": labels, "classes": 10})


def _segment(shape, start, angle_deg, length, gap=2.0):
    """Pixels of a 1-pixel-wide segment at ``angle_deg`` from distance ``gap`` to ``length``
    of the attachment point ``start`` (row, col); the gap keeps the four positions of a limb
    from sharing the attachment pixel."""
    mask = np.zeros(shape, dtype=bool)
    angle = np.deg2rad(angle_deg)
    for t in np.linspace(gap, length, 4 * int(length) + 1):
        r = int(round(start[0] - t * np.sin(angle)))
        c = int(round(start[1] + t * np.cos(angle)))
        mask[r, c] = True
    return mask


def swimmer() -> Dataset:
    """The 256 Swimmer images (32×32) and their 17 parts (Donoho & Stodden 2003).

    A torso (a vertical bar in the centre) and four limbs attached at the shoulders and
    hips; each limb takes one of four angles. Parts are pairwise disjoint, so every image
    is exactly the sum of the torso and one position of each limb (a separable, exact NMF
    with inner dimension 17; the matrix has rank 13 <= 17).
    """
    shape = (32, 32)
    torso = np.zeros(shape, dtype=bool)
    torso[9:23, 15:17] = True
    # (attachment point, the four angles in degrees): left limbs point left, right limbs right
    limbs = {
        "left_arm": ((10, 13), (100, 130, 160, 190)),
        "right_arm": ((10, 18), (80, 50, 20, -10)),
        "left_leg": ((22, 13), (195, 225, 255, 285)),
        "right_leg": ((22, 18), (-15, -45, -75, -105)),
    }
    parts, names = [torso], ["torso"]
    for limb, (start, angles) in limbs.items():
        for a, angle in enumerate(angles):
            parts.append(_segment(shape, start, angle, 8.0))
            names.append(f"{limb}_{a}")
    P = np.stack([p.ravel() for p in parts], axis=1).astype(float)  # 1024 × 17
    if (P.sum(axis=1) > 1).any():  # pragma: no cover - a design error, not an input error
        overlap = [names[j] for j in np.nonzero(P[P.sum(axis=1) > 1][0])[0]]
        raise AssertionError(f"swimmer parts overlap: {overlap}")
    images = []
    for code in np.ndindex(4, 4, 4, 4):
        active = [0] + [1 + 4 * limb + pos for limb, pos in enumerate(code)]
        images.append(P[:, active].sum(axis=1))
    X = np.stack(images, axis=1)
    return Dataset("swimmer", X, "generated (Donoho & Stodden 2003 design)", image_shape=shape,
                   parts=P, part_names=tuple(names))
