"""Figure helpers: the montage places every basis image where it belongs."""

from __future__ import annotations

import numpy as np
import pytest

from nnmf_research.checks import NMFInputError
from nnmf_research.plots import check_figure, montage


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
