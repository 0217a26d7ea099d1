"""Matrices with known (or conjectured) nonnegative rank rank₊, each with its source and
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

import numpy as np

from ..checks import NMFInputError, check_positive_int
from .dataset import Dataset

__all__ = ["ngon_slack", "ngon_rank_plus", "NGON_DETERMINED", "linear_edm", "thomas_4x4", "j_minus_i",
           "cube_slack", "udisj", "nested_hexagons"]


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
