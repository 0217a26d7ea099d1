"""Matrix files: exact round trips, named parse failures, atomic writes."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import scipy.sparse as sp

from nnmf_research.checks import NMFInputError
from nnmf_research.io import (atomic_write_text, load_matrix, read_matrix, save_json,
                              save_matrix)


@pytest.fixture
def A():
    return np.random.default_rng(0).random((7, 5)) * 1e3 / 7.0


@pytest.mark.parametrize("suffix", [".npy", ".csv", ".txt", ".mtx", ".npz"])
def test_dense_round_trip_is_exact_to_the_last_bit(tmp_path, A, suffix):
    path = tmp_path / f"a{suffix}"
    save_matrix(path, A)
    back = read_matrix(path)
    back = back.toarray() if sp.issparse(back) else back
    np.testing.assert_array_equal(back, A)


@pytest.mark.parametrize("suffix", [".npz", ".mtx"])
def test_sparse_round_trip(tmp_path, suffix):
    S = sp.random(20, 10, density=0.2, random_state=1, format="csr")
    path = tmp_path / f"s{suffix}"
    save_matrix(path, S)
    back = read_matrix(path)
    assert sp.issparse(back)
    np.testing.assert_array_equal(back.toarray(), S.toarray())
    np.testing.assert_array_equal(load_matrix(path), S.toarray())


def test_one_column_csv_is_two_dimensional(tmp_path):
    path = tmp_path / "col.csv"
    path.write_text("1\n2\n3\n")
    assert read_matrix(path).shape == (3, 1)


@pytest.mark.parametrize("name,content", [
    ("ragged.csv", "1,2,3\n4,5\n"),
    ("text.csv", "1,2\nx,4\n"),
    ("garbage.npy", "not a numpy file"),
    ("bad.mtx", "%%MatrixMarket nonsense\n1 2\n"),
])
def test_parse_failures_name_the_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(NMFInputError, match=f"could not parse .*{name}"):
        read_matrix(path)


def test_unsupported_suffix_lists_supported_ones(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_text("")
    with pytest.raises(NMFInputError, match="unsupported file type '.xlsx'.*supported: .npy"):
        read_matrix(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(NMFInputError, match="file not found: .*nothing.csv"):
        read_matrix(tmp_path / "nothing.csv")


def test_load_matrix_names_a_negative_entry_and_the_file(tmp_path):
    path = tmp_path / "neg.csv"
    path.write_text("1,-1\n2,3\n")
    with pytest.raises(NMFInputError, match=r"neg.csv: X entry \(0, 1\) is negative: -1"):
        load_matrix(path)


def test_a_failed_write_leaves_the_old_file_and_no_temp_files(tmp_path, monkeypatch):
    path = tmp_path / "out.json"
    atomic_write_text(path, "old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_save_json_converts_numpy_types(tmp_path):
    path = tmp_path / "s.json"
    save_json(path, {"a": np.float64(1.5), "b": np.int64(2), "c": np.arange(3),
                     "d": np.bool_(True)})
    assert json.loads(path.read_text()) == {"a": 1.5, "b": 2, "c": [0, 1, 2], "d": True}
