"""Figure helpers: the montage places every basis image where it belongs."""

from __future__ import annotations

import numpy as np
import pytest

from nnmf_research.checks import NMFInputError
from nnmf_research.reproduce.figures import check_figure, montage


def test_montage_tiles_columns_row_major_with_gaps():
    W = np.arange(2 * 3 * 5, dtype=float).reshape(6, 5)  # five 2×3 images
    grid = montage(W, (2, 3))
    assert grid.shape == (2 * (2 + 1) + 1, 3 * (3 + 1) + 1)  # 2 rows × 3 columns of tiles
    np.testing.assert_array_equal(grid[1:3, 1:4], W[:, 0].reshape(2, 3))
    np.testing.assert_array_equal(grid[4:6, 5:8], W[:, 4].reshape(2, 3))  # row 1, col 1
    assert np.isnan(grid[0]).all()


def test_figure_specs_are_checked():
    methods, datasets = {"nmf": {}}, {"faces": {}}
    check_figure({"name": "a", "kind": "basis_grid", "methods": ["nmf"]}, methods, datasets,
                 "x.toml")
    with pytest.raises(NMFInputError, match="unknown key 'colour'"):
        check_figure({"name": "a", "kind": "basis_grid", "colour": 1}, methods, datasets,
                     "x.toml")
    with pytest.raises(NMFInputError, match="unknown dataset 'cbcl'; valid: faces"):
        check_figure({"name": "a", "kind": "loss_curves", "dataset": "cbcl"}, methods,
                     datasets, "x.toml")
    with pytest.raises(NMFInputError, match="has no 'name'"):
        check_figure({"kind": "loss_curves"}, methods, datasets, "x.toml")
    # the singular 'method' and the list 'datasets' are checked too (they were not)
    with pytest.raises(NMFInputError, match="unknown method 'hals'; valid: nmf"):
        check_figure({"name": "a", "kind": "rank_curves", "method": "hals"}, methods,
                     datasets, "x.toml")
    with pytest.raises(NMFInputError, match="unknown dataset 'cbcl'; valid: faces"):
        check_figure({"name": "a", "kind": "rank_curves", "method": "nmf",
                      "datasets": ["faces", "cbcl"]}, methods, datasets, "x.toml")
    # a loss_curves x axis other than iteration / seconds was drawn silently against iteration
    with pytest.raises(NMFInputError, match="x = 'time'; a loss_curves figure's x is one of "
                                            "iteration, seconds"):
        check_figure({"name": "a", "kind": "loss_curves", "x": "time"}, methods, datasets,
                     "x.toml")


def test_importing_the_experiment_modules_and_drawing_keep_the_users_backend(tmp_path):
    import subprocess
    import sys

    code = (
        "import matplotlib; matplotlib.use('svg')\n"
        "import nnmf_research.reproduce.figures, nnmf_research.reproduce.runner, sys\n"
        "from nnmf_research.reproduce.figures import _subplots, _save\n"
        "import pathlib\n"
        "fig, ax = _subplots(figsize=(2, 2)); ax.plot([0, 1])\n"
        f"_save(fig, pathlib.Path({str(tmp_path / 'a.png')!r}))\n"
        "print(matplotlib.get_backend(), 'matplotlib.pyplot' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["svg", "False"]
    assert (tmp_path / "a.png").read_bytes()[:4] == b"\x89PNG"


def test_plots_do_not_import_the_runner():
    import ast
    from pathlib import Path

    import nnmf_research.reproduce.figures as plots

    tree = ast.parse(Path(plots.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "runner" not in imported


@pytest.mark.parametrize("name, dataset_ranks", [("bench_sparse_nmf", True),
                                                 ("ding_li_peng_2006", True),
                                                 ("bench_beta_mu", False)])
def test_metric_bars_draw_the_ks_the_grid_ran(name, dataset_ranks, tmp_path, monkeypatch):
    """A metric_bars figure has one bar series per k the grid ran, a data set's own ``ranks``
    included (it once drew only the top-level k, default 1: an empty series, no bars),
    and every bar of a method with ok cells is its mean."""
    import nnmf_research.reproduce.figures as figures
    from nnmf_research.reproduce.config import list_experiments, load_experiment

    exp = load_experiment(list_experiments()[name])
    fig = next(f for f in exp.figures if f["kind"] == "metric_bars")
    ks = exp.all_ranks()
    assert ks == tuple(dict.fromkeys(k for d in exp.datasets for k in exp.ranks(d)))
    assert bool({"ranks"} & {key for d in exp.datasets.values() for key in d}) == dataset_ranks
    rows = [{"method": m, "k": k, "status": "ok", fig["metric"]: 1.0 + i + 0.5 * j}
            for i, m in enumerate(fig["methods"]) for j, k in enumerate(ks)]
    drawn = []
    monkeypatch.setattr(figures, "_save", lambda figure, path: drawn.append(figure))
    figures.draw_figure(fig, exp, rows, None, tmp_path / "f.png")
    (ax,) = drawn[0].axes
    heights = [[bar.get_height() for bar in container] for container in ax.containers
               if hasattr(container, "patches")]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"k = {k}" for k in ks]
    assert heights == [[1.0 + i + 0.5 * j for i in range(len(fig["methods"]))]
                       for j in range(len(ks))]
