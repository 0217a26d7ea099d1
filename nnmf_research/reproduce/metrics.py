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
* Clustering accuracy: each document's cluster is the argmax of its column of H; the
  accuracy is the fraction on the diagonal of the cluster × label table after the best
  one-to-one matching of clusters to labels (Hungarian method, Kuhn 1955).
* χ²/2 = ½ Σ (X − WH)²/(WH) (Pearson), the first-order twin of the I-divergence; the PLSI
  identity gap |J − (−L + Σ X log(X/N))|/J (:func:`nnmf_research.plsi.kl_plsi_identity`).
* Parts recovered (Donoho & Stodden 2003): a true part counts as recovered when some basis
  column has Pearson correlation above ``threshold`` (0.9) with it.

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
           "parts_recovered", "clustering_accuracy", "METRICS",
           "FACTOR_FREE_METRICS"]


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


def clustering_accuracy(H: np.ndarray, labels) -> float:
    """Fraction of columns whose argmax cluster maps to their label under the best one-to-one
    matching of clusters to labels (module docstring)."""
    from scipy.optimize import linear_sum_assignment

    labels = np.asarray(labels, dtype=int)
    clusters = np.argmax(H, axis=0)
    table = np.zeros((H.shape[0], labels.max() + 1))
    np.add.at(table, (clusters, labels), 1)
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / labels.size)


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
    hit = np.nonzero(np.asarray(out.trace_loss) <= target**2 * float(np.vdot(ctx["X"],
                                                                             ctx["X"])))[0]
    return float(np.asarray(out.trace_time)[hit[0]]) if hit.size else None


def _per_iteration(out):
    """Median seconds between consecutive trace points (one iteration each)."""
    if out.trace_time is None or len(out.trace_time) < 3:
        return None
    return float(np.median(np.diff(np.asarray(out.trace_time)[1:])))


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
    "build_s": lambda c: c["out"].extra.get("build_s"),
    "first_solve_s": lambda c: c["out"].extra.get("first_solve_s"),
    "resolve_s": lambda c: c["out"].extra.get("resolve_s"),
    "max_loss_increase": lambda c: _max_increase(c["out"].trace_loss),
    "success": lambda c: c["out"].extra.get("success"),
    "value": lambda c: c["out"].extra.get("value"),
    "bound": lambda c: c["out"].extra.get("bound"),
    "certified": lambda c: c["out"].extra.get("certified"),
    "n_parameters": lambda c: _n_parameters(c),
    "n_terms": lambda c: c["W"].shape[1],
    "hoyer_factors": lambda c: _image_factors(c, "hoyer_factors", hoyer_sparseness),
    "sparsity_factors": lambda c: _image_factors(c, "sparsity_factors",
                                                 column_near_zero_fraction),
    "sparsity_basis_columns": lambda c: column_near_zero_fraction(c["W"]),
    "time_to_relative_error_1e-3": lambda c: _time_to_relative_error(c, 1e-3),
    "seconds_per_iteration": lambda c: _per_iteration(c["out"]),
    "cpu_seconds": lambda c: c["out"].extra.get("cpu_seconds"),
    "peak_memory_mb": lambda c: c["out"].extra.get("peak_memory_mb"),
    "blas_threads": lambda c: c["out"].extra.get("blas_threads"),
    "load_average": lambda c: c["out"].extra.get("load_average"),
    "objective": lambda c: c["out"].extra.get("objective"),
    "errors": lambda c: c["out"].extra.get("errors"),
    "lower_bound": lambda c: c["out"].extra.get("lower_bound"),
    "gap": lambda c: c["out"].extra.get("gap"),
    "relaxation_ok": lambda c: c["out"].extra.get("relaxation_ok"),
    "integrality_gap": lambda c: c["out"].extra.get("integrality_gap"),
    "accuracy": lambda c: None if c.get("labels") is None
    else clustering_accuracy(c["H"], c["labels"]),
    "chi_square_half": lambda c: 0.5 * losses.chi_square_product(
        c["X"], np.maximum(c["W"], 0), np.maximum(c["H"], 0)),
    "identity_gap": _identity_gap,
    "nmf_alone": lambda c: c["out"].extra.get("nmf_alone"),
    "plsi_alone": lambda c: c["out"].extra.get("plsi_alone"),
    "optima_gap": lambda c: c["out"].extra.get("optima_gap"),
    "factor_distance": lambda c: c["out"].extra.get("factor_distance"),
    "improvements": lambda c: c["out"].extra.get("improvements"),
    "hybrid_not_worse": lambda c: c["out"].extra.get("hybrid_not_worse"),
}
"""metric name -> function of the cell context (X, W, H, parts, out)."""

FACTOR_FREE_METRICS = ("seconds", "n_iter", "build_s", "first_solve_s", "resolve_s",
                       "max_loss_increase", "success", "value", "bound", "certified",
                       "time_to_relative_error_1e-3", "seconds_per_iteration",
                       "cpu_seconds", "peak_memory_mb", "blas_threads", "load_average",
                       "objective", "errors", "lower_bound", "gap", "relaxation_ok",
                       "integrality_gap", "nmf_alone", "plsi_alone", "optima_gap",
                       "factor_distance", "improvements", "hybrid_not_worse")
"""Metrics a method reports itself (no W, H needed)."""
