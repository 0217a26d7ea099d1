"""Choosing the inner dimension k of approximate NMF: held-out cross-validation and consensus.

Two criteria, each over a list of candidate k (``nnmf rank`` is the nonnegative-rank bracket;
this chooses k for *approximate* NMF):

Cross-validation by held-out entries (Kanagal & Sindhwani, "Rank selection in low-rank matrix
approximations", NIPS workshop 2010; the entry-wise hold-out of Wold's cross-validation).
The entries of X are split at random into ``n_folds`` folds (the same split for every k). For
each fold, NMF with missing entries (:mod:`nnmf_research.kernels.masked`) is fitted to the
other folds, and the fold's entries are scored: the mean squared error (Frobenius) or the mean
KL term over them. A fold that would leave a row or column of the training part without an
observed entry is refused with a named error. ``best_k["cv"]`` minimises the mean held-out
error.

Bi-cross-validation (Owen & Perry, "Bi-cross-validation of the SVD and the nonnegative matrix
factorization", Ann. Appl. Stat. 3(2), 2009, §5 for NMF; ``method="bcv"``). The rows are
split at random into ``n_folds`` groups and the columns likewise (the same split for every
k); each of the n_folds² pairs (I, J) holds out the block A = X[I, J] of

    X = [A  B]      B = X[I, −J],  C = X[−I, J],  D = X[−I, −J]  (rows/columns permuted),
        [C  D]

fits NMF to D ≈ W_D H_D (rank k, nothing of A, B or C seen), folds the held-out rows and
columns in by non-negative least squares with the D-factors fixed,

    W_I = argmin_{W ≥ 0} ‖B − W H_D‖²_F,     H_J = argmin_{H ≥ 0} ‖C − W_D H‖²_F,

(exact NNLS, :class:`~nnmf_research.kernels.ANLS`; over the observed entries only,
:class:`~nnmf_research.kernels.masked.MaskedANLS`, when X has missing ones) and scores the
prediction Â = W_I H_J by the mean squared error over A's observed entries. Owen & Perry
recommend holding out half the rows and half the columns: ``n_folds = 2`` (the default of
"bcv"; "cv" keeps 5). ``best_k["bcv"]`` minimises the mean over the n_folds² blocks.
Frobenius only (the fold-ins are least squares); D needs at least k rows and columns.

Consensus clustering (Brunet, Tamayo, Golub & Mesirov, "Metagenes and molecular pattern
discovery using matrix factorization", PNAS 101(12), 2004). ``n_restarts`` fits from random
starts; each assigns sample (column) j to cluster argmax_l ‖w_l‖₂ H_lj (the largest
contribution to x_j; Brunet et al. take argmax_l H_lj, which depends on how each fit happens to
scale its components: WH = (WD⁻¹)(DH) for every positive diagonal D, and restarts converging to
the same factorization with other scales would then disagree). The connectivity matrix of a
fit is C_ij = [j and i in the same cluster]; the consensus matrix is their mean (symmetric,
unit diagonal). Its cophenetic correlation is the Pearson correlation between the distances
1 − consensus and the cophenetic distances of average-linkage clustering on them (1 when every
restart gives the same clustering; defined as 1 when all distances are equal, e.g. k = 1). The
dispersion (Kim & Park, Bioinformatics 23(12), 2007) is (1/n²) Σ_ij 4 (consensus_ij − ½)²,
1 for a 0/1 consensus. ``best_k["consensus"]`` follows Brunet et al.: the k just before the
cophenetic coefficient first falls by more than ``drop`` (0.02), else the k where it is
largest.

Every fit runs through the shared restarts driver (:mod:`nnmf_research.drivers.restarts`):
with ``checkpoint_dir``, each finished fit is saved and a rerun resumes; ``n_jobs > 1`` runs
fits in parallel through joblib.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .checks import (NMFInputError, check_choice, check_observed, check_positive_int,
                     check_rank)
from .drivers.restarts import checkpoint_for, restart_seed, run_restarts

__all__ = ["select_rank", "RankSelection", "consensus_matrix", "cophenetic_correlation",
           "dispersion", "held_out_folds", "bcv_groups", "bcv_block_error", "choose_k",
           "cluster_labels"]

CRITERIA = ("cv", "bcv", "consensus", "both")


def held_out_folds(mask: np.ndarray, n_folds: int, random_state=0) -> np.ndarray:
    """Fold index (0..n_folds−1) of every observed entry, −1 where missing: a seeded random
    split. Raises naming the fold and the row or column it would leave with nothing observed
    in training."""
    n_folds = check_positive_int(n_folds, "n_folds", low=2)
    observed = mask > 0
    rng = np.random.default_rng(random_state)
    folds = np.full(mask.shape, -1)
    folds[observed] = rng.integers(0, n_folds, int(observed.sum()))
    for f in range(n_folds):
        train = observed & (folds != f)
        for axis, what in ((1, "row"), (0, "column")):
            empty = np.flatnonzero(~train.any(axis=axis))
            if empty.size:
                raise NMFInputError(
                    f"fold {f} of {n_folds} holds every observed entry of {what} {empty[0]}, "
                    f"which leaves it without training data; use fewer folds (n_folds) or a "
                    f"larger matrix")
    return folds


def bcv_groups(shape: tuple[int, int], n_folds: int, random_state=0) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    """Group (0..n_folds−1) of every row and of every column for bi-cross-validation: a
    seeded random split into groups of sizes differing by at most one."""
    n_folds = check_positive_int(n_folds, "n_folds", low=2)
    rng = np.random.default_rng(random_state)
    m, n = shape
    if n_folds > min(m, n):
        raise NMFInputError(f"n_folds = {n_folds} row and column groups need at least that many "
                            f"rows and columns, X is {m}×{n}; use fewer folds")
    return rng.permutation(np.arange(m) % n_folds), rng.permutation(np.arange(n) % n_folds)


def bcv_block_error(X, mask, rows_out, cols_out, k, fit_D) -> float:
    """Owen & Perry's NMF bi-cross-validation error of one held-out block A = X[I, J]
    (boolean row and column selectors ``rows_out``, ``cols_out``; module docstring): fit D
    by ``fit_D(D, mask_D) -> (W_D, H_D)``, fold B and C in by NNLS, return the mean squared
    error of Â = W_I H_J over A's observed entries (``mask`` None: all observed)."""
    from .kernels import ANLS
    from .kernels.masked import MaskedANLS

    I, J = np.asarray(rows_out, bool), np.asarray(cols_out, bool)
    keep_r, keep_c = ~I, ~J
    def block(A, r, c):
        return None if A is None else A[np.ix_(r, c)]

    W_D, H_D = fit_D(block(X, keep_r, keep_c), block(mask, keep_r, keep_c))
    B, C = block(X, I, keep_c), block(X, keep_r, J)

    def nnls(Y, Mk, F, k_rows):                     # argmin_{G ≥ 0} ‖Mk ∘ (Y − F G)‖, G k × ·
        start = np.zeros((k, Y.shape[1]))
        if Mk is None:
            return ANLS()(Y, F, start)
        if not (Mk.any(axis=0).all()):
            raise NMFInputError(f"bi-cross-validation: a held-out {k_rows} has no observed entry "
                                "outside the held-out block, so it cannot be folded in; use "
                                "fewer folds (n_folds) or method='cv'")
        return MaskedANLS(mask=Mk)(Y * Mk, F, start)

    W_I = nnls(B.T, block(mask, I, keep_c).T if mask is not None else None, H_D.T, "row").T
    H_J = nnls(C, block(mask, keep_r, J), W_D, "column")
    A = block(X, I, J)
    observed = np.ones(A.shape, bool) if mask is None else block(mask, I, J) > 0
    if not observed.any():
        return float("nan")
    R = (A - W_I @ H_J)[observed]
    return float(R @ R / R.size)


def cluster_labels(W: np.ndarray, H: np.ndarray) -> np.ndarray:
    """Cluster of each sample (column of X ≈ WH): argmax_l ‖w_l‖₂ H_lj, invariant to the
    scaling WH = (WD⁻¹)(DH) of the components."""
    return np.argmax(np.linalg.norm(W, axis=0)[:, None] * H, axis=0)


def consensus_matrix(labels: np.ndarray) -> np.ndarray:
    """Mean connectivity of the clusterings in the rows of ``labels`` (restarts × samples)."""
    labels = np.atleast_2d(labels)
    return np.mean([lab[:, None] == lab[None, :] for lab in labels], axis=0)


def cophenetic_correlation(consensus: np.ndarray) -> float:
    """Pearson correlation of 1 − consensus with the cophenetic distances of its
    average-linkage tree (Brunet et al. 2004); 1 when all distances are equal."""
    from scipy.cluster.hierarchy import cophenet, linkage
    from scipy.spatial.distance import squareform

    distances = squareform(1.0 - consensus, checks=False)
    if distances.size == 0 or np.ptp(distances) == 0:
        return 1.0
    tree = linkage(distances, method="average")
    value = float(cophenet(tree, distances)[0])
    return float(np.clip(value, -1.0, 1.0))


def dispersion(consensus: np.ndarray) -> float:
    """(1/n²) Σ 4 (C_ij − ½)² (Kim & Park 2007): 1 for a 0/1 consensus, 0 at C ≡ ½."""
    return float(np.mean(4.0 * (consensus - 0.5) ** 2))


@dataclass(frozen=True)
class RankSelection:
    """What :func:`select_rank` measured, per candidate k."""

    ks: tuple[int, ...]
    table: list[dict]
    best_k: dict
    consensus: dict = field(default_factory=dict, repr=False)
    seconds: float = 0.0

    def plot(self, path) -> Path:
        """Write a figure of the criteria against k (held-out error with ±1 sd; cophenetic
        correlation and dispersion) to ``path`` (PNG), without touching pyplot's backend."""
        from matplotlib.figure import Figure

        from .io import atomic_write_bytes

        rows = self.table
        panels = [c for c in ("cv_mean", "bcv_mean", "cophenetic")
                  if rows[0].get(c) is not None]
        fig = Figure(figsize=(4.2 * len(panels), 3.4), layout="constrained")
        axes = fig.subplots(1, len(panels), squeeze=False)[0]
        ks = [r["k"] for r in rows]
        for ax, column in zip(axes, panels):
            if column in ("cv_mean", "bcv_mean"):
                name = column[:-5]
                ax.errorbar(ks, [r[column] for r in rows], yerr=[r[f"{name}_sd"] for r in rows],
                            marker="o", capsize=3)
                ax.set_ylabel("held-out error (mean over folds)" if name == "cv" else
                              "bi-cross-validation error (mean over blocks)")
                ax.axvline(self.best_k[name], color="grey", ls="--", lw=1)
            else:
                ax.plot(ks, [r["cophenetic"] for r in rows], marker="o", label="cophenetic")
                ax.plot(ks, [r["dispersion"] for r in rows], marker="s", label="dispersion")
                ax.set_ylabel("consensus statistics")
                ax.axvline(self.best_k["consensus"], color="grey", ls="--", lw=1)
                ax.legend()
            ax.set_xlabel("k")
            ax.set_xticks(ks)
        import io as _io

        buf = _io.BytesIO()
        fig.savefig(buf, format="png", dpi=120)
        path = Path(path)
        atomic_write_bytes(path, buf.getvalue())
        return path

    def summary(self) -> dict:
        return {"ks": list(self.ks), "best_k": dict(self.best_k), "table": self.table,
                "seconds": self.seconds}


def _fit(X, k, mask, method, loss, seed, max_iter, tol, init):
    from .factorize import factorize

    return factorize(X, k, method=method, loss=loss, init=init, random_state=seed,
                     max_iter=max_iter, tol=tol, mask=mask)


def _held_out_error(loss, X, Y, test):
    if loss == "kl":
        from .losses import kl_divergence

        return kl_divergence(X[test], Y[test]) / int(test.sum())
    return float(np.mean((X - Y)[test] ** 2))


def _brunet_choice(ks, values, drop):
    for i in range(1, len(ks)):
        if values[i - 1] - values[i] > drop:
            return ks[i - 1]
    return ks[int(np.argmax(values))]


def choose_k(rows, drop: float = 0.02) -> dict:
    """The k each criterion picks from per-k rows (dicts with "k" and "cv_mean" and/or
    "cophenetic", as in :attr:`RankSelection.table`): "cv" (and "bcv", from "bcv_mean") the k
    of least mean held-out error (the smaller k on a tie), "consensus" Brunet et al.'s rule
    (the k just before the cophenetic coefficient first falls by more than ``drop``, else its
    argmax). A criterion
    that no row has is left out. The experiment runner's cells, one per k, are read the same
    way."""
    rows = sorted(rows, key=lambda r: r["k"])
    best = {}
    if rows and all(r.get("cv_mean") is not None for r in rows):
        best["cv"] = min(rows, key=lambda r: (r["cv_mean"], r["k"]))["k"]
    if rows and all(r.get("bcv_mean") is not None for r in rows):
        best["bcv"] = min(rows, key=lambda r: (r["bcv_mean"], r["k"]))["k"]
    if rows and all(r.get("cophenetic") is not None for r in rows):
        best["consensus"] = _brunet_choice([r["k"] for r in rows],
                                           [r["cophenetic"] for r in rows], drop)
    return best


def select_rank(X, ks=range(2, 11), *, method: str = "cv", n_folds: int | None = None,
                n_restarts: int = 10, nmf_method: str = "hals", loss: str = "frobenius",
                max_iter: int = 1000, tol: float = 1e-8, drop: float = 0.02, mask=None,
                random_state: int = 0, n_jobs: int = 1, checkpoint_dir=None,
                progress=None) -> RankSelection:
    """Score each k in ``ks`` by held-out cross-validation and/or consensus clustering (see
    the module docstring; ``method="bcv"``: Owen & Perry's bi-cross-validation). ``X`` may
    have missing entries (NaN or ``mask``); they are never held out or scored. ``n_folds``:
    entry folds for "cv" (default 5), row and column groups for "bcv" (default 2).
    ``progress(k, criterion)`` is called after each k."""
    start = time.perf_counter()
    check_choice(method, "method", CRITERIA)
    if n_folds is None:
        n_folds = 2 if method == "bcv" else 5
    if method == "bcv" and loss != "frobenius":
        raise NMFInputError(f"method='bcv' folds rows and columns in by least squares: it "
                            f"needs loss 'frobenius', got {loss!r} (use method='cv')")
    X, observed = check_observed(X, mask)
    mask = np.ones_like(X) if observed is None else observed
    ks = tuple(sorted({check_rank(k, X.shape) for k in ks}))
    if not ks:
        raise NMFInputError("ks is empty: give the candidate inner dimensions, e.g. range(2, 11)")
    n_restarts = check_positive_int(n_restarts, "n_restarts", low=1)
    seed = check_positive_int(random_state, "random_state", low=0)
    options = {"nmf_method": nmf_method, "loss": loss, "max_iter": max_iter, "tol": tol}
    rows, consensus = [], {}
    folds = held_out_folds(mask, n_folds, seed) if method in ("cv", "both") else None
    groups = bcv_groups(X.shape, n_folds, seed) if method == "bcv" else None
    if groups is not None:
        smallest = min(int((groups[0] != g).sum()) for g in range(n_folds)), min(
            int((groups[1] != g).sum()) for g in range(n_folds))
        if max(ks) > min(smallest):
            raise NMFInputError(f"method='bcv' fits rank k to the retained block D, at most "
                                f"{smallest[0]}×{smallest[1]} here: k = {max(ks)} is out of "
                                f"range; use fewer folds or smaller ks")
    for k in ks:
        row = {"k": k}
        if groups is not None:
            def bcv_run(b, k=k):
                fold_seed = int(restart_seed((seed, k, 3), b).generate_state(1)[0])

                def fit_D(D, mask_D):
                    fit = _fit(D, k, mask_D, nmf_method, loss, fold_seed, max_iter, tol,
                               "random")
                    return fit.W, fit.H

                rows_out, cols_out = groups[0] == b // n_folds, groups[1] == b % n_folds
                return {"error": np.float64(bcv_block_error(
                    X, None if observed is None else mask, rows_out, cols_out, k, fit_D))}

            checkpoint, _ = checkpoint_for(checkpoint_dir, ("error",), X=X, mask=mask, k=k,
                                           groups=np.concatenate(groups), kind="bcv",
                                           **options)
            records = run_restarts(bcv_run, n_folds * n_folds, n_jobs=n_jobs,
                                   checkpoint=checkpoint, stop=lambda r: False)
            errors = np.array([float(r["error"]) for r in records])
            row.update(bcv_mean=float(np.nanmean(errors)),
                       bcv_sd=float(np.nanstd(errors, ddof=1)), bcv_folds=errors.tolist())
            if progress is not None:
                progress(k, "bcv")
        if folds is not None:
            def cv_run(f, k=k):
                train = (mask > 0) & (folds != f)
                fit = _fit(X, k, train.astype(float), nmf_method, loss,
                           int(restart_seed((seed, k, 1), f).generate_state(1)[0]),
                           max_iter, tol, "random")
                return {"error": np.float64(_held_out_error(loss, X, fit.W @ fit.H,
                                                             folds == f)),
                        "train_error": np.float64(fit.relative_error)}

            checkpoint, _ = checkpoint_for(checkpoint_dir, ("error", "train_error"),
                                           X=X, mask=mask, k=k, folds=folds, kind="cv",
                                           **options)
            records = run_restarts(cv_run, n_folds, n_jobs=n_jobs, checkpoint=checkpoint,
                                   stop=lambda r: False)
            errors = np.array([float(r["error"]) for r in records])
            row.update(cv_mean=float(errors.mean()), cv_sd=float(errors.std(ddof=1)),
                       cv_folds=errors.tolist())
            if progress is not None:
                progress(k, "cv")
        if method in ("consensus", "both"):
            def consensus_run(i, k=k):
                fit = _fit(X, k, None if observed is None else mask, nmf_method, loss,
                           int(restart_seed((seed, k, 2), i).generate_state(1)[0]),
                           max_iter, tol, "random")
                return {"labels": cluster_labels(fit.W, fit.H),
                        "error": np.float64(fit.relative_error)}

            checkpoint, _ = checkpoint_for(checkpoint_dir, ("labels", "error"), X=X, mask=mask,
                                           k=k, restarts=n_restarts, kind="consensus",
                                           labels="norm-weighted", **options)
            records = run_restarts(consensus_run, n_restarts, n_jobs=n_jobs,
                                   checkpoint=checkpoint, stop=lambda r: False)
            C = consensus_matrix(np.array([r["labels"] for r in records]))
            consensus[k] = C
            row.update(cophenetic=cophenetic_correlation(C), dispersion=dispersion(C),
                       relative_error=float(np.mean([float(r["error"]) for r in records])))
            if progress is not None:
                progress(k, "consensus")
        rows.append(row)
    return RankSelection(ks, rows, choose_k(rows, drop), consensus,
                         time.perf_counter() - start)
