"""The objective-vs-time figure kind: incumbents on a time grid, median and range over runs."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from nnmf_research.reproduce import figures
from nnmf_research.reproduce.figures import check_figure, incumbent_on_grid


def test_incumbent_on_grid_is_the_best_loss_recorded_so_far():
    loss = [9.0, 7.0, 8.0, 3.0]           # a restart's worse point (8) is not the incumbent
    time = [0.5, 1.0, 2.0, 4.0]
    got = incumbent_on_grid(loss, time, np.array([0.1, 0.5, 1.5, 2.0, 3.9, 4.0, 100.0]))
    np.testing.assert_array_equal(got, [np.nan, 9.0, 7.0, 7.0, 7.0, 3.0, 3.0])


class _Store:
    def __init__(self, arrays):
        self._arrays = arrays

    def arrays(self, key):
        return self._arrays.get(key, {})


def _row(key, method, seconds, objective, dataset="d", k=2):
    return {"key": key, "method": method, "dataset": dataset, "k": k, "rep": 0,
            "status": "ok", "seconds": seconds, "objective": objective}


def test_objective_time_draws_the_median_incumbent_and_the_range(monkeypatch, tmp_path):
    exp = SimpleNamespace(methods={"a": {}, "b": {}}, title="t", paper="p",
                          label=lambda m: m.upper())
    store = _Store({"a0": {"trace_loss": np.array([10.0, 4.0]),
                           "trace_time": np.array([1.0, 2.0])},
                    "a1": {"trace_loss": np.array([6.0, 2.0]),
                           "trace_time": np.array([1.0, 3.0])},
                    "a2": {"trace_loss": np.array([8.0, 8.0]),
                           "trace_time": np.array([0.5, 4.0])}})
    rows = [_row("a0", "a", 2.0, 4.0), _row("a1", "a", 3.0, 2.0), _row("a2", "a", 4.0, 8.0),
            _row("b0", "b", 0.2, 5.0), _row("b1", "b", 0.4, 7.0)]   # b: no trace
    fig = {"name": "o", "kind": "objective_time", "methods": ["a", "b"]}
    check_figure(fig, exp.methods, {"d": {}}, "x.toml")
    drawn = {}
    monkeypatch.setattr(figures, "_save", lambda figure, path: drawn.setdefault("f", figure))
    figures.draw_figure(fig, exp, rows, store, tmp_path / "o.png")
    ax = drawn["f"].axes[0]
    line = ax.lines[0]
    x, y = line.get_xdata(), line.get_ydata()
    assert x[0] == 1.0 and x[-1] == 4.0          # from the last first point to the last end
    at = {1.0: 8.0, 2.5: 6.0, 3.5: 4.0, 4.0: 4.0}   # medians of (10|6|8), (4|6|8), (4|2|8)
    for t, want in at.items():
        assert y[np.searchsorted(x, t, side="right") - 1] == want
    dot = ax.lines[1]
    assert dot.get_xdata()[0] == 3.0 and dot.get_ydata()[0] == 4.0
    # b: a square at the medians (0.3 s, 6) with min..max whiskers, labelled "no trace"
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["A (3 runs)", "B (2 runs), no trace"]
    b = [c for c in ax.containers][0]
    np.testing.assert_allclose(b.lines[0].get_xydata(), [[0.3, 6.0]])
