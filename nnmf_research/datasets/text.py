"""Real document collections, offline: word × document count matrices from files that pip
packages ship (the optional extra ``text``: ``pip install 'nnmf_research[text]'``). Each loader
returns a :class:`~nnmf_research.datasets.Dataset` whose X is the scipy.sparse CSR count
matrix (rows are words, columns are documents) and whose ``meta`` holds the vocabulary, the
labels where the source has them, and the titles.

=================  =====================================  ==================================
name               source file (package)                  what
=================  =====================================  ==================================
``newsgroups``     ``test/test_data/mini_newsgroup``      200 posts of 20 Newsgroups,
                   (gensim 4.4)                           alt.atheism 100 / sci.space 100,
                                                          labelled
``lee``            ``test/test_data/lee_background.cor``  300 news documents (Lee, Pincombe
                   (gensim 4.4)                           & Welsh 2005), one per line
``reuters``        ``tests/reuters.ldac`` + ``.tokens``   395 Reuters articles, 4258 words,
                   + ``.titles`` (lda 3.0)                LDA-C counts, with titles
=================  =====================================  ==================================

Nothing is downloaded. gensim's newsgroup file is a zlib-compressed Python 2 pickle of an old
scikit-learn ``Bunch``: it is read by :class:`RestrictedUnpickler`, which admits only the six
globals that file needs (dict, the Bunch class — mapped to a local dict subclass —, copyreg's
reconstructor and NumPy's array reconstruction) and refuses every other one by name, never a
bare ``pickle.load``; the decompressed size is capped.

Text to counts, deterministically (no hash order, no locale): lower-case; tokens are maximal
runs of ASCII letters of length ≥ 2 (:func:`tokenize`); scikit-learn's English stop-word list
is dropped; each newsgroup post loses its header block (up to the first blank line: its
``Newsgroups:`` line names the label). The vocabulary keeps the ``max_words`` words of largest
document frequency, ties broken alphabetically — sorted by (−df, word) (:func:`build_vocabulary`)
— and the matrix is built with scipy.sparse: rows are words in vocabulary order, columns are
documents (the toolkit's orientation: columns are samples).

Example
-------
>>> vocab = build_vocabulary([["b", "a"], ["a", "c"], ["c"]])
>>> vocab
('a', 'c', 'b')
>>> count_matrix([["b", "a", "a"], ["c"]], vocab).toarray().tolist()
[[2.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
"""

from __future__ import annotations

import copyreg
import importlib.util
import io
import pickle
import re
import zlib
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from ..checks import NMFInputError, check_positive_int
from .dataset import Dataset, DatasetUnavailableError

__all__ = ["CorpusUnavailableError", "CorpusFormatError", "RestrictedUnpickler",
           "tokenize", "build_vocabulary", "count_matrix", "corpus_from_texts",
           "newsgroups", "lee", "reuters", "read_ldac", "CORPORA", "MAX_PICKLE_BYTES"]

MAX_PICKLE_BYTES = 64 * 2**20
"""The most a compressed pickle may inflate to (the newsgroup file is 0.56 MB)."""

_TOKEN = re.compile(r"[a-z]{2,}")


class CorpusUnavailableError(DatasetUnavailableError):
    """The package that ships a corpus is not installed (the optional extra ``text``)."""


class CorpusFormatError(NMFInputError):
    """A corpus or vocabulary file that does not parse; the message names the file and line."""


def _package_dir(package: str, corpus: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise CorpusUnavailableError(
            f"corpus {corpus!r} ships with the {package!r} package, which is not installed; "
            "install the optional extra: pip install 'nnmf_research[text]'")
    return Path(list(spec.submodule_search_locations)[0])


def _data_file(package: str, relative: str, corpus: str) -> Path:
    path = _package_dir(package, corpus) / relative
    if not path.is_file():
        raise CorpusUnavailableError(
            f"corpus {corpus!r}: {path} is missing from the installed {package!r} (the extra "
            "pins the version that ships it)")
    return path


class _Bunch(dict):
    """Stands in for ``sklearn.datasets.base.Bunch`` (a dict with attribute access)."""


def _numpy_reconstruct():
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:   # NumPy < 2
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals in ``ALLOWED`` and refuses all others.

    ``ALLOWED`` maps (module, name) as written in the pickle (Python 2 names included) to the
    object used: enough for a NumPy array inside a dict subclass, nothing that runs code.
    """

    ALLOWED = {
        ("copy_reg", "_reconstructor"): copyreg._reconstructor,
        ("copyreg", "_reconstructor"): copyreg._reconstructor,
        ("__builtin__", "dict"): dict,
        ("builtins", "dict"): dict,
        ("sklearn.datasets.base", "Bunch"): _Bunch,
        ("sklearn.utils", "Bunch"): _Bunch,
        ("sklearn.utils._bunch", "Bunch"): _Bunch,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("numpy.core.multiarray", "_reconstruct"): "numpy-reconstruct",
        ("numpy._core.multiarray", "_reconstruct"): "numpy-reconstruct",
    }

    def find_class(self, module, name):
        target = self.ALLOWED.get((module, name))
        if target is None:
            raise CorpusFormatError(
                f"the pickle asks for {module}.{name}, which this loader does not admit "
                f"(admitted: {sorted(f'{m}.{n}' for m, n in self.ALLOWED)})")
        return _numpy_reconstruct() if target == "numpy-reconstruct" else target


def load_restricted_pickle(data: bytes, what: str):
    """Unpickle ``data`` (Python 2 or 3) with :class:`RestrictedUnpickler`; errors name ``what``."""
    try:
        return RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()
    except CorpusFormatError:
        raise
    except Exception as exc:   # truncated stream, bad opcode, ...
        raise CorpusFormatError(f"{what} is not a readable pickle: {exc}") from None


def _inflate(raw: bytes, what: str) -> bytes:
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(raw, MAX_PICKLE_BYTES)
    except zlib.error as exc:
        raise CorpusFormatError(f"{what} is not zlib-compressed data: {exc}") from None
    if inflater.unconsumed_tail:
        raise CorpusFormatError(f"{what} inflates to more than {MAX_PICKLE_BYTES} bytes")
    return data


def tokenize(text: str, stop_words: frozenset | None = None) -> list[str]:
    """Lower-cased runs of ≥ 2 ASCII letters, stop words dropped (scikit-learn's English list
    when ``stop_words`` is None)."""
    if stop_words is None:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as stop_words
    return [t for t in _TOKEN.findall(text.lower()) if t not in stop_words]


def build_vocabulary(documents: Iterable[Sequence[str]], max_words: int | None = None,
                     min_df: int = 1) -> tuple[str, ...]:
    """Words with document frequency ≥ ``min_df``, sorted by (−df, word), the first
    ``max_words`` of them (all when None)."""
    df = Counter()
    for doc in documents:
        df.update(set(doc))
    ranked = sorted((w for w, c in df.items() if c >= min_df), key=lambda w: (-df[w], w))
    if max_words is not None:
        ranked = ranked[:check_positive_int(max_words, "max_words")]
    return tuple(ranked)


def count_matrix(documents: Sequence[Sequence[str]], vocabulary: Sequence[str]) -> sp.csr_matrix:
    """The len(vocabulary) × len(documents) CSR count matrix (words off the vocabulary dropped)."""
    index = {w: i for i, w in enumerate(vocabulary)}
    rows, cols, vals = [], [], []
    for j, doc in enumerate(documents):
        for w, c in Counter(t for t in doc if t in index).items():
            rows.append(index[w])
            cols.append(j)
            vals.append(float(c))
    X = sp.csr_matrix((np.array(vals), (np.array(rows, dtype=np.int64),
                                        np.array(cols, dtype=np.int64))),
                      shape=(len(vocabulary), len(documents)))
    X.sort_indices()
    return X


def corpus_dataset(name: str, counts: sp.csr_matrix, vocabulary: Sequence[str], source: str,
                   *, labels=None, label_names=(), titles=()) -> Dataset:
    """The :class:`~nnmf_research.datasets.Dataset` of a corpus: X = the CSR counts (words ×
    documents); ``meta`` holds ``vocabulary`` (row order), ``labels`` (the class of each
    document, or None), ``label_names``, ``titles``, ``n_words``, ``n_documents``, ``tokens``."""
    meta = {"vocabulary": tuple(vocabulary),
            "labels": None if labels is None else np.asarray(labels, dtype=int),
            "label_names": tuple(label_names), "titles": tuple(titles),
            "n_words": int(counts.shape[0]), "n_documents": int(counts.shape[1]),
            "tokens": int(counts.sum())}
    return Dataset(name=name, X=counts, source=source, meta=meta)


def corpus_from_texts(name: str, texts: Sequence[str], *, max_words: int | None = None,
                      min_df: int = 1, labels=None, label_names=(), titles=(),
                      source: str = "") -> Dataset:
    """Tokenize ``texts``, fix the vocabulary by (−df, word) and count (module docstring)."""
    docs = [tokenize(t) for t in texts]
    vocab = build_vocabulary(docs, max_words=max_words, min_df=min_df)
    return corpus_dataset(name, count_matrix(docs, vocab), vocab, source, labels=labels,
                          label_names=label_names, titles=titles)


def _strip_header(post: str) -> str:
    head, sep, body = post.partition("\n\n")
    return body if sep else post


def newsgroups(max_words: int | None = 1000, min_df: int = 1) -> Dataset:
    """gensim's 200 labelled 20-Newsgroups posts (alt.atheism, sci.space), headers stripped."""
    path = _data_file("gensim", "test/test_data/mini_newsgroup", "newsgroups")
    bunch = load_restricted_pickle(_inflate(path.read_bytes(), str(path)), str(path))
    try:
        texts, target, names = bunch["data"], np.asarray(bunch["target"]), bunch["target_names"]
    except (KeyError, TypeError) as exc:
        raise CorpusFormatError(f"{path} does not hold data/target/target_names: {exc}") \
            from None
    if len(texts) != target.shape[0]:
        raise CorpusFormatError(f"{path}: {len(texts)} posts but {target.shape[0]} labels")
    return corpus_from_texts("newsgroups", [_strip_header(str(t)) for t in texts],
                             max_words=max_words, min_df=min_df, labels=target.astype(int),
                             label_names=tuple(str(n) for n in names),
                             source=f"gensim: {path.name}")


def lee(max_words: int | None = None, min_df: int = 2) -> Dataset:
    """gensim's Lee background corpus: 300 news documents, one per line."""
    path = _data_file("gensim", "test/test_data/lee_background.cor", "lee")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise CorpusFormatError(f"{path} is not UTF-8 text: {exc}") from None
    texts = [line for line in lines if line.strip()]
    return corpus_from_texts("lee", texts, max_words=max_words, min_df=min_df,
                             source=f"gensim: {path.name}")


def read_ldac(path, n_words: int) -> sp.csr_matrix:
    """An LDA-C file (one document a line: ``N id:count ... id:count``, N pairs) as an
    n_words × documents CSR matrix; a line that does not parse is named with its number."""
    rows, cols, vals = [], [], []
    path = Path(path)
    n_docs = 0
    for lineno, line in enumerate(path.read_text(encoding="ascii", errors="strict")
                                  .splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        try:
            declared = int(parts[0])
            pairs = [p.split(":") for p in parts[1:]]
            ids = [int(a) for a, _ in pairs]
            cnt = [int(b) for _, b in pairs]
        except ValueError:
            raise CorpusFormatError(f"{path}:{lineno} is not 'N id:count ...': "
                                    f"{line[:60]!r}") from None
        if declared != len(ids):
            raise CorpusFormatError(f"{path}:{lineno} declares {declared} pairs but has "
                                    f"{len(ids)}")
        bad = [i for i in ids if not 0 <= i < n_words]
        if bad or any(c <= 0 for c in cnt):
            raise CorpusFormatError(f"{path}:{lineno}: word id {bad[0] if bad else ''} out of "
                                    f"range [0, {n_words}) or a non-positive count")
        rows.extend(ids)
        cols.extend([n_docs] * len(ids))
        vals.extend(cnt)
        n_docs += 1
    X = sp.csr_matrix((np.array(vals, dtype=float), (np.array(rows, dtype=np.int64),
                                                     np.array(cols, dtype=np.int64))),
                      shape=(n_words, n_docs))
    X.sum_duplicates()
    X.sort_indices()
    return X


def reuters() -> Dataset:
    """The lda package's 395 Reuters articles (its own 4258-word vocabulary and titles)."""
    path = _data_file("lda", "tests/reuters.ldac", "reuters")
    vocab = tuple(w.strip() for w in path.with_suffix(".tokens").read_text(
        encoding="utf-8").splitlines() if w.strip())
    if len(set(vocab)) != len(vocab):
        raise CorpusFormatError(f"{path.with_suffix('.tokens')} repeats a word")
    titles = tuple(t for t in path.with_suffix(".titles").read_text(
        encoding="utf-8").splitlines() if t.strip())
    counts = read_ldac(path, len(vocab))
    if titles and len(titles) != counts.shape[1]:
        raise CorpusFormatError(f"{path.with_suffix('.titles')} has {len(titles)} titles for "
                                f"{counts.shape[1]} documents")
    return corpus_dataset("reuters", counts, vocab, f"lda: {path.name}", titles=titles)


CORPORA = {"newsgroups": newsgroups, "lee": lee, "reuters": reuters}
"""The corpora by name (all registered in :data:`nnmf_research.datasets.DATASETS`)."""
