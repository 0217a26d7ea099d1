"""Matrix files: exact round trips, named parse failures, atomic writes."""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp

from nnmf_research.checks import NMFInputError, check_matrix
from nnmf_research.io import (atomic_write_bytes, atomic_write_text, load_matrix,
                              read_matrix, save_json, save_matrix)

# Values whose shortest decimal form needs all 17 digits, plus extremes and a subnormal.
HARD_VALUES = [0.1, 1 / 3, 2 / 3, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
               123456789.12345679, 1e-300, np.pi, np.nextafter(1.0, 2.0)]


@pytest.fixture
def A():
    rng = np.random.default_rng(0)
    M = rng.random((7, 5)) * 10.0 ** rng.integers(-30, 30, (7, 5))
    M.flat[: len(HARD_VALUES)] = HARD_VALUES
    return M


def _as_dense(M):
    return M.toarray() if sp.issparse(M) else M


def _assert_same_bits(got, want):
    assert got.shape == want.shape and got.dtype == want.dtype == np.float64
    np.testing.assert_array_equal(got.view(np.uint64), want.view(np.uint64))


# ------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".csv", ".txt", ".tsv", ".dat", ".mtx"])
def test_dense_round_trip_is_exact_to_the_last_bit(tmp_path, A, suffix):
    path = tmp_path / f"a{suffix}"
    save_matrix(path, A)
    _assert_same_bits(_as_dense(read_matrix(path)), A)


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".csv", ".txt"])
def test_negative_zero_keeps_its_sign_in_numpy_and_text_files(tmp_path, suffix):
    Z = np.array([[-0.0, 1.0]])
    save_matrix(tmp_path / f"z{suffix}", Z)
    _assert_same_bits(read_matrix(tmp_path / f"z{suffix}"), Z)


def test_matrix_market_reads_negative_zero_back_as_zero(tmp_path):
    # scipy's reader drops the sign of "-0"; the value is still equal, only the bit differs.
    save_matrix(tmp_path / "z.mtx", np.array([[-0.0, 1.0]]))
    back = read_matrix(tmp_path / "z.mtx")
    assert back[0, 0] == 0.0 and not np.signbit(back[0, 0])


@pytest.mark.parametrize("suffix", [".npz", ".mtx"])
def test_a_sparse_csr_matrix_saved_and_read_back_equals_the_original(tmp_path, suffix):
    S = sp.random(20, 10, density=0.2, random_state=1, format="csr")
    path = tmp_path / f"s{suffix}"
    save_matrix(path, S)
    back = read_matrix(path)
    assert isinstance(back, sp.csr_matrix)
    assert back.shape == S.shape and (back != S).nnz == 0
    _assert_same_bits(back.toarray(), S.toarray())
    _assert_same_bits(load_matrix(path), S.toarray())


def test_a_sparse_array_archive_also_reads_as_a_csr_matrix(tmp_path):
    sp.save_npz(tmp_path / "a.npz", sp.coo_array(np.eye(3)))
    assert isinstance(read_matrix(tmp_path / "a.npz"), sp.csr_matrix)


def test_a_sparse_matrix_saved_as_npy_or_csv_is_written_dense(tmp_path):
    S = sp.csr_matrix(np.array([[0.0, 1.5], [2.5, 0.0]]))
    for name in ("s.npy", "s.csv"):
        save_matrix(tmp_path / name, S)
        _assert_same_bits(read_matrix(tmp_path / name), S.toarray())


def test_an_npz_holding_one_plain_array_reads_as_that_array(tmp_path, A):
    np.savez(tmp_path / "one.npz", anything=A)
    _assert_same_bits(read_matrix(tmp_path / "one.npz"), A)


def test_suffixes_are_case_insensitive(tmp_path, A):
    save_matrix(tmp_path / "A.CSV", A)
    _assert_same_bits(read_matrix(tmp_path / "A.CSV"), A)


# ------------------------------------------------------------------------ text shapes


def test_a_one_column_csv_gives_an_m_by_1_matrix(tmp_path):
    (tmp_path / "col.csv").write_text("1\n2\n3\n")
    assert read_matrix(tmp_path / "col.csv").shape == (3, 1)


def test_a_one_row_csv_gives_a_1_by_n_matrix(tmp_path):
    (tmp_path / "row.csv").write_text("1,2,3\n")
    assert read_matrix(tmp_path / "row.csv").shape == (1, 3)


def test_tab_and_space_separated_files_both_read(tmp_path):
    (tmp_path / "a.tsv").write_text("1\t2\n3\t4\n")
    (tmp_path / "a.dat").write_text("1  2\n 3 4\n")
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(read_matrix(tmp_path / "a.tsv"), expected)
    np.testing.assert_array_equal(read_matrix(tmp_path / "a.dat"), expected)


# ---------------------------------------------------------------------- Matrix Market


def test_a_dense_array_matrix_market_file_reads_as_an_ndarray(tmp_path):
    # Array format is column-major.
    (tmp_path / "d.mtx").write_text(
        "%%MatrixMarket matrix array real general\n2 3\n1\n4\n2\n5\n3\n6\n")
    back = read_matrix(tmp_path / "d.mtx")
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, [[1, 2, 3], [4, 5, 6]])


def test_a_sparse_coordinate_matrix_market_file_reads_as_csr(tmp_path):
    (tmp_path / "c.mtx").write_text(
        "%%MatrixMarket matrix coordinate real general\n% a comment\n3 4 2\n1 1 1.5\n3 4 2\n")
    back = read_matrix(tmp_path / "c.mtx")
    assert isinstance(back, sp.csr_matrix)
    expected = np.zeros((3, 4))
    expected[0, 0], expected[2, 3] = 1.5, 2.0
    np.testing.assert_array_equal(back.toarray(), expected)


# --------------------------------------------------------------------------- failures


def _zip_with_a_text_member() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    return buf.getvalue()


def _npz_with_two_arrays() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, a=np.ones(2), b=np.ones(2))
    return buf.getvalue()


def _truncated_npy() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ones((50, 50)))
    return buf.getvalue()[:300]


def _object_npy() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array([1, None], dtype=object), allow_pickle=True)
    return buf.getvalue()


UNPARSABLE = {
    "ragged.csv": (b"1,2,3\n4,5\n", "number of columns changed"),
    "text.csv": (b"1,2\nx,4\n", "could not convert string 'x'"),
    "header.csv": (b"a,b\n1,2\n", "could not convert"),
    "spaces.csv": (b"1 2\n3 4\n", "could not convert"),
    "latin1.csv": (b"1,2\n\xff,4\n", "codec can't decode"),
    "empty.csv": (b"", "no numbers"),
    "ragged.tsv": (b"1\t2\n3\n", "number of columns changed"),
    "garbage.npy": (b"not a numpy file", "magic string"),
    "empty.npy": (b"", "EOF"),
    "truncated.npy": (_truncated_npy(), "truncated: the header declares 20000 bytes"),
    "object.npy": (_object_npy(), "Object arrays"),
    "zip.npy": (_npz_with_two_arrays(), "magic string"),
    "garbage.npz": (b"not a zip", "not a zip archive"),
    "two.npz": (_npz_with_two_arrays(), "exactly one array, found 2"),
    "text-member.npz": (_zip_with_a_text_member(), "not a .npy array"),
    "bad-header.mtx": (b"%%MatrixMarket nonsense\n1 2\n", ""),
    "no-banner.mtx": (b"1 2 3\n", "banner"),
    "truncated.mtx": (b"%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n",
                      "Truncated"),
    "huge-index.mtx": (b"%%MatrixMarket matrix coordinate real general\n"
                       b"999999999999999999999999 2 1\n1 1 1\n", "out of range"),
    "text-value.mtx": (b"%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 x\n",
                       "Invalid"),
}


@pytest.mark.parametrize("name", sorted(UNPARSABLE))
def test_each_parse_failure_is_an_input_error_naming_the_file_and_the_reason(tmp_path, name):
    content, reason = UNPARSABLE[name]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(NMFInputError) as info:
        read_matrix(path)
    message = str(info.value)
    assert message.startswith(f"could not parse {path} as ")
    assert reason in message
    assert "\n" not in message


def test_an_unsupported_suffix_names_it_and_lists_the_supported_ones(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_text("")
    with pytest.raises(NMFInputError) as info:
        read_matrix(path)
    assert str(info.value) == (f"unsupported file type '.xlsx' for {path}; supported: "
                               ".npy, .npz, .csv, .txt, .tsv, .dat, .mtx")


def test_saving_to_an_unsupported_suffix_is_refused_before_writing(tmp_path):
    with pytest.raises(NMFInputError, match="unsupported file type '.xlsx'"):
        save_matrix(tmp_path / "x.xlsx", np.eye(2))
    assert list(tmp_path.iterdir()) == []


def test_a_missing_file_is_named(tmp_path):
    path = tmp_path / "nothing.csv"
    with pytest.raises(NMFInputError) as info:
        read_matrix(path)
    assert str(info.value) == f"file not found: {path}"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX non-root")
def test_an_unreadable_file_is_an_input_error_not_a_raw_os_error(tmp_path):
    path = tmp_path / "secret.csv"
    path.write_text("1,2\n")
    path.chmod(0)
    with pytest.raises(NMFInputError, match=f"could not read .*secret.csv: .*ermission"):
        read_matrix(path)


def test_load_matrix_names_a_negative_entry_and_the_file(tmp_path):
    path = tmp_path / "neg.csv"
    path.write_text("1,-1\n2,3\n")
    with pytest.raises(NMFInputError) as info:
        load_matrix(path)
    assert str(info.value).startswith(f"{path}: X entry (0, 1) is negative: -1")


def test_load_matrix_returns_a_dense_float64_array(tmp_path):
    (tmp_path / "ok.txt").write_text("1 2\n3 4\n")
    X = load_matrix(tmp_path / "ok.txt")
    assert isinstance(X, np.ndarray) and X.dtype == np.float64 and X.shape == (2, 2)


# ----------------------------------------------------------------------- atomic writes


def test_a_failed_write_leaves_the_old_file_and_no_temp_files(tmp_path, monkeypatch):
    path = tmp_path / "out.json"
    atomic_write_text(path, "old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_a_failed_matrix_save_leaves_the_old_matrix(tmp_path, monkeypatch):
    path = tmp_path / "W.npy"
    save_matrix(path, np.eye(2))
    monkeypatch.setattr(os, "replace", lambda src, dst: (_ for _ in ()).throw(OSError("x")))
    with pytest.raises(OSError):
        save_matrix(path, np.ones((3, 3)))
    np.testing.assert_array_equal(read_matrix(path), np.eye(2))
    assert [p.name for p in tmp_path.iterdir()] == ["W.npy"]


def test_atomic_write_creates_missing_parent_folders(tmp_path):
    path = tmp_path / "a" / "b" / "c.bin"
    atomic_write_bytes(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_new_file_gets_umask_permissions_and_an_old_one_keeps_its_own(tmp_path):
    old_umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.txt"
        atomic_write_text(fresh, "x")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        kept = tmp_path / "kept.txt"
        kept.write_text("x")
        kept.chmod(0o640)
        atomic_write_text(kept, "y")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    finally:
        os.umask(old_umask)


def test_save_json_converts_numpy_types_and_ends_with_a_newline(tmp_path):
    path = tmp_path / "s.json"
    save_json(path, {"b": np.float64(1.5), "a": np.int64(2), "c": np.arange(3),
                     "d": np.bool_(True), "e": np.float32(0.25), "f": np.eye(2)})
    text = path.read_text()
    assert text.endswith("}\n")
    assert json.loads(text) == {"b": 1.5, "a": 2, "c": [0, 1, 2], "d": True, "e": 0.25,
                                "f": [[1.0, 0.0], [0.0, 1.0]]}
    assert list(json.loads(text)) == ["b", "a", "c", "d", "e", "f"]  # keys not sorted


def test_save_json_refuses_an_object_it_cannot_convert(tmp_path):
    with pytest.raises(TypeError, match="object is not JSON serializable"):
        save_json(tmp_path / "s.json", {"x": object()})
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------- hostile files (issue 11)

from nnmf_research.io import check_output_dir, json_text, output_dir  # noqa: E402


def _npy_header_only(shape) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False,
                                               "shape": shape})
    return buf.getvalue()


def test_an_npy_header_claiming_a_huge_array_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.npy"
    path.write_bytes(_npy_header_only((10**6, 10**6)))
    with pytest.raises(NMFInputError, match=r"declared shape \(1000000, 1000000\).*needs "
                                            r"8.0 TB, more than the memory limit"):
        read_matrix(path)


def test_an_npy_header_claiming_more_than_the_file_holds_is_truncated(tmp_path):
    path = tmp_path / "short.npy"
    path.write_bytes(_npy_header_only((100, 100)) + b"\0" * 64)
    with pytest.raises(NMFInputError, match="truncated: the header declares 80000 bytes"):
        read_matrix(path)


def test_a_matrix_market_header_claiming_a_huge_matrix_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "huge.mtx"
    path.write_text("%%MatrixMarket matrix array real general\n1000000000 1000000000\n1\n")
    with pytest.raises(NMFInputError, match="declared 1000000000×1000000000 array"):
        read_matrix(path)
    coo = tmp_path / "coo.mtx"
    coo.write_text("%%MatrixMarket matrix coordinate real general\n"
                   "1000000000 1000000000 1\n1 1 1\n")
    with pytest.raises(NMFInputError, match=r"1000000000×1000000000 sparse, densified"):
        load_matrix(coo)


def test_an_npz_that_inflates_beyond_the_limit_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, X=np.zeros((1000, 1000)))  # 8 MB that compresses to ~8 KB
    assert path.stat().st_size < 100_000
    monkeypatch.setenv("NNMF_MAX_BYTES", "1000000")
    with pytest.raises(NMFInputError, match=r"inflated archive\) needs 8.0 MB"):
        read_matrix(path)


@pytest.mark.parametrize("index, message", [(10**9, "indices must be < 3"),
                                            (7, "indices must be < 3"),
                                            (-100000, "indices must be >= 0")])
def test_a_crafted_csr_index_is_refused_by_name(tmp_path, index, message):
    S = sp.csr_matrix(np.eye(3))
    S.indices[1] = index
    path = tmp_path / "crafted.npz"
    np.savez(path, data=S.data, indices=S.indices, indptr=S.indptr,
             shape=np.array(S.shape), format=np.array("csr"))
    with pytest.raises(NMFInputError, match=f"malformed sparse matrix: {message}"):
        load_matrix(path)


def test_a_crafted_coo_index_is_refused_by_name():
    C = sp.coo_matrix(np.eye(3))
    C.row[0] = 5
    with pytest.raises(NMFInputError, match=r"row index 5 is out of range \[0, 3\)"):
        check_matrix(C)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_or_a_folder_is_refused_not_read(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(NMFInputError, match="is a FIFO \\(named pipe\\), not a regular file"):
        read_matrix(fifo)
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(NMFInputError, match="is a folder, not a regular file"):
        read_matrix(tmp_path / "dir.csv")


def test_an_output_folder_is_replaced_as_a_set_or_not_at_all(tmp_path):
    out = tmp_path / "run"
    with output_dir(out) as tmp:
        atomic_write_text(tmp / "W.npy", "old W")
        atomic_write_text(tmp / "certificate.json", "old certificate")
    with pytest.raises(RuntimeError):
        with output_dir(out) as tmp:
            atomic_write_text(tmp / "W.npy", "new W")
            raise RuntimeError("the write of H.npy failed")
    assert (out / "W.npy").read_text() == "old W"  # no new W beside an old H
    with output_dir(out) as tmp:
        atomic_write_text(tmp / "W.npy", "new W")
    assert sorted(p.name for p in out.iterdir()) == ["W.npy"]  # no stale certificate
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary siblings left


def test_an_output_folder_with_foreign_files_or_a_file_in_its_place_is_refused(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(NMFInputError, match=r"holds files this command does not write "
                                            r"\(notes.txt\)"):
        check_output_dir(tmp_path / "mine", owned=("W.npy",))
    (tmp_path / "file").write_text("")
    with pytest.raises(NMFInputError, match="exists and is not a folder"):
        check_output_dir(tmp_path / "file")
    with pytest.raises(NMFInputError, match="is not a folder"):
        check_output_dir(tmp_path / "file" / "below")


def test_json_is_strict_and_says_why_a_number_is_null():
    text = json_text({"relative_error": float("inf"), "bounds": [{"value": float("nan")}]},
                     why_null={"relative_error": "X is all zeros"})
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict {c}"))
    assert data["relative_error"] is None and data["bounds"][0]["value"] is None
    assert data["null_because"] == {"relative_error": "X is all zeros",
                                    "bounds.0.value": "was nan (not a JSON number)"}
