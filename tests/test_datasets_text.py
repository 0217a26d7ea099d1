"""Real documents offline (the optional extra `text`): the restricted unpickler, deterministic
vocabularies, parse errors by name, and the PLSI ≡ KL-NMF identity on the real corpora."""

from __future__ import annotations

import importlib.util
import pickle

import numpy as np
import pytest

from nnmf_research import alternate, kl_plsi_identity, plsi, plsi_to_nmf
from nnmf_research.init import initialize
from nnmf_research.kernels import MultiplicativeKL
from nnmf_research.datasets import load_dataset as load_corpus
from nnmf_research.datasets.text import (CorpusFormatError, CorpusUnavailableError,
                                         _strip_header, build_vocabulary, count_matrix,
                                         load_restricted_pickle, read_ldac, tokenize)

needs_gensim = pytest.mark.skipif(importlib.util.find_spec("gensim") is None,
                                  reason="gensim (the optional extra 'text') is not installed")
needs_lda = pytest.mark.skipif(importlib.util.find_spec("lda") is None,
                               reason="lda (the optional extra 'text') is not installed")


class _Evil:
    def __reduce__(self):
        import os
        return (os.system, ("echo pwned",))


def test_the_restricted_unpickler_refuses_a_global_outside_its_list():
    with pytest.raises(CorpusFormatError, match=r"asks for (posix|os|nt)\.system"):
        load_restricted_pickle(pickle.dumps(_Evil()), "evil.pkl")


def test_the_restricted_unpickler_reads_a_dict_of_arrays_and_names_a_truncated_stream():
    data = pickle.dumps({"target": np.arange(3)}, protocol=4)
    assert load_restricted_pickle(data, "ok.pkl")["target"].tolist() == [0, 1, 2]
    with pytest.raises(CorpusFormatError, match="bad.pkl is not a readable pickle"):
        load_restricted_pickle(data[:20], "bad.pkl")


def test_vocabulary_is_sorted_by_document_frequency_then_alphabetically():
    docs = [["zeta", "beta"], ["beta", "alpha"], ["zeta"], ["gamma"]]
    assert build_vocabulary(docs) == ("beta", "zeta", "alpha", "gamma")
    assert build_vocabulary(docs, max_words=2) == ("beta", "zeta")
    assert build_vocabulary(docs, min_df=2) == ("beta", "zeta")


def test_tokenize_lowercases_drops_stop_words_and_single_letters():
    assert tokenize("The Shuttle's 3 engines, a NASA launch!") == [
        "shuttle", "engines", "nasa", "launch"]


def test_count_matrix_counts_words_per_document():
    X = count_matrix([["a", "b", "a", "x"], [], ["b"]], ("a", "b"))
    assert X.format == "csr" and X.toarray().tolist() == [[2, 0, 0], [1, 0, 1]]


def test_a_post_loses_its_header_block():
    assert _strip_header("Newsgroups: sci.space\nSubject: x\n\nbody text") == "body text"


def test_ldac_lines_that_do_not_parse_are_named(tmp_path):
    path = tmp_path / "c.ldac"
    path.write_text("2 0:1 3:2\n1 two:1\n")
    with pytest.raises(CorpusFormatError, match=r"c.ldac:2 is not 'N id:count"):
        read_ldac(path, 5)
    path.write_text("3 0:1 3:2\n")
    with pytest.raises(CorpusFormatError, match="declares 3 pairs but has 2"):
        read_ldac(path, 5)
    path.write_text("1 7:1\n")
    with pytest.raises(CorpusFormatError, match="word id 7 out of range"):
        read_ldac(path, 5)
    path.write_text("2 0:1 3:2\n\n1 4:5\n")
    assert read_ldac(path, 5).toarray().T.tolist() == [[1, 0, 0, 2, 0], [0, 0, 0, 0, 5]]


def test_an_unknown_corpus_and_a_missing_package_get_named_errors(monkeypatch):
    from nnmf_research.checks import NMFInputError

    with pytest.raises(NMFInputError, match="unknown dataset 'wiki'"):
        load_corpus("wiki")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(CorpusUnavailableError, match=r"pip install 'nnmf_research\[text\]'"):
        load_corpus("reuters")


@needs_gensim
def test_newsgroups_has_200_labelled_posts_and_a_deterministic_vocabulary():
    a, b = load_corpus("newsgroups"), load_corpus("newsgroups")
    assert a.X.shape == (1000, 200) and a.meta["label_names"] == ("alt.atheism", "sci.space")
    assert np.bincount(a.meta["labels"]).tolist() == [100, 100]
    assert a.meta["vocabulary"] == b.meta["vocabulary"] and (a.X != b.X).nnz == 0
    assert "newsgroups" not in a.meta["vocabulary"]          # the header lines are gone
    assert a.X.data.min() >= 1 and np.all(a.X.data == np.round(a.X.data))


@needs_lda
def test_reuters_matches_the_lda_packages_own_sizes():
    c = load_corpus("reuters")
    assert c.X.shape == (4258, 395) and c.X.nnz == 60114 and c.X.sum() == 84010
    assert len(c.meta["titles"]) == 395 and len(c.meta["vocabulary"]) == 4258


@needs_gensim
@needs_lda
@pytest.mark.parametrize("name, k", [("newsgroups", 2), ("lee", 5),
                                     pytest.param("reuters", 10, marks=pytest.mark.slow)])
def test_the_kl_plsi_identity_holds_on_real_corpora_at_convergence(name, k):
    X = load_corpus(name).X
    W, H = initialize(X, k, method="random", random_state=0)
    fit = alternate(X, W, H, MultiplicativeKL(), max_iter=300, tol=1e-7)
    check = kl_plsi_identity(X, fit.W, fit.H)
    assert check.mass_ratio == pytest.approx(1.0, abs=1e-12)
    assert check.relative_gap < 1e-8
    model = plsi(X, k, init=(W, H), max_iter=300, tol=1e-7)
    assert kl_plsi_identity(X, *plsi_to_nmf(model)).relative_gap < 1e-8
