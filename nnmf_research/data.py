"""Data sets: shipped with installed packages or generated in code; nothing is downloaded.

Every loader returns a :class:`Dataset` in the toolkit's orientation (columns are samples).

========  =================================================================================
name      what
========  =================================================================================
faces     scikit-image's bundled ``lfw_subset()``: the first 100 of its 200 images are faces
          (25×25; the last 100 are background crops and are never used). Preprocessed as
          Lee & Seung (1999, Nature 401:788, Methods): intensities scaled linearly so the
          pixel mean and standard deviation are 0.25, then clipped to [0, 1]. A small
          stand-in for CBCL (2,429 faces of 19×19), which cannot be shipped.
digits    scikit-learn's bundled digits: 64 pixels × 1,797 images (8×8, values 0..16).
swimmer   the Swimmer data of Donoho & Stodden (2003, NIPS 16), generated: 256 images of
          32×32, a torso and four limbs, each limb in one of four positions (4⁴ = 256). The
          17 true parts are known (``parts``), so recovering them is a number.
random    a dense uniform random m×n matrix.
planted   W₀H₀ with uniform random positive factors of inner dimension k.
========  =================================================================================

Matrices with known (or conjectured) nonnegative rank rank₊, each with its source and
``meta = {"rank", "rank_plus", "rank_plus_status"}``:

================  ================================================================  =======
name              matrix                                                            rank₊
================  ================================================================  =======
ngon_slack        slack matrix of the regular n-gon (rank 3)                        formula
linear_edm        (i − j)², i, j = 1..n (rank 3)                                    n ≤ 6
thomas_4x4        [[1,1,0,0],[1,0,1,0],[0,1,0,1],[0,0,1,1]] (rank 3)                4
j_minus_i         J − I (rank n)                                                    n
planted_integer   integer W₀H₀ of rank r                                            r
cube_slack        slack matrix of the d-cube [−1, 1]^d (2^d × 2d, rank d + 1)       2d
udisj             unique disjointness UDISJ_n: (1 − |a ∩ b|)², a, b ⊆ [n]           unknown
nested_hexagons   hexagon shrunk inside a hexagon, X_a, a ∈ [1, 2] (rank 3)          a = 2: 5
================  ================================================================  =======

``rank_plus`` is ``None`` where no value is proved (the bounds in ``bounds/`` then bracket it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .checks import NMFInputError, check_choice, check_positive_int

__all__ = ["Dataset", "DATASETS", "load_dataset", "faces", "digits", "swimmer", "random",
           "planted", "lee_seung_normalize", "ngon_slack", "ngon_rank_plus", "linear_edm",
           "thomas_4x4", "j_minus_i", "planted_integer", "cube_slack", "udisj",
           "nested_hexagons"]


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


def digits(n_images: int | None = None) -> Dataset:
    """scikit-learn's bundled digits, 64 × n_images (all 1,797 by default)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:  # pragma: no cover - scikit-learn is a dependency
        raise NMFInputError("the digits data set needs scikit-learn (pip install scikit-learn)")
    data = load_digits().data.astype(float)
    if n_images is not None:
        data = data[: check_positive_int(n_images, "n_images", low=1, high=len(data))]
    return Dataset("digits", np.ascontiguousarray(data.T), "scikit-learn load_digits()",
                   image_shape=(8, 8))


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


def random(m: int = 1000, n: int = 500, seed: int = 0) -> Dataset:
    """A dense m×n matrix of uniform [0, 1) entries from ``default_rng(seed)``."""
    m = check_positive_int(m, "m")
    n = check_positive_int(n, "n")
    X = np.random.default_rng(seed).random((m, n))
    return Dataset(f"random{m}x{n}", X, f"numpy default_rng({seed}).random(({m}, {n}))")


def planted(m: int = 60, n: int = 40, k: int = 5, seed: int = 0) -> Dataset:
    """X = W₀H₀ with W₀, H₀ uniform on [0.1, 1): nonnegative rank at most k."""
    gen = np.random.default_rng(seed)
    W0 = gen.uniform(0.1, 1.0, (m, k))
    H0 = gen.uniform(0.1, 1.0, (k, n))
    return Dataset(f"planted{m}x{n}k{k}", W0 @ H0, f"planted product, seed {seed}",
                   meta={"k": k})


NGON_DETERMINED = frozenset(range(3, 14)) | {15, 16, 21, 22, 23, 24}


def ngon_rank_plus(n: int) -> int:
    """rank₊ of the regular n-gon's slack matrix as far as it is known: with k = ⌈log₂ n⌉,
    2k − 1 if 2^(k−1) < n ≤ 2^(k−1) + 2^(k−2), else 2k. That is the upper bound of Vandaele,
    Gillis & Glineur, "On the linear extension complexity of regular n-gons", Linear Algebra
    Appl. 521 (2017) 217–239, Thm 3; they determine rank₊ (lower bound = this value) for the
    n in :data:`NGON_DETERMINED` — n ≤ 8 and n = 10..12 by the geometric bound, n = 9 and 13
    by the refined rectangle covering bound of Oelze, Vandaele & Weltge (arXiv 1406.4895,
    2014), n = 15, 16, 21..24 (Table 1 and §5) — and leave it open for n = 14, 17..20,
    25..30 and n ≥ 33; there the value is a conjecture. n = 3 gives 3."""
    n = check_positive_int(n, "n", low=3)
    k = int(np.ceil(np.log2(n)))
    return 2 * k - 1 if 2 ** (k - 1) < n <= 2 ** (k - 1) + 2 ** (k - 2) else 2 * k


def ngon_slack(n: int = 6) -> Dataset:
    """Slack matrix of the regular n-gon: S_ij = b − a_jᵀv_i ≥ 0 for vertices
    v_i = (cos 2πi/n, sin 2πi/n) and edges a_jᵀx ≤ b with a_j = (cos 2π(j+½)/n,
    sin 2π(j+½)/n), b = cos(π/n). rank 3; rank₊ from :func:`ngon_rank_plus`. Entries within
    1e-14 of 0 are set to exactly 0 (two per row and column: each vertex is on two edges)."""
    n = check_positive_int(n, "n", low=3)
    i = np.arange(n)
    v = np.c_[np.cos(2 * np.pi * i / n), np.sin(2 * np.pi * i / n)]
    a = np.c_[np.cos(2 * np.pi * (i + 0.5) / n), np.sin(2 * np.pi * (i + 0.5) / n)]
    S = np.cos(np.pi / n) - v @ a.T
    S[np.abs(S) < 1e-14] = 0.0
    status = "proved" if n in NGON_DETERMINED else "conjectured"
    return Dataset(f"ngon{n}", S, "slack matrix of the regular n-gon; rank+ by Vandaele, "
                   "Gillis & Glineur (2017)",
                   meta={"rank": 3, "rank_plus": ngon_rank_plus(n), "rank_plus_status": status})


_LEDM_RANK_PLUS = {2: 2, 3: 3, 4: 4, 5: 5, 6: 5}


def linear_edm(n: int = 6) -> Dataset:
    """Linear Euclidean distance matrix M_ij = (i − j)², i, j = 1..n: rank 3 for n ≥ 3;
    rank₊ known for n ≤ 6 (Beasley & Laffey 2009; Gillis & Glineur 2012, "On the geometric
    interpretation of the nonnegative rank"), unknown (None) here above."""
    n = check_positive_int(n, "n", low=2)
    i = np.arange(n)
    M = (i[:, None] - i[None, :]) ** 2.0
    known = _LEDM_RANK_PLUS.get(n)
    return Dataset(f"edm{n}", M, "linear EDM (i - j)^2; Gillis & Glineur (2012)",
                   meta={"rank": min(n, 3), "rank_plus": known,
                         "rank_plus_status": "proved" if known else "unknown"})


def thomas_4x4() -> Dataset:
    """[[1,1,0,0],[1,0,1,0],[0,1,0,1],[0,0,1,1]]: rank 3, rank₊ 4 (Thomas 1974; Cohen &
    Rothblum 1993)."""
    X = np.array([[1.0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 1]])
    return Dataset("thomas4", X, "Thomas (1974), via Cohen & Rothblum (1993)",
                   meta={"rank": 3, "rank_plus": 4, "rank_plus_status": "proved"})


def j_minus_i(n: int = 6) -> Dataset:
    """J − I (ones off the diagonal): rank n = rank₊ for n ≥ 2."""
    n = check_positive_int(n, "n", low=2)
    return Dataset(f"jmi{n}", np.ones((n, n)) - np.eye(n), "J - I",
                   meta={"rank": n, "rank_plus": n, "rank_plus_status": "proved"})


def planted_integer(m: int = 8, n: int = 7, r: int = 3, seed: int = 0,
                    high: int = 3) -> Dataset:
    """X = W₀H₀ with integer factors in [0, high], redrawn until rank(X) = r, so
    rank₊(X) = r (rank ≤ rank₊ ≤ r). W₀, H₀ are kept in ``meta``."""
    gen = np.random.default_rng(seed)
    for _ in range(1000):
        W0 = gen.integers(0, high + 1, (m, r))
        H0 = gen.integers(0, high + 1, (r, n))
        X = (W0 @ H0).astype(float)
        if np.linalg.matrix_rank(X) == r:
            return Dataset(f"planted_int{m}x{n}r{r}", X, f"integer planted product, seed {seed}",
                           meta={"rank": r, "rank_plus": r, "rank_plus_status": "proved",
                                 "W0": W0, "H0": H0})
    raise NMFInputError(f"could not draw integer factors of rank {r} for {m}x{n}")


def cube_slack(d: int = 3) -> Dataset:
    """Slack matrix of the cube [−1, 1]^d: rows the 2^d vertices v ∈ {±1}^d, columns the 2d
    facets ±x_k ≤ 1, S = 1 − (±v_k) ∈ {0, 2}. Rank d + 1. rank₊ = 2d, the number of facets:
    min(m, n) = 2d is an upper bound and the rectangle covering number of the support is 2d
    (Fiorini, Kaibel, Pashkovich & Theis, Discrete Math. 313, 2013)."""
    d = check_positive_int(d, "d", low=1, high=12)
    V = np.array(np.meshgrid(*[[-1.0, 1.0]] * d, indexing="ij")).reshape(d, -1).T
    A = np.vstack([np.eye(d), -np.eye(d)])
    return Dataset(f"cube{d}", 1.0 - V @ A.T, "slack matrix of the d-cube",
                   meta={"rank": d + 1, "rank_plus": 2 * d, "rank_plus_status": "proved"})


def udisj(n: int = 3) -> Dataset:
    """Unique-disjointness matrix UDISJ_n: rows and columns are the subsets a, b of
    {1..n} (2^n each, ordered by bitmask), entry (1 − |a ∩ b|)²: 1 when disjoint, 0 when they
    meet in one element. Its nonnegative rank is 2^Ω(n) (Fiorini, Massar, Pokutta, Tiwary &
    de Wolf, STOC 2012; Braun & Pokutta 2013), the core of the correlation-polytope lower
    bound. No exact rank₊ is claimed here (``None``)."""
    n = check_positive_int(n, "n", low=1, high=10)
    masks = np.arange(2**n)
    common = np.array([[bin(a & b).count("1") for b in masks] for a in masks], dtype=float)
    return Dataset(f"udisj{n}", (1.0 - common) ** 2, "unique disjointness UDISJ_n",
                   meta={"rank": None, "rank_plus": None, "rank_plus_status": "unknown"})


def nested_hexagons(a: float = 1.5) -> Dataset:
    """The nested-hexagons family of Gillis & Glineur (LAA 2012, "On the geometric
    interpretation of the nonnegative rank"): the slack matrix of a regular hexagon shrunk by
    a factor inside another, X_a = (a − 1)·S + (2 − a)·J with S the regular hexagon's slack
    matrix scaled to entries {0, 1, 2} (rows are rotations of (0, 0, 1, 2, 2, 1)) and
    a ∈ [1, 2]: a 6×6 circulant with first row (2 − a, 2 − a, 1, a, a, 1). Rank 3 for a > 1.
    a = 2 is the hexagon itself (rank₊ 5); a = 1 is all ones (rank₊ 1). As a decreases
    the inner hexagon shrinks and fewer vertices suffice for a polygon nested between the
    two, so rank₊ drops to 4 and then 3 (the thresholds are computed by ``bounds/``, not
    claimed here: ``rank_plus`` is ``None`` for 1 < a < 2)."""
    a = float(a)
    if not 1.0 <= a <= 2.0:
        raise NMFInputError(f"a must lie in [1, 2], got {a}")
    first = np.array([2.0 - a, 2.0 - a, 1.0, a, a, 1.0])
    X = np.array([np.roll(first, i) for i in range(6)])
    known = 5 if a == 2.0 else (1 if a == 1.0 else None)
    return Dataset(f"hexagons_a{a:g}", X, "nested hexagons, Gillis & Glineur (2012)",
                   meta={"rank": 1 if a == 1.0 else 3, "rank_plus": known,
                         "rank_plus_status": "proved" if known else "unknown"})


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
    "cube_slack": cube_slack,
    "udisj": udisj,
    "nested_hexagons": nested_hexagons,
}


def load_dataset(name: str, **params) -> Dataset:
    """Load a data set by name with its parameters (see the table in the module docstring)."""
    check_choice(name, "dataset", DATASETS)
    try:
        return DATASETS[name](**params)
    except TypeError as exc:
        raise NMFInputError(f"bad parameters for dataset {name!r}: {exc}") from None
