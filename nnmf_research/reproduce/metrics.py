"""Numbers that describe a factorization beyond its loss: sparsity and parts recovery.

* Hoyer sparseness of a vector v ∈ ℝⁿ (Hoyer 2004, JMLR 5:1457, eq. 1):
  (√n − ‖v‖₁/‖v‖₂) / (√n − 1), 1 for a single non-zero, 0 for a constant vector. Reported as
  the mean over the columns of the basis W and over the rows of the encodings H.
* Fraction of near-zero entries: |a| ≤ 1e-3 · max|A| (scale-free); ``sparsity_basis_columns``
  per column, |w_ij| ≤ 1e-3 · max_i|w_ij|, averaged (blind to each column's scale too).
* Image-side factors (Shashua & Hazan 2005): ``hoyer_factors`` / ``sparsity_factors`` are the
  mean Hoyer sparseness / per-column near-zero fraction of the columns of the factors of the leading
  (image) modes, NTF's a_j⁽¹⁾, …, a_j⁽ⁿ⁻¹⁾ as the ``ntf`` kind reports them and NMF's basis
  columns w_j; ``n_parameters`` is the model's count of free parameters (k(m + n) for NMF,
  kΣ_r I_r for NTF, as reported) and ``n_terms`` its number of terms (columns of W).
* Benchmark numbers a method reports: CPU seconds, the peak traced memory of a separate run,
  the BLAS threads it ran with and the 1-minute load average when it started;
  ``time_to_relative_error_1e-3`` reads the loss trace.
* Against a peer run in the same cell (the ``ntf`` kind's ``peer`` option saves its trace):
  ``time_to_peer_final_loss``, the time at the first iteration at which our loss is at or
  below the peer's final loss; ``peer_time_to_final_loss``, the same for the peer's own
  trace; ``ratio_to_peer_final_loss``, ours / theirs (None where ours never gets there);
  ``final_loss_ratio_to_peer``, our final loss over the peer's (both the last points of the
  traces: above 1 where ours ends worse from the same start).
* χ²/2 = ½ Σ (X − WH)²/(WH) (Pearson), the first-order twin of the I-divergence; the PLSI
  identity gap |J − (−L + Σ X log(X/N))|/J (:func:`nnmf_research.plsi.kl_plsi_identity`).
* Parts recovered (Donoho & Stodden 2003): a true part counts as recovered when some basis
  column has Pearson correlation above ``threshold`` (0.9) with it.
* Clustering accuracy (Ding, Li & Jordan 2010, §7; Ding, Li & Peng 2006 for documents): the
  fraction of samples whose cluster (argmax of their encoding column) maps to their true class
  under the best one-to-one map of clusters to classes, found by the Hungarian method (Kuhn
  1955) on the contingency table.
* Exact zeros: the fraction of entries that are exactly 0.0 (no tolerance: what a solver's
  active set or a floor leaves, the sparsity question of Ding, Li & Jordan's §7); near zeros
  of W: |w| ≤ 1e-6·max|W| (what an interior or ADMM solver leaves instead of a 0).
* Anchor recovery (Gillis & Luce 2014, §5): the fraction of the r planted anchor columns
  among the data columns closest in angle to the basis columns.
* Missing entries (the ``masked_holdout`` kind): ``heldout_relative_error`` =
  ‖(X − WH)_hidden‖_F / ‖X_hidden‖_F over the entries hidden from the fit,
  ``observed_relative_error`` the same over the fitted ones, ``missing_fraction`` the fraction
  hidden. Choosing k (the ``rank_select`` kind, at one k): ``cv_mean`` / ``cv_sd`` the mean /
  sd over folds of the held-out mean squared error (Kanagal & Sindhwani 2010), ``bcv_mean`` /
  ``bcv_sd`` the same over the bi-cross-validation blocks (Owen & Perry 2009), ``cophenetic``
  the consensus matrix's cophenetic correlation (Brunet et al. 2004), ``dispersion`` (Kim &
  Park 2007). These are reported by the kind when the cell runs (not recomputed from saved
  arrays).

Example
-------
>>> import numpy as np
>>> float(hoyer_sparseness(np.array([[1.0], [0.0], [0.0], [0.0]])))
1.0
"""

from __future__ import annotations

import numpy as np

from .. import losses

__all__ = ["hoyer_sparseness", "near_zero_fraction", "column_near_zero_fraction",
           "parts_recovered", "METRICS", "FACTOR_FREE_METRICS", "clustering_accuracy",
           "exact_zero_fraction", "anchor_recovery", "NOT_APPLICABLE",
           "first_time_at_or_below", "peer_final_loss_times"]


def hoyer_sparseness(A: np.ndarray, axis: int = 0) -> float:
    """Mean Hoyer sparseness of the columns (axis=0) or rows (axis=1) of A, using |A|."""
    A = np.abs(np.asarray(A, dtype=float))
    n = A.shape[axis]
    if n < 2:
        return float("nan")
    l1 = A.sum(axis=axis)
    l2 = np.sqrt((A * A).sum(axis=axis))
    keep = l2 > 0
    if not keep.any():
        return float("nan")
    ratio = l1[keep] / l2[keep]
    return float(np.mean((np.sqrt(n) - ratio) / (np.sqrt(n) - 1)))


def near_zero_fraction(A: np.ndarray, rel: float = 1e-3) -> float:
    """Fraction of entries with |a| <= rel · max|A|."""
    A = np.abs(np.asarray(A, dtype=float))
    top = A.max()
    if top == 0:
        return 1.0
    return float(np.mean(A <= rel * top))


def column_near_zero_fraction(A: np.ndarray, rel: float = 1e-3) -> float:
    """Mean over the columns of A of the fraction of entries with |a| <= rel · max|column|:
    unlike :func:`near_zero_fraction`, blind to the scale of each column (which a
    factorization moves freely between its factors)."""
    A = np.abs(np.asarray(A, dtype=float))
    top = A.max(axis=0)
    return float(np.mean((A <= rel * top).mean(axis=0)))


def _correlations(W: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """Pearson correlation of every part (columns of ``parts``) with every column of W."""
    def standardize(M):
        M = M - M.mean(axis=0)
        norm = np.linalg.norm(M, axis=0)
        norm[norm == 0] = np.inf
        return M / norm

    return standardize(parts).T @ standardize(W)


def parts_recovered(W: np.ndarray, parts: np.ndarray, threshold: float = 0.9) -> np.ndarray:
    """Boolean per part: does some column of W correlate above ``threshold`` with it?"""
    return (_correlations(np.asarray(W, float), np.asarray(parts, float)) > threshold).any(
        axis=1)


def _parts(ctx):
    if ctx["parts"] is None:
        return None
    return parts_recovered(ctx["W"], ctx["parts"])


def _identity_gap(c):
    from ..plsi import kl_plsi_identity

    return kl_plsi_identity(c["X"], c["W"], c["H"]).relative_gap


def _max_increase(trace):
    """Largest rise of the loss from one iteration to the next, relative to the first value
    (<= 0 means the trace never increased: Lee & Seung's theorem, checked)."""
    if trace is None or len(trace) < 2 or trace[0] == 0:
        return None
    return float(np.max(np.diff(trace)) / trace[0])


def _n_parameters(ctx):
    """Free parameters of the model: what the method reports (NTF: Σ_r I_r·k), else those
    of W and H (k(m + n) for NMF)."""
    reported = ctx["out"].extra.get("n_parameters")
    return reported if reported is not None else ctx["W"].size + ctx["H"].size


def _image_factors(ctx, name, measure):
    """A sparsity measure of the image-side factor vectors: NTF's a_j⁽¹⁾, …, a_j⁽ⁿ⁻¹⁾ as the
    ``ntf`` kind reports it, else (a matrix factorization) the columns of W."""
    reported = ctx["out"].extra.get(name)
    return reported if reported is not None else measure(ctx["W"])


def _time_to_relative_error(ctx, target):
    """Seconds until the trace's loss first reaches ‖X − WH‖_F / ‖X‖_F <= target (a
    Frobenius trace; None if never reached or no trace)."""
    out = ctx["out"]
    if out.trace_loss is None or out.trace_time is None or out.loss_name != "frobenius":
        return None
    return first_time_at_or_below(out.trace_loss, out.trace_time,
                                  target**2 * float(np.vdot(ctx["X"], ctx["X"])))


def _per_iteration(out):
    """Median seconds per iteration between consecutive trace points after the first (one
    iteration apart, or as many as ``extra["trace_iterations"]`` says: a cell run with
    ``check_every`` > 1)."""
    if out.trace_time is None or len(out.trace_time) < 3:
        return None
    seconds = np.diff(np.asarray(out.trace_time)[1:])
    iterations = out.extra.get("trace_iterations")
    if iterations is not None:
        seconds = seconds / np.diff(np.asarray(iterations, dtype=float)[1:])
    return float(np.median(seconds))



def _from_extra(name: str):
    """The metric that reads ``name`` from what the method kind reported (``out.extra``)."""
    return lambda c: c["out"].extra.get(name)

METRICS = {
    "relative_error": lambda c: losses.relative_error(c["X"], c["W"], c["H"]),
    "loss": lambda c: losses.loss(c["out"].loss_name, c["X"], c["W"], c["H"]),
    "frobenius_loss": lambda c: losses.frobenius(c["X"], c["W"], c["H"]),
    "kl_loss": lambda c: losses.kl(c["X"], np.maximum(c["W"], 0), np.maximum(c["H"], 0)),
    "seconds": lambda c: c["out"].seconds,
    "n_iter": lambda c: c["out"].n_iter,
    "hoyer_basis": lambda c: hoyer_sparseness(c["W"], axis=0),
    "hoyer_encoding": lambda c: hoyer_sparseness(c["H"], axis=1),
    "sparsity_basis": lambda c: near_zero_fraction(c["W"]),
    "sparsity_encoding": lambda c: near_zero_fraction(c["H"]),
    "limbs_recovered": lambda c: None if _parts(c) is None else int(_parts(c)[1:].sum()),
    "torso_recovered": lambda c: None if _parts(c) is None else int(_parts(c)[0]),
    "build_s": _from_extra("build_s"),
    "first_solve_s": _from_extra("first_solve_s"),
    "resolve_s": _from_extra("resolve_s"),
    "max_loss_increase": lambda c: _max_increase(c["out"].trace_loss),
    "success": _from_extra("success"),
    "value": _from_extra("value"),
    "bound": _from_extra("bound"),
    "certified": _from_extra("certified"),
    "n_parameters": lambda c: _n_parameters(c),
    "n_terms": lambda c: c["W"].shape[1],
    "hoyer_factors": lambda c: _image_factors(c, "hoyer_factors", hoyer_sparseness),
    "sparsity_factors": lambda c: _image_factors(c, "sparsity_factors",
                                                 column_near_zero_fraction),
    "sparsity_basis_columns": lambda c: column_near_zero_fraction(c["W"]),
    "time_to_relative_error_1e-3": lambda c: _time_to_relative_error(c, 1e-3),
    "seconds_per_iteration": lambda c: _per_iteration(c["out"]),
    "cpu_seconds": _from_extra("cpu_seconds"),
    "peak_memory_mb": _from_extra("peak_memory_mb"),
    "max_rss_mb": _from_extra("max_rss_mb"),
    "blas_threads": _from_extra("blas_threads"),
    "load_average": _from_extra("load_average"),
    "objective": _from_extra("objective"),
    "errors": _from_extra("errors"),
    "lower_bound": _from_extra("lower_bound"),
    "gap": _from_extra("gap"),
    "relaxation_ok": _from_extra("relaxation_ok"),
    "integrality_gap": _from_extra("integrality_gap"),
    "chi_square_half": lambda c: 0.5 * losses.chi_square_product(
        c["X"], np.maximum(c["W"], 0), np.maximum(c["H"], 0)),
    "identity_gap": _identity_gap,
    "nmf_alone": _from_extra("nmf_alone"),
    "plsi_alone": _from_extra("plsi_alone"),
    "optima_gap": _from_extra("optima_gap"),
    "factor_distance": _from_extra("factor_distance"),
    "improvements": _from_extra("improvements"),
    "hybrid_not_worse": _from_extra("hybrid_not_worse"),
}
"""metric name -> function of the cell context (X, W, H, parts, out)."""

FACTOR_FREE_METRICS = ("seconds", "n_iter", "build_s", "first_solve_s", "resolve_s",
                       "max_loss_increase", "success", "value", "bound", "certified",
                       "time_to_relative_error_1e-3", "seconds_per_iteration",
                       "cpu_seconds", "peak_memory_mb", "max_rss_mb", "blas_threads",
                       "load_average",
                       "objective", "errors", "lower_bound", "gap", "relaxation_ok",
                       "integrality_gap", "nmf_alone", "plsi_alone", "optima_gap",
                       "factor_distance", "improvements", "hybrid_not_worse",
                       "heldout_relative_error", "observed_relative_error",
                       "missing_fraction", "cv_mean", "cv_sd", "bcv_mean", "bcv_sd",
                       "cophenetic", "dispersion")
"""Metrics a method reports itself (no W, H needed)."""


def clustering_accuracy(labels_true, labels_pred) -> float:
    """max over one-to-one maps σ (clusters → classes) of (1/n)·#{i : σ(pred_i) = true_i}.

    The maximum is a linear assignment on the contingency table C[a, b] = #{i : pred_i = a,
    true_i = b}, solved exactly by ``scipy.optimize.linear_sum_assignment`` (Hungarian method,
    Kuhn 1955); with more clusters than classes the unmatched clusters count as wrong.

    >>> clustering_accuracy([0, 0, 1, 1, 2], [2, 2, 0, 0, 0])
    0.8
    """
    from scipy.optimize import linear_sum_assignment

    t = np.asarray(labels_true).astype(int).ravel()
    p = np.asarray(labels_pred).astype(int).ravel()
    if t.shape != p.shape:
        raise ValueError(f"{t.size} true labels but {p.size} predicted")
    table = np.zeros((p.max() + 1, t.max() + 1))
    np.add.at(table, (p, t), 1.0)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / t.size)


def exact_zero_fraction(A) -> float:
    """Fraction of entries exactly equal to 0.0."""
    return float(np.mean(np.asarray(A) == 0.0))


def anchor_recovery(W, X, anchors) -> float:
    """|{argmax_j cos(w_i, x_j) : columns w_i of W} ∩ anchors| / |anchors|.

    For a separable method W = X[:, 𝒦], so each w_i finds its own column (cosine 1) and this
    is |𝒦 ∩ anchors| / r, Gillis & Luce's count of correctly identified columns; for plain NMF
    it asks which data columns its basis points at.
    """
    W = np.asarray(W, dtype=float)
    X = np.asarray(X, dtype=float)
    Xn = X / np.maximum(np.linalg.norm(X, axis=0), np.finfo(float).tiny)
    Wn = W / np.maximum(np.linalg.norm(W, axis=0), np.finfo(float).tiny)
    nearest = set(np.argmax(Wn.T @ Xn, axis=1).tolist())
    anchors = [int(a) for a in np.asarray(anchors).ravel()]
    return len(nearest & set(anchors)) / len(anchors)


def _labels(c):
    """Accuracy of argmax over the memberships; none for signed encodings (SVD), which are
    not memberships."""
    labels = c["meta"].get("labels") if c.get("meta") else None
    if labels is None or (np.asarray(c["H"]) < 0).any():
        return None
    return clustering_accuracy(labels, np.argmax(c["H"], axis=0))


def _anchors(c):
    anchors = c["meta"].get("anchors") if c.get("meta") else None
    return None if anchors is None else anchor_recovery(c["W"], c["X"], anchors)


METRICS.update({
    "accuracy": _labels,
    "zeros_W": _from_extra("zeros_W"),
    "zeros_G": lambda c: (None if (np.asarray(c["H"]) < 0).any()
                          else exact_zero_fraction(c["H"])),
    "near_zeros_W": _from_extra("near_zeros_W"),
    "anchor_recovery": _anchors,
    "anchors_all": lambda c: None if _anchors(c) is None else float(_anchors(c) == 1.0),
})

NOT_APPLICABLE = {"zeros_W": ("semi_nmf", "pca"), "near_zeros_W": ("semi_nmf", "pca"),
                  "zeros_G": ("pca",), "accuracy": ("pca",), "n_iter": ("pca", "kmeans")}
"""metric -> the method kinds for which it has no value (semi-NMF has no W: F is free; the
SVD's encodings are signed, not memberships; the SVD and scikit-learn's k-means run no
iterations of the toolkit's loop)."""


# --- a method against its peer, from the pair of traces a cell saved ---------------------

def first_time_at_or_below(trace_loss, trace_time, target: float) -> float | None:
    """The time recorded at the first trace point whose loss is <= ``target`` (no
    interpolation between points); None if the trace never gets there."""
    hit = np.nonzero(np.asarray(trace_loss, dtype=float) <= target)[0]
    return float(np.asarray(trace_time, dtype=float)[hit[0]]) if hit.size else None


def peer_final_loss_times(trace_loss, trace_time, peer_loss, peer_time):
    """(ours, theirs, ours / theirs) for the peer's final loss L* = ``peer_loss[-1]``:
    ours = the first time our trace reaches L*, theirs = the first time the peer's own trace
    does (its last point unless it got there sooner). Each time is the one recorded at the
    first iteration at or below L*, never interpolated. ours (and the ratio) is None when our
    trace never reaches L*; the ratio is None when theirs is 0 (a start already at L*)."""
    target = float(np.asarray(peer_loss, dtype=float)[-1])
    theirs = first_time_at_or_below(peer_loss, peer_time, target)
    ours = first_time_at_or_below(trace_loss, trace_time, target)
    ratio = ours / theirs if ours is not None and theirs else None
    return ours, theirs, ratio


def _peer_traces(out):
    """(ours, the peer's) (loss, time) traces of a cell that ran its peer (the ``ntf``
    kind's ``peer`` option: ``trace_peer_loss`` / ``trace_peer_time``); None otherwise."""
    peer_loss, peer_time = out.extra.get("trace_peer_loss"), out.extra.get("trace_peer_time")
    if (out.trace_loss is None or out.trace_time is None or peer_loss is None
            or peer_time is None or len(peer_loss) == 0 or len(out.trace_loss) == 0):
        return None
    return (out.trace_loss, out.trace_time), (peer_loss, peer_time)


def _peer_final(ctx, which: int):
    """One of :func:`peer_final_loss_times` for a cell that ran its peer; None otherwise."""
    traces = _peer_traces(ctx["out"])
    return None if traces is None else peer_final_loss_times(*traces[0], *traces[1])[which]


def _final_loss_ratio_to_peer(ctx):
    """Our last traced loss over the peer's (None without a peer run, or when the peer
    ends at an exactly zero loss)."""
    traces = _peer_traces(ctx["out"])
    if traces is None:
        return None
    ours, theirs = float(traces[0][0][-1]), float(traces[1][0][-1])
    return ours / theirs if theirs > 0 else None


METRICS.update({
    "time_to_peer_final_loss": lambda c: _peer_final(c, 0),
    "peer_time_to_final_loss": lambda c: _peer_final(c, 1),
    "ratio_to_peer_final_loss": lambda c: _peer_final(c, 2),
    "final_loss_ratio_to_peer": _final_loss_ratio_to_peer,
})
FACTOR_FREE_METRICS += ("time_to_peer_final_loss", "peer_time_to_final_loss",
                        "ratio_to_peer_final_loss", "final_loss_ratio_to_peer")

METRICS.update({name: _from_extra(name)
                for name in ("heldout_relative_error", "observed_relative_error",
                             "missing_fraction", "cv_mean", "cv_sd", "cophenetic",
                             "dispersion")})
