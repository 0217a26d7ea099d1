"""Figures drawn from saved experiment results only (never rerunning anything).

Each figure in a config is a table ``[[figures]]`` with ``name``, ``kind``, ``caption`` and
kind-specific keys; it is written to ``<figures_dir>/<experiment>_<name>.png`` with labelled
axes, a legend and the paper cited in the title. Saved results are read through the
experiment's :class:`~nnmf_research.reproduce.store.ResultStore`. Figures are
``matplotlib.figure.Figure`` objects rendered straight to PNG bytes: importing this module
or drawing a figure never selects or changes the user's plotting backend.

==============  ===========================================================================
kind            draws
==============  ===========================================================================
basis_grid      the basis images (columns of W) of each listed method, one montage each
                (keys: methods, dataset, k, rep, n_show)
loss_curves     loss (or loss / ‖X‖²) against iteration or seconds, one line per method
                (keys: methods, dataset, k, rep, x = "iteration" | "seconds", relative)
metric_bars     a metric per method: bar = mean over repetitions, whiskers = min..max,
                grouped by k (keys: metric, methods)
metric_lines    metrics against a data-set parameter (e.g. m), one line per method × metric
                (keys: metrics, x, methods)
metric_by_dataset  one panel per metric: for each (data set, k) a group of bars, one per
                method; success-type metrics show the mean, others the median (keys: metrics,
                methods)
per_start_points  every repetition's value of a metric as a dot, one column of dots per
                method within each (data set, k) group, a dashed line at ``reference``
                and, above each column, how many of its starts lie above that line (keys:
                metric, methods, reference, log): a claim "on every start" at a glance
family_lines    one panel per data-set loader: a metric (e.g. a rank bound) against a data-set
                parameter (e.g. n), one line per method, the known rank₊ dashed (keys:
                metric, x, methods, families)
mean_lines      a metric against a data-set parameter on linear axes, one line per method:
                the mean over every cell (data sets × repetitions) with that parameter value,
                shaded min..max (keys: metric, x, methods, percent)
objective_time  one panel per (data set, k): each method's incumbent (its saved loss trace,
                the best objective so far) against seconds, the median over repetitions
                with a min..max band on a log time grid, a dot at the median (seconds,
                final metric), y symlog (an exact 0 shows); a method without a trace is
                a square at the medians with min..max whiskers (keys: methods, metric,
                default "objective")
parameter_lines a metric against a *method* parameter (e.g. the fraction of entries hidden),
                one panel per data set, one line per method label (the methods sharing a
                label are its points): median over repetitions (robust to a run that
                diverges), shaded min..max (keys: metric, x, methods, datasets, percent, log)
rank_choice     how often each criterion of ``rank_select`` cells picks the data set's planted
                k (``meta["k"]``), against a data-set parameter (e.g. noise): per data set the
                cells over k are read by :func:`~nnmf_research.rank_selection.choose_k`; also
                writes ``<name>.csv`` (one row per data set: the k each criterion picks) next
                to the tables (keys: method, x)
rank_curves     held-out error and cophenetic correlation against k, one line per listed data
                set (keys: method, datasets)
consensus       the consensus matrices of one data set at the listed k, samples reordered by
                average linkage on 1 − consensus, as in Brunet et al.'s Fig. 2 (keys: method,
                dataset, ks)
==============  ===========================================================================
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..checks import NMFInputError
from ..io import atomic_write_bytes

__all__ = ["FIGURE_KINDS", "check_figure", "draw_figure", "montage"]

FIGURE_KINDS = {
    "basis_grid": ("methods", "dataset", "k", "rep", "n_show"),
    "loss_curves": ("methods", "dataset", "k", "rep", "x", "relative"),
    "metric_bars": ("metric", "methods"),
    "metric_lines": ("metrics", "x", "methods"),
    "metric_by_dataset": ("metrics", "methods"),
    "per_start_points": ("metric", "methods", "reference", "log"),
    "family_lines": ("metric", "x", "methods", "families"),
    "chi_square_vs_kl": ("methods", "dataset", "k", "rep"),
    "mean_lines": ("metric", "x", "methods", "percent"),
    "objective_time": ("methods", "metric"),
    "parameter_lines": ("metric", "x", "methods", "datasets", "percent", "log"),
    "rank_choice": ("method", "x"),
    "rank_curves": ("method", "datasets"),
    "consensus": ("method", "dataset", "ks"),
}
_COMMON = ("name", "kind", "caption")


LOSS_CURVE_AXES = ("iteration", "seconds")
"""What a ``loss_curves`` figure can put on its x axis."""


def check_figure(fig: dict, methods: dict, datasets: dict, where: str) -> None:
    """Refuse unknown keys, methods or data sets in a figure spec, naming the valid ones."""
    kind = fig.get("kind")
    if "name" not in fig:
        raise NMFInputError(f"{where}: a figure of kind {kind!r} has no 'name'")
    valid = _COMMON + FIGURE_KINDS[kind]
    for key in fig:
        if key not in valid:
            raise NMFInputError(f"{where}: figure {fig['name']!r}: unknown key {key!r}; "
                                f"valid: {', '.join(valid)}")
    named_methods = list(fig.get("methods", [])) + ([fig["method"]] if "method" in fig else [])
    for m in named_methods:
        if m not in methods:
            raise NMFInputError(f"{where}: figure {fig['name']!r}: unknown method {m!r}; "
                                f"valid: {', '.join(methods)}")
    named_datasets = (list(fig.get("datasets", []))
                      + ([fig["dataset"]] if "dataset" in fig else []))
    for d in named_datasets:
        if d not in datasets:
            raise NMFInputError(f"{where}: figure {fig['name']!r}: unknown dataset "
                                f"{d!r}; valid: {', '.join(datasets)}")
    if kind == "loss_curves" and fig.get("x", "iteration") not in LOSS_CURVE_AXES:
        raise NMFInputError(f"{where}: figure {fig['name']!r}: x = {fig['x']!r}; a loss_curves "
                            f"figure's x is one of {', '.join(LOSS_CURVE_AXES)}")


def montage(W: np.ndarray, image_shape, n_cols: int | None = None) -> np.ndarray:
    """Tile the columns of W (reshaped to ``image_shape``) into one image, 1-pixel gaps."""
    k = W.shape[1]
    n_cols = n_cols or int(np.ceil(np.sqrt(k)))
    n_rows = int(np.ceil(k / n_cols))
    h, w = image_shape
    canvas = np.full((n_rows * (h + 1) + 1, n_cols * (w + 1) + 1), np.nan)
    for j in range(k):
        r, c = divmod(j, n_cols)
        canvas[1 + r * (h + 1): 1 + r * (h + 1) + h, 1 + c * (w + 1): 1 + c * (w + 1) + w] = \
            W[:, j].reshape(h, w)
    return canvas


def _select(rows, fig, exp):
    dataset = fig.get("dataset", next(iter(exp.datasets)))
    k = fig.get("k", exp.ranks(dataset)[0])
    rep = fig.get("rep", 0)
    chosen = {}
    for row in rows:
        if (row["status"] == "ok" and row["dataset"] == dataset and row["k"] == k
                and row["rep"] == rep):
            chosen[row["method"]] = row
    methods = fig.get("methods", list(exp.methods))
    return dataset, k, [(m, chosen.get(m)) for m in methods]


def _title(fig, exp, ax_or_fig):
    caption = fig.get("caption", exp.title)
    suptitle = f"{caption}\n{exp.paper}" if exp.paper else caption
    ax_or_fig.suptitle(suptitle, fontsize=9)


def _subplots(nrows=1, ncols=1, **kwargs):
    """``pyplot.subplots`` without pyplot: a Figure no backend or window manager knows."""
    squeeze = kwargs.pop("squeeze", True)
    figure = Figure(figsize=kwargs.pop("figsize"), layout=kwargs.pop("layout", None))
    return figure, figure.subplots(nrows, ncols, squeeze=squeeze)


def _save(figure, path: Path) -> None:
    import io

    buf = io.BytesIO()
    figure.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())


def _basis_grid(fig, exp, rows, store, path):
    dataset, k, chosen = _select(rows, fig, exp)
    figure, axes = _subplots(1, len(chosen), figsize=(3.9 * len(chosen), 3.9),
                                squeeze=False, layout="constrained")
    for ax, (method, row) in zip(axes[0], chosen):
        ax.set_xticks([])
        ax.set_yticks([])
        if row is None:
            ax.set_title(f"{exp.label(method)}\n(no result)", fontsize=8)
            continue
        W = store.arrays(row["key"])["W"][:, : fig.get("n_show", 64)]
        record_shape = store.image_shape(row["key"])
        if record_shape is None:
            raise NMFInputError(f"figure {fig['name']!r}: data set {dataset!r} is not images")
        signed = W.min() < 0
        scale = np.abs(W).max(axis=0)
        scale[scale == 0] = 1.0
        grid = montage(W / scale, record_shape)
        im = ax.imshow(grid, cmap="RdBu_r" if signed else "gray_r",
                       vmin=-1 if signed else 0, vmax=1, interpolation="nearest")
        ax.set_title(f"{exp.label(method)}  (k={W.shape[1]})", fontsize=8)
        figure.colorbar(im, ax=ax, fraction=0.046, pad=0.02,
                        label="basis value / column max")
    _title(fig, exp, figure)
    _save(figure, path)


def _loss_curves(fig, exp, rows, store, path):
    dataset, k, chosen = _select(rows, fig, exp)
    x_kind = fig.get("x", "iteration")
    figure, ax = _subplots(figsize=(6.4, 4.4), layout="constrained")
    for method, row in chosen:
        if row is None:
            continue
        arrays = store.arrays(row["key"])
        if "trace_loss" not in arrays:
            continue
        y = arrays["trace_loss"]
        if fig.get("relative", False):
            y = y / y[0]
        x = arrays["trace_time"] if x_kind == "seconds" else np.arange(len(y))
        if x_kind == "seconds":
            x, y = x[1:], y[1:]  # log axis: drop t = 0
        ax.plot(x, y, marker="." if len(y) < 30 else None, label=exp.label(method))
    ax.set_yscale("log")
    if x_kind == "seconds":
        ax.set_xscale("log")
        ax.set_xlabel("wall-clock time (s)")
    else:
        ax.set_xlabel("iteration")
    ax.set_ylabel("loss / initial loss" if fig.get("relative") else
                  "loss (‖X − WH‖²_F, or D(X‖WH) for KL)")
    ax.grid(True, which="both", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no finished cells with a loss trace", ha="center",
                transform=ax.transAxes)
    _title(fig, exp, figure)
    _save(figure, path)


def _chi_square_vs_kl(fig, exp, rows, store, path):
    """D(X‖WH) against χ²(X, WH)/2 along the iterations (Ding, Li & Peng: equal to first
    order near a fit), with the diagonal."""
    dataset, k, chosen = _select(rows, fig, exp)
    figure, ax = _subplots(figsize=(5.6, 4.8), layout="constrained")
    drawn = []
    for method, row in chosen:
        if row is None:
            continue
        arrays = store.arrays(row["key"])
        if "trace_chi_square_half" not in arrays:
            continue
        d, c = arrays["trace_loss"], arrays["trace_chi_square_half"]
        ax.plot(d, c, marker=".", markersize=3, label=exp.label(method))
        drawn.extend([d.min(), d.max(), c.min(), c.max()])
    if drawn:
        lo, hi = min(drawn), max(drawn)
        ax.plot([lo, hi], [lo, hi], "k--", linewidth=0.8, label="χ²/2 = D")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no finished cells with a χ² trace", ha="center",
                transform=ax.transAxes)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("I-divergence D(X‖WH)")
    ax.set_ylabel("χ²(X, WH) / 2")
    ax.grid(True, which="both", alpha=0.3)
    _title(fig, exp, figure)
    _save(figure, path)


def _metric_bars(fig, exp, rows, store, path):
    metric = fig["metric"]
    methods = fig.get("methods", list(exp.methods))
    ks = exp.all_ranks()     # a data set's own ranks, not only the top-level k
    figure, ax = _subplots(figsize=(1.2 + 1.1 * len(methods) * len(ks), 4.2),
                              layout="constrained")
    width = 0.8 / len(ks)
    for i, k in enumerate(ks):
        means, lo, hi = [], [], []
        for m in methods:
            vals = [r[metric] for r in rows if r["method"] == m and r["k"] == k
                    and r["status"] == "ok" and r.get(metric) is not None]
            mean = float(np.mean(vals)) if vals else np.nan
            means.append(mean)
            lo.append(mean - min(vals) if vals else 0)
            hi.append(max(vals) - mean if vals else 0)
        pos = np.arange(len(methods)) + (i - (len(ks) - 1) / 2) * width
        ax.bar(pos, means, width, yerr=[lo, hi], capsize=3, label=f"k = {k}")
    ax.set_xticks(np.arange(len(methods)), [exp.label(m) for m in methods], fontsize=8,
                  rotation=15)
    ax.set_ylabel(metric.replace("_", " ") + " (mean; whiskers min..max)")
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    _title(fig, exp, figure)
    _save(figure, path)


def _by_dataset_parameter(rows, store, method, metric, x_key, datasets=None):
    """For one method's ok cells (optionally only of ``datasets``): {x: [metric values]} keyed
    by the data set's parameter ``x_key``, and {x: the loader's meta} — both read from the
    saved cell records."""
    points, meta = {}, {}
    for r in rows:
        if (r["method"] != method or r["status"] != "ok" or r.get(metric) is None
                or (datasets is not None and r["dataset"] not in datasets)):
            continue
        rec = store.record(r["key"])
        x = rec["dataset_params"].get(x_key)
        points.setdefault(x, []).append(r[metric])
        meta[x] = rec.get("dataset_meta", {})
    return points, meta


def _metric_lines(fig, exp, rows, store, path):
    x_key = fig["x"]
    methods = fig.get("methods", list(exp.methods))
    figure, ax = _subplots(figsize=(6.4, 4.4), layout="constrained")
    for m in methods:
        for metric in fig["metrics"]:
            points, _ = _by_dataset_parameter(rows, store, m, metric, x_key)
            if not points:
                continue
            xs = sorted(points)
            ax.plot(xs, [np.median(points[x]) for x in xs], marker="o",
                    label=f"{exp.label(m)}: {metric.replace('_', ' ')}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(x_key)
    ax.set_ylabel("seconds (median over repetitions)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    _title(fig, exp, figure)
    _save(figure, path)


def _metric_by_dataset(fig, exp, rows, store, path):
    methods = fig.get("methods", list(exp.methods))
    groups = _groups(rows)
    metrics = fig["metrics"]
    figure, axes = _subplots(len(metrics), 1, figsize=(max(6.4, 0.9 * len(groups)),
                                                          2.8 * len(metrics)),
                                squeeze=False, layout="constrained")
    width = 0.8 / max(len(methods), 1)
    for ax, metric in zip(axes[:, 0], metrics):
        summarize = np.mean if metric == "success" else np.median
        for i, m in enumerate(methods):
            vals = []
            for dataset, k in groups:
                got = [r[metric] for r in rows if r["method"] == m and r["dataset"] == dataset
                       and r["k"] == k and r["status"] == "ok" and r.get(metric) is not None]
                vals.append(float(summarize(got)) if got else np.nan)
            pos = np.arange(len(groups)) + (i - (len(methods) - 1) / 2) * width
            ax.bar(pos, vals, width, label=exp.label(m))
        ax.set_xticks(np.arange(len(groups)), [f"{d}\nr={k}" for d, k in groups], fontsize=7)
        label = ("success rate" if metric == "success" else
                 f"median {metric.replace('_', ' ')}" + (" (s)" if metric == "seconds" else ""))
        ax.set_ylabel(label)
        if metric == "seconds":
            ax.set_yscale("log")
        ax.grid(True, axis="y", alpha=0.3)
    longest = max((len(exp.label(m)) for m in methods), default=0)
    axes[0, 0].legend(fontsize=7, ncol=min(4, len(methods)) if longest < 25 else 1)
    _title(fig, exp, figure)
    _save(figure, path)


def _per_start_points(fig, exp, rows, store, path):
    metric, reference = fig["metric"], fig.get("reference")
    methods = fig.get("methods", list(exp.methods))
    groups = _groups(rows)
    figure, ax = _subplots(figsize=(max(6.4, 1.1 * len(groups)), 4.0), layout="constrained")
    width = 0.8 / max(len(methods), 1)
    for i, m in enumerate(methods):
        for g, (dataset, k) in enumerate(groups):
            got = np.array([float(r[metric]) for r in rows if r["method"] == m
                            and r["dataset"] == dataset and r["k"] == k
                            and r["status"] == "ok" and r.get(metric) is not None])
            centre = g + (i - (len(methods) - 1) / 2) * width
            spread = np.linspace(-0.3, 0.3, got.size) * width if got.size > 1 else np.zeros(1)
            ax.plot(centre + spread[:got.size], got, "o", ms=3, color=f"C{i}",
                    label=exp.label(m) if g == 0 else None)
            if reference is not None and got.size:
                ax.annotate(f"{int((got > reference).sum())}/{got.size}",
                            (centre, 1.0), xycoords=("data", "axes fraction"),
                            ha="center", va="bottom", fontsize=6, color=f"C{i}")
    if reference is not None:
        ax.axhline(reference, color="k", ls="--", lw=0.8)
    if fig.get("log"):
        ax.set_yscale("log")
    ax.set_xticks(np.arange(len(groups)), [f"{d}\nr={k}" for d, k in groups], fontsize=7)
    ax.set_ylabel(metric.replace("_", " ") + (f" (n/N: starts above {reference:g})"
                                               if reference is not None else ""))
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=7)
    _title(fig, exp, figure)
    _save(figure, path)


def _family_lines(fig, exp, rows, store, path):
    """One panel per data-set loader (family): ``metric`` (median over repetitions) against
    the data-set parameter ``x``, one line per method, and the family's known rank₊ (from the
    loader's meta) as a dashed line where it is stated."""
    metric, x_key = fig["metric"], fig["x"]
    methods = fig.get("methods", list(exp.methods))
    families = fig.get("families") or sorted({d["loader"] for d in exp.datasets.values()})
    figure, axes = _subplots(1, len(families), figsize=(5.2 * len(families), 4.2),
                                squeeze=False, layout="constrained")
    for ax, family in zip(axes[0], families):
        names = [n for n, d in exp.datasets.items() if d["loader"] == family]
        known = {}
        for m in methods:
            points, meta = _by_dataset_parameter(rows, store, m, metric, x_key, names)
            known.update({x: v["rank_plus"] for x, v in meta.items()
                          if v.get("rank_plus") is not None})
            if points:
                xs = sorted(points)
                ax.plot(xs, [np.median(points[x]) for x in xs], marker="o", label=exp.label(m))
        if known:
            xs = sorted(known)
            ax.plot(xs, [known[x] for x in xs], "k--", lw=2, label="rank₊ (known)")
        ax.set_xlabel(x_key)
        ax.set_ylabel(metric.replace("_", " "))
        ax.set_title(family, fontsize=9)
        ax.grid(True, alpha=0.3)
    axes[0, -1].legend(fontsize=7)
    _title(fig, exp, figure)
    _save(figure, path)


def _mean_lines(fig, exp, rows, store, path):
    """``metric`` (mean over all cells sharing the data-set parameter ``x``, e.g. the seeds
    of one noise level; band = min..max) against ``x``, one line per method, linear axes."""
    metric, x_key = fig["metric"], fig["x"]
    scale = 100.0 if fig.get("percent") else 1.0
    methods = fig.get("methods", list(exp.methods))
    figure, ax = _subplots(figsize=(6.4, 4.4), layout="constrained")
    counts = set()
    for m in methods:
        points, _ = _by_dataset_parameter(rows, store, m, metric, x_key)
        if not points:
            continue
        xs = sorted(points)
        counts.update(len(points[x]) for x in xs)
        mean = [scale * float(np.mean(points[x])) for x in xs]
        line, = ax.plot(xs, mean, marker="o", label=exp.label(m))
        ax.fill_between(xs, [scale * min(points[x]) for x in xs],
                        [scale * max(points[x]) for x in xs], color=line.get_color(),
                        alpha=0.12)
    ax.set_xlabel(x_key)
    runs = "-".join(str(c) for c in sorted({min(counts, default=0), max(counts, default=0)}))
    ax.set_ylabel(f"{metric.replace('_', ' ')}{' (%)' if scale == 100 else ''}, mean of "
                  f"{runs} runs (band: min..max)")
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    _title(fig, exp, figure)
    _save(figure, path)


def incumbent_on_grid(trace_loss, trace_time, grid) -> np.ndarray:
    """The best loss recorded at or before each time of ``grid`` (NaN before the first
    point); after the trace's last point its final value (the answer the run returned)."""
    best = np.minimum.accumulate(np.asarray(trace_loss, float))
    idx = np.searchsorted(np.asarray(trace_time, float), grid, side="right") - 1
    return np.where(idx >= 0, best[np.maximum(idx, 0)], np.nan)


def _groups(rows):
    groups = []
    for row in rows:
        if (row["dataset"], row["k"]) not in groups:
            groups.append((row["dataset"], row["k"]))
    return groups


def _objective_time(fig, exp, rows, store, path):
    metric = fig.get("metric", "objective")
    methods = fig.get("methods", list(exp.methods))
    ok = [r for r in rows if r["status"] == "ok" and r["method"] in methods]
    groups = _groups(ok)
    n_cols = min(3, max(len(groups), 1))
    n_rows = max(1, -(-len(groups) // n_cols))
    figure, axes = _subplots(n_rows, n_cols, figsize=(4.3 * n_cols, 3.5 * n_rows),
                             squeeze=False, layout="constrained")
    colors = {m: f"C{i}" for i, m in enumerate(methods)}
    for ax in axes.ravel()[len(groups):]:
        ax.set_visible(False)
    for ax, (dataset, k) in zip(axes.ravel(), groups):
        for m in methods:
            cell = [r for r in ok if r["method"] == m and r["dataset"] == dataset
                    and r["k"] == k]
            if not cell:
                continue
            secs = np.array([float(r["seconds"]) for r in cell])
            finals = np.array([float(r[metric]) for r in cell])
            traces = [store.arrays(r["key"]) for r in cell]
            traces = [(a["trace_loss"], a["trace_time"]) for a in traces
                      if a.get("trace_loss") is not None and a.get("trace_time") is not None
                      and len(a["trace_loss"]) > 0]
            label = f"{exp.label(m)} ({len(cell)} runs)"
            if len(traces) == len(cell):
                first = max(max(float(t[0]), 1e-4) for _, t in traces)
                last = max(float(t[-1]) for _, t in traces)
                grid = np.geomspace(first, max(last, first * 1.01), 200)
                Y = np.array([incumbent_on_grid(y, t, grid) for y, t in traces])
                ax.plot(grid, np.median(Y, axis=0), color=colors[m], label=label)
                ax.fill_between(grid, Y.min(axis=0), Y.max(axis=0), color=colors[m],
                                alpha=0.15)
                ax.plot([np.median(secs)], [np.median(finals)], "o", color=colors[m])
            else:
                ax.errorbar([np.median(secs)], [np.median(finals)],
                            xerr=[[np.median(secs) - secs.min()], [secs.max() - np.median(secs)]],
                            yerr=[[np.median(finals) - finals.min()],
                                  [finals.max() - np.median(finals)]],
                            fmt="s", color=colors[m], capsize=3, label=label + ", no trace")
        ax.set_xscale("log")
        ax.set_yscale("symlog", linthresh=1.0)   # log above 1, linear through an exact 0
        ax.set_ylim(bottom=0.0)
        ax.set_xlabel("seconds since the method began")
        ax.set_ylabel(f"{metric.replace('_', ' ')} (best so far; symlog)")
        ax.set_title(f"{dataset}, k={k}", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6)
    if not groups:
        axes[0, 0].text(0.5, 0.5, "no finished cells", ha="center",
                        transform=axes[0, 0].transAxes)
    _title(fig, exp, figure)
    _save(figure, path)


def _parameter_lines(fig, exp, rows, store, path):
    """``metric`` against the method parameter ``x``: one panel per data set, one line per
    method label, median over repetitions with a min..max band."""
    metric, x_key = fig["metric"], fig["x"]
    scale = 100.0 if fig.get("percent") else 1.0
    methods = fig.get("methods", list(exp.methods))
    datasets = [d for d in fig.get("datasets", list(exp.datasets))
                if any(r["dataset"] == d for r in rows)] or list(exp.datasets)[:1]
    figure, axes = _subplots(1, len(datasets), figsize=(4.6 * len(datasets), 4.0),
                             squeeze=False, layout="constrained")
    for ax, dataset in zip(axes[0], datasets):
        lines: dict[str, dict] = {}
        for m in methods:
            x = exp.methods[m].get(x_key)
            vals = [r[metric] for r in rows if r["method"] == m and r["dataset"] == dataset
                    and r["status"] == "ok" and r.get(metric) is not None]
            if x is not None and vals:
                lines.setdefault(exp.label(m), {})[scale * x] = vals
        for label, points in lines.items():
            xs = sorted(points)
            line, = ax.plot(xs, [np.median(points[x]) for x in xs], marker="o", label=label)
            ax.fill_between(xs, [min(points[x]) for x in xs], [max(points[x]) for x in xs],
                            color=line.get_color(), alpha=0.12)
        if fig.get("log"):
            ax.set_yscale("log")
        ax.set_title(dataset, fontsize=9)
        ax.set_xlabel(f"{x_key}{' (%)' if scale == 100 else ''}")
        ax.set_ylabel(f"{metric.replace('_', ' ')} (median; band min..max)")
        ax.grid(True, which="both", alpha=0.3)
        if lines:
            ax.legend(fontsize=7)
    _title(fig, exp, figure)
    _save(figure, path)


def _rank_rows(rows, store, method):
    """{data set: ([per-k rows with k, cv_mean, cophenetic], its saved record)} of the ok
    ``rank_select`` cells of ``method``."""
    out: dict[str, tuple[list, dict]] = {}
    for r in rows:
        if r["method"] != method or r["status"] != "ok":
            continue
        rec = store.record(r["key"])
        entry = out.setdefault(r["dataset"], ([], rec))
        entry[0].append({"k": r["k"], "cv_mean": r.get("cv_mean"),
                         "cophenetic": r.get("cophenetic")})
    return out


def _rank_choice(fig, exp, rows, store, path):
    """Fraction of data sets (per value of the data-set parameter ``x``) whose planted k each
    criterion picks; the picks themselves go to ``<name>.csv``."""
    from ..rank_selection import choose_k

    x_key = fig["x"]
    picks, rates = [], {}
    for dataset, (per_k, rec) in _rank_rows(rows, store, fig["method"]).items():
        best = choose_k(per_k)
        planted = rec.get("dataset_meta", {}).get("k")
        x = rec["dataset_params"].get(x_key)
        picks.append({"dataset": dataset, x_key: x, "planted_k": planted,
                      "ks": " ".join(str(r["k"]) for r in sorted(per_k, key=lambda r: r["k"])),
                      **{f"k_{c}": v for c, v in best.items()}})
        if planted is not None:
            for criterion, k in best.items():
                rates.setdefault(criterion, {}).setdefault(x, []).append(k == planted)
    columns = ["dataset", x_key, "planted_k", "k_cv", "k_consensus", "ks"]
    lines = [",".join(columns)] + [",".join("" if p.get(c) is None else str(p[c])
                                            for c in columns) for p in picks]
    atomic_write_bytes(store.table_path(f"{fig['name']}.csv"),
                       ("\n".join(lines) + "\n").encode())
    figure, ax = _subplots(figsize=(6.0, 4.0), layout="constrained")
    xs = sorted({x for per in rates.values() for x in per})
    width = 0.8 / max(len(rates), 1)
    for i, (criterion, per) in enumerate(sorted(rates.items())):
        vals = [100.0 * np.mean(per[x]) if x in per else np.nan for x in xs]
        bars = ax.bar(np.arange(len(xs)) + (i - (len(rates) - 1) / 2) * width, vals, width,
                      label={"cv": "held-out CV", "consensus": "cophenetic (Brunet)"}
                      .get(criterion, criterion))
        for bar, x in zip(bars, xs):
            if x in per:
                ax.annotate(f"{sum(per[x])}/{len(per[x])}", (bar.get_x() + bar.get_width() / 2,
                            bar.get_height()), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(np.arange(len(xs)), [f"{x:g}" for x in xs])
    ax.set_xlabel(x_key)
    ax.set_ylabel("planted k picked (% of data sets)")
    ax.set_ylim(0, 110)
    ax.grid(True, axis="y", alpha=0.3)
    if rates:
        ax.legend(fontsize=8)
    _title(fig, exp, figure)
    _save(figure, path)


def _rank_curves(fig, exp, rows, store, path):
    """cv_mean (log) and cophenetic against k, one line per data set."""
    per_dataset = _rank_rows(rows, store, fig["method"])
    figure, axes = _subplots(1, 2, figsize=(9.6, 3.8), squeeze=False, layout="constrained")
    for dataset in fig.get("datasets", list(per_dataset)):
        if dataset not in per_dataset:
            continue
        per_k = sorted(per_dataset[dataset][0], key=lambda r: r["k"])
        ks = [r["k"] for r in per_k]
        for ax, column in zip(axes[0], ("cv_mean", "cophenetic")):
            vals = [r.get(column) for r in per_k]
            if any(v is not None for v in vals):
                ax.plot(ks, [np.nan if v is None else v for v in vals], marker="o",
                        label=dataset)
    axes[0, 0].set_yscale("log")
    axes[0, 0].set_ylabel("held-out mean squared error (mean over folds)")
    axes[0, 1].set_ylabel("cophenetic correlation of the consensus")
    for ax in axes[0]:
        ax.set_xlabel("k")
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    _title(fig, exp, figure)
    _save(figure, path)


def _consensus(fig, exp, rows, store, path):
    """Consensus matrices at the listed k, reordered by average linkage on 1 − C."""
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    ks = fig["ks"]
    chosen = {r["k"]: r for r in rows if r["method"] == fig["method"]
              and r["dataset"] == fig["dataset"] and r["status"] == "ok" and r["rep"] == 0}
    figure, axes = _subplots(1, len(ks), figsize=(3.2 * len(ks), 3.4), squeeze=False,
                             layout="constrained")
    image = None
    for ax, k in zip(axes[0], ks):
        ax.set_xticks([])
        ax.set_yticks([])
        C = None if k not in chosen else store.arrays(chosen[k]["key"]).get("trace_consensus")
        if C is None:
            ax.set_title(f"k = {k}\n(no result)", fontsize=8)
            continue
        C = np.asarray(C, dtype=float)
        order = leaves_list(linkage(squareform(1.0 - C, checks=False), method="average"))
        image = ax.imshow(C[np.ix_(order, order)], cmap="viridis", vmin=0, vmax=1,
                          interpolation="nearest")
        coph = chosen[k].get("cophenetic")
        ax.set_title(f"k = {k}" + ("" if coph is None else f", cophenetic {coph:.3f}"),
                     fontsize=8)
    if image is not None:
        figure.colorbar(image, ax=list(axes[0]), fraction=0.046, label="consensus")
    _title(fig, exp, figure)
    _save(figure, path)


_DRAW = {"basis_grid": _basis_grid, "loss_curves": _loss_curves,
         "metric_bars": _metric_bars, "metric_lines": _metric_lines,
         "metric_by_dataset": _metric_by_dataset, "per_start_points": _per_start_points,
         "family_lines": _family_lines,
         "chi_square_vs_kl": _chi_square_vs_kl, "mean_lines": _mean_lines,
         "objective_time": _objective_time,
         "parameter_lines": _parameter_lines, "rank_choice": _rank_choice,
         "rank_curves": _rank_curves, "consensus": _consensus}


def draw_figure(fig: dict, exp, rows: list[dict], store, path) -> Path:
    """Draw one configured figure from the results table and the arrays saved in ``store``
    (a :class:`~nnmf_research.reproduce.store.ResultStore`) into ``path``."""
    path = Path(path)
    _DRAW[fig["kind"]](fig, exp, rows, store, path)
    return path
