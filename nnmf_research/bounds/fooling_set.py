"""Fooling-set lower bound on the nonnegative rank, as a maximum clique.

A *fooling set* of X is a set F of positive entries such that for any two distinct
(i, j), (k, l) ∈ F, X_il · X_kj = 0. No rectangle inside supp(X) holds two of them, and every
rank-one term of an NMF X = Σ_k w_k h_kᵀ has a rectangle support inside supp(X) that covers
the entries it contributes to; so rank₊(X) ≥ |F|.

Graph form (Fiorini, Kaibel, Pashkovich & Theis, "Combinatorial bounds on nonnegative rank
and extended formulations", Discrete Math. 313, 2013): the *rectangle graph* G_X has one vertex
per positive entry and an edge between (i, j) and (k, l) when X_il · X_kj = 0. The largest
fooling set is the clique number ω(G_X), found exactly with networkx's ``max_weight_clique``.

Only the support matters, so the bound is invariant under row/column permutations and
positive scalings. Zeros are exact zeros: an entry 1e-300 is positive (treating a tiny entry as
zero could only make the bound larger than the truth).

The certificate is the fooling set itself; :func:`check_fooling_set` re-checks it exactly
(entries positive, cross products zero — a test on exact floats, no rounding involved).

Example
-------
>>> import numpy as np
>>> fooling_set_bound(np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 1]])).bound
4
"""

from __future__ import annotations

import time

import networkx as nx
import numpy as np

from ..checks import check_matrix
from ..results import RankBound
from ..status import Kind, Status

__all__ = ["rectangle_graph", "maximum_fooling_set", "maximum_clique", "check_fooling_set",
           "fooling_set_bound"]


def rectangle_graph(X) -> nx.Graph:
    """G_X: vertices are the positive entries (i, j); (i, j)–(k, l) adjacent iff
    X_il · X_kj = 0 (the two entries cannot share a rectangle of supp(X))."""
    P = check_matrix(X) > 0
    entries = [tuple(map(int, e)) for e in np.argwhere(P)]
    G = nx.Graph()
    G.add_nodes_from(entries)
    if not entries:
        return G
    E = np.array(entries)
    rows, cols = E[:, 0], E[:, 1]
    # compatible[a, b] = P[i_a, j_b] and P[i_b, j_a]
    cross = P[rows[:, None], cols[None, :]]
    compatible = cross & cross.T
    a_idx, b_idx = np.nonzero(np.triu(~compatible, k=1))
    G.add_edges_from((entries[a], entries[b]) for a, b in zip(a_idx, b_idx))
    return G


EXACT_SEARCH_MAX_NODES = 400   # above this, an anytime search that honours the time limit


def maximum_fooling_set(X, time_limit: float | None = None) -> list[tuple[int, int]]:
    """A largest fooling set of X (a maximum clique of :func:`rectangle_graph`)."""
    return _fooling_set_search(X, time_limit)[0]


def _fooling_set_search(X, time_limit: float | None) -> tuple[list[tuple[int, int]], bool]:
    """(fooling set, proved maximum): :func:`maximum_clique` of :func:`rectangle_graph`."""
    return maximum_clique(rectangle_graph(X), time_limit)


def maximum_clique(G: nx.Graph, time_limit: float | None = None) -> tuple[list, bool]:
    """(a largest clique found, whether it is proved maximum). Graphs up to
    EXACT_SEARCH_MAX_NODES vertices (or any graph without a time limit) go to networkx's
    exact branch and bound; larger ones are searched by enumerating maximal cliques
    (Bron–Kerbosch, ``find_cliques``) until the time limit, keeping the largest: every clique
    is a valid witness, so a cut-short search still gives a valid, possibly smaller, bound."""
    if G.number_of_nodes() == 0:
        return [], True
    if time_limit is None or G.number_of_nodes() <= EXACT_SEARCH_MAX_NODES:
        clique, _ = nx.max_weight_clique(G, weight=None)
        return sorted(clique), True
    deadline = time.perf_counter() + max(time_limit, 0.0)
    best: list = []
    for clique in nx.find_cliques(G):
        if len(clique) > len(best):
            best = clique
        if time.perf_counter() > deadline:
            return sorted(best), False
    return sorted(best), True


def check_fooling_set(X, entries) -> tuple[bool, str]:
    """Check exactly that ``entries`` is a fooling set of X; name the first violation."""
    X = check_matrix(X)
    entries = [tuple(int(v) for v in e) for e in entries]
    for i, j in entries:
        if not (0 <= i < X.shape[0] and 0 <= j < X.shape[1]):
            return False, f"entry ({i}, {j}) is outside the {X.shape[0]}x{X.shape[1]} matrix"
        if not X[i, j] > 0:
            return False, f"entry ({i}, {j}) is not positive: {X[i, j]}"
    if len(set(entries)) != len(entries):
        return False, "an entry is repeated"
    for a, (i, j) in enumerate(entries):
        for k, l in entries[a + 1:]:
            if X[i, l] > 0 and X[k, j] > 0:
                return False, (f"entries ({i}, {j}) and ({k}, {l}) fit in one rectangle: "
                               f"X[{i}, {l}] and X[{k}, {j}] are both positive")
    return True, f"a fooling set of size {len(entries)}"


def fooling_set_bound(X, time_limit: float | None = None) -> RankBound:
    """rank₊(X) ≥ ω(G_X), the size of a largest fooling set (module docstring). With a
    ``time_limit`` on a large graph the search may stop early with a smaller fooling set
    (still a valid bound; the status says so)."""
    X = check_matrix(X)
    t0 = time.perf_counter()
    F, optimal = _fooling_set_search(X, time_limit)
    ok, why = check_fooling_set(X, F)
    if not ok:  # pragma: no cover - would be a bug in the clique search
        return RankBound("fooling_set", "lower", float(len(F)), None, False,
                         time.perf_counter() - t0, Status(Kind.FAILED, f"failed: {why}"), F)
    return RankBound("fooling_set", "lower", float(len(F)), len(F), certified=True,
                     seconds=time.perf_counter() - t0,
                     status=Status(Kind.OK if optimal else Kind.TIME_LIMIT,
                                   ("optimal (maximum clique)" if optimal else
                                    f"time limit {time_limit:g} s reached: largest fooling set "
                                    "found so far (may not be maximum)")
                                   + "; fooling set re-checked exactly"),
                     certificate=F)
