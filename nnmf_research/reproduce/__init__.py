"""Reproducing the papers' comparisons: experiments are data (TOML configs) run by one runner.

config
    read and validate ``experiments/<name>.toml`` (:func:`load_experiment`, :func:`list_experiments`)
cells
    what one cell can run: ``kind`` name -> function (``METHOD_KINDS``)
runner
    the grid of cells, cached results, tables (:func:`run_experiment`)
store
    the one owner of the results-file layout (:class:`ResultStore`)
metrics
    numbers computed from a cell's saved arrays (``METRICS``)
figures
    figures drawn from saved results only (``FIGURE_KINDS``; imports matplotlib, so it is
    loaded only when a figure is checked or drawn)
"""

from __future__ import annotations

from .config import Experiment, default_config_dir, list_experiments, load_experiment
from .runner import Cell, RunReport, experiment_cells, run_experiment
from .store import DamagedCacheWarning, ResultStore

__all__ = ["Experiment", "Cell", "RunReport", "load_experiment", "list_experiments",
           "experiment_cells", "run_experiment", "default_config_dir", "ResultStore",
           "DamagedCacheWarning"]
