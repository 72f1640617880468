"""Sparse inverted indexes scored with numpy: word BM25 and character n-gram TF-IDF.

Both keep, for each term, the documents holding it and a precomputed weight, in flat numpy arrays.
Scoring a query gathers the postings of its terms and sums them per document with one
`np.bincount`, so the whole collection is scored at once.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat

import numpy as np

BM25_K1 = 1.2
BM25_B = 0.75
NGRAM_SIZES = (3, 4)
# N-grams held by more than this share of the documents (and more than the floor) are not indexed.
COMMON_NGRAM_SHARE = 0.2
COMMON_NGRAM_FLOOR = 200


class PostingIndex:
    """term → (document numbers, weights), stored flat and sorted by term."""

    def __init__(self, doc_weights: Sequence[dict[str, float]]) -> None:
        terms: dict[str, int] = {}
        term_ids: list[int] = []
        docs: list[int] = []
        weights: list[float] = []
        for doc, weighted in enumerate(doc_weights):
            for term, weight in weighted.items():
                term_ids.append(terms.setdefault(term, len(terms)))
                docs.append(doc)
                weights.append(weight)
        self._fill(terms, np.asarray(term_ids, dtype=np.int64), np.asarray(docs, dtype=np.int64),
                   np.asarray(weights, dtype=np.float64), len(doc_weights))

    @classmethod
    def from_arrays(
        cls, terms: dict[str, int], term_ids: np.ndarray, docs: np.ndarray, weights: np.ndarray, n_docs: int
    ) -> PostingIndex:
        """The index of the postings (term id, document, weight) given as three aligned arrays."""
        index = cls.__new__(cls)
        index._fill(terms, term_ids, docs, weights, n_docs)
        return index

    def _fill(self, terms: dict[str, int], term_ids: np.ndarray, docs: np.ndarray, weights: np.ndarray,
              n_docs: int) -> None:
        self.n_docs = n_docs
        order = np.argsort(term_ids, kind="stable")
        self._docs = docs[order]
        self._weights = weights[order]
        counts = np.bincount(term_ids, minlength=len(terms))
        self._offsets = np.concatenate(([0], np.cumsum(counts)))
        self._terms = terms

    def __contains__(self, term: str) -> bool:
        return term in self._terms

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The index as named arrays (`from_saved` reads them back), for an .npz file."""
        return {
            f"{prefix}terms": encode_strings(list(self._terms)),
            f"{prefix}offsets": self._offsets,
            f"{prefix}docs": self._docs,
            f"{prefix}weights": self._weights,
            f"{prefix}n_docs": np.array(self.n_docs),
        }

    @classmethod
    def from_saved(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> PostingIndex:
        """The index `to_arrays` wrote under `prefix`."""
        index = cls.__new__(cls)
        terms = decode_strings(arrays[f"{prefix}terms"])
        index._terms = dict(zip(terms, range(len(terms)), strict=True))
        index._offsets = arrays[f"{prefix}offsets"]
        index._docs = arrays[f"{prefix}docs"]
        index._weights = arrays[f"{prefix}weights"]
        index.n_docs = int(arrays[f"{prefix}n_docs"])
        return index

    def doc_freq(self, term: str) -> int:
        """How many documents hold `term`."""
        tid = self._terms.get(term)
        return 0 if tid is None else int(self._offsets[tid + 1] - self._offsets[tid])

    def score(self, query: dict[str, float]) -> np.ndarray:
        """Σ query weight × document weight over shared terms, for every document (float64 array)."""
        doc_parts, weight_parts = [], []
        for term, q_weight in query.items():
            tid = self._terms.get(term)
            if tid is None:
                continue
            start, end = self._offsets[tid], self._offsets[tid + 1]
            doc_parts.append(self._docs[start:end])
            weight_parts.append(self._weights[start:end] * q_weight)
        if not doc_parts:
            return np.zeros(self.n_docs)
        return np.bincount(
            np.concatenate(doc_parts), np.concatenate(weight_parts), minlength=self.n_docs
        )


class BM25:
    """Okapi BM25 over token lists, with a score normalised to 0–1 by what the query could earn."""

    def __init__(self, docs: Sequence[Sequence[str]]) -> None:
        n = max(len(docs), 1)
        terms: dict[str, int] = {}
        term_ids = np.fromiter(
            (terms.setdefault(t, len(terms)) for doc in docs for t in doc), dtype=np.int64,
        )
        lengths = np.array([len(d) for d in docs], dtype=np.float64)
        doc_of = np.repeat(np.arange(len(docs), dtype=np.int64), lengths.astype(np.int64))
        avg = float(lengths.mean()) if len(docs) and lengths.mean() > 0 else 1.0
        n_terms = max(len(terms), 1)
        pairs, tf = np.unique(doc_of * n_terms + term_ids, return_counts=True)
        pair_docs, pair_terms = pairs // n_terms, pairs % n_terms
        df = np.bincount(pair_terms, minlength=len(terms))
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        self._idf = dict(zip(terms, idf.tolist(), strict=True))
        # A word no document has is the rarest of all: missing it costs the most.
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / avg)
        weights = idf[pair_terms] * tf * (BM25_K1 + 1) / (tf + norm[pair_docs])
        self.index = PostingIndex.from_arrays(terms, pair_terms, pair_docs, weights, len(docs))

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The model as named arrays (`from_saved` reads them back), for an .npz file."""
        arrays = self.index.to_arrays(prefix)
        arrays[f"{prefix}idf"] = np.array(list(self._idf.values()), dtype=np.float64)
        arrays[f"{prefix}unknown_idf"] = np.array(self._unknown_idf)
        return arrays

    @classmethod
    def from_saved(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> BM25:
        """The model `to_arrays` wrote under `prefix`."""
        model = cls.__new__(cls)
        model.index = PostingIndex.from_saved(arrays, prefix)
        # The index's terms are in id order, which is the order of the idf values.
        model._idf = dict(zip(model.index._terms, arrays[f"{prefix}idf"].tolist(), strict=True))
        model._unknown_idf = float(arrays[f"{prefix}unknown_idf"])
        return model

    def idf(self, term: str) -> float:
        """Inverse document frequency of `term` (the highest for unknown terms)."""
        return self._idf.get(term, self._unknown_idf)

    def known_share(self, tokens: Iterable[str]) -> float:
        """Share (0–1) of the query's idf mass held by terms that some document has."""
        unique = set(tokens)
        total = sum(self.idf(t) for t in unique)
        known = sum(self._idf[t] for t in unique if t in self._idf)
        return known / total if total else 0.0

    def score(self, tokens: Sequence[str], weights: Mapping[str, float] | None = None) -> np.ndarray:
        """BM25 of every document for the query, divided by the sum of the query terms' idf.

        A document holding each query word once at average length scores 1.0; results are clipped
        to 0–1. Unknown query words count in the divisor, so they lower every score. `weights`
        (term → factor, default 1) scales a term's share in both the sum and the divisor.
        """
        unique = dict.fromkeys(tokens, 1.0)
        if weights:
            unique.update((t, weights[t]) for t in unique.keys() & weights.keys())
        total = sum(self.idf(t) * w for t, w in unique.items())
        if not total:
            return np.zeros(self.index.n_docs)
        raw = self.index.score(unique)
        return np.minimum(raw / total, 1.0)


def char_ngrams(words: Iterable[str]) -> Counter[str]:
    """Character n-grams of each word padded with spaces (`" card "` → `" ca"`, `"car"`, …)."""
    return Counter(_ngram_list(words))


def _ngram_list(words: Iterable[str]) -> list[str]:
    grams = []
    for word in words:
        padded = f" {word} "
        for n in NGRAM_SIZES:
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


class NgramTfidf:
    """Cosine similarity of character n-gram TF-IDF vectors (sublinear tf, L2 norm); helps typos."""

    def __init__(self, docs: Sequence[Sequence[str]]) -> None:
        n = len(docs)
        # Built with numpy over flat (document, n-gram id) pairs: a dict per document took ~4 s
        # for 10,000 entries, this ~1 s.
        grams: dict[str, int] = {}
        # Typed arrays, not lists: millions of n-gram occurrences at 10,000 entries, 8 bytes each
        # here against a pointer and an int object each in a list (most of the bot's peak memory).
        gram_ids, doc_of = array("q"), array("q")
        # The n-grams of each distinct word are listed once: words repeat across entries.
        of_word: dict[str, list[int]] = {}
        for doc, words in enumerate(docs):
            before = len(gram_ids)
            for word in words:
                ids = of_word.get(word)
                if ids is None:
                    ids = of_word[word] = [grams.setdefault(g, len(grams)) for g in _ngram_list((word,))]
                gram_ids.extend(ids)
            doc_of.extend(repeat(doc, len(gram_ids) - before))
        n_grams = max(len(grams), 1)
        pairs = np.frombuffer(doc_of, dtype=np.int64) * n_grams + np.frombuffer(gram_ids, dtype=np.int64)
        del gram_ids, doc_of
        pairs, tf = np.unique(pairs, return_counts=True)
        pair_docs, pair_grams = pairs // n_grams, pairs % n_grams
        df = np.bincount(pair_grams, minlength=len(grams))
        self._idf_values = np.log((1 + n) / (1 + df)) + 1
        self._unknown_idf = math.log(1 + n) + 1
        weights = (1 + np.log(tf)) * self._idf_values[pair_grams]
        norms = np.sqrt(np.bincount(pair_docs, weights * weights, minlength=n))
        weights /= np.where(norms > 0, norms, 1.0)[pair_docs]
        self._grams = grams
        # An n-gram in most documents ("ing", " th") lends every one of them a little of the same
        # cosine: its postings are dropped in a large collection, where they are most of a query's
        # cost (at 10,000 entries, 60 % of the postings a query reads), its weight still counts in
        # the norms.
        common = df[pair_grams] > max(COMMON_NGRAM_SHARE * n, COMMON_NGRAM_FLOOR)
        if common.any():
            kept = ~common
            pair_grams, pair_docs, weights = pair_grams[kept], pair_docs[kept], weights[kept]
        self.index = PostingIndex.from_arrays(grams, pair_grams, pair_docs, weights, n)

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The model as named arrays (`from_saved` reads them back), for an .npz file."""
        arrays = self.index.to_arrays(prefix)
        arrays[f"{prefix}idf"] = self._idf_values
        arrays[f"{prefix}unknown_idf"] = np.array(self._unknown_idf)
        return arrays

    @classmethod
    def from_saved(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> NgramTfidf:
        """The model `to_arrays` wrote under `prefix`."""
        model = cls.__new__(cls)
        model.index = PostingIndex.from_saved(arrays, prefix)
        model._grams = model.index._terms
        model._idf_values = arrays[f"{prefix}idf"]
        model._unknown_idf = float(arrays[f"{prefix}unknown_idf"])
        return model

    def _unit_vector(self, grams: Counter[str]) -> dict[str, float]:
        vec = {}
        for g, tf in grams.items():
            gid = self._grams.get(g)
            vec[g] = (1 + math.log(tf)) * (self._unknown_idf if gid is None else float(self._idf_values[gid]))
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {g: v / norm for g, v in vec.items()}

    def score(self, words: Sequence[str]) -> np.ndarray:
        """Cosine (0–1) between the query's words and every document."""
        grams = char_ngrams(words)
        if not grams:
            return np.zeros(self.index.n_docs)
        return self.index.score(self._unit_vector(grams))


def encode_strings(strings: Sequence[str]) -> np.ndarray:
    """Strings without line breaks as one UTF-8 byte array (far smaller than a numpy str array)."""
    return np.frombuffer("".join(f"{text}\n" for text in strings).encode("utf-8"), dtype=np.uint8)


def decode_strings(data: np.ndarray) -> list[str]:
    """The strings `encode_strings` wrote."""
    return data.tobytes().decode("utf-8").split("\n")[:-1]
