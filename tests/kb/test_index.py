"""The sparse indexes behind the matcher score what their definitions say."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.index import BM25, NgramTfidf, char_ngrams

WORDS = st.lists(st.text(alphabet="abcdeабв", min_size=1, max_size=6), min_size=0, max_size=5)


def direct_cosine(docs: list[list[str]], query: list[str]) -> list[float]:
    """The n-gram TF-IDF cosine computed the slow, obvious way."""
    n = len(docs)
    grams = [char_ngrams(d) for d in docs]
    df = Counter(g for doc in grams for g in doc)

    def unit(counts: Counter[str]) -> dict[str, float]:
        vec = {g: (1 + math.log(tf)) * (math.log((1 + n) / (1 + df[g])) + 1 if g in df else math.log(1 + n) + 1)
               for g, tf in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {g: v / norm for g, v in vec.items()}

    q = unit(char_ngrams(query))
    return [sum(q.get(g, 0.0) * w for g, w in unit(doc).items()) for doc in grams]


@settings(max_examples=60, deadline=None)
@given(docs=st.lists(WORDS, min_size=1, max_size=6), query=WORDS)
def test_the_ngram_index_gives_the_cosine_of_its_definition(docs, query):
    expected = direct_cosine(docs, query) if query else [0.0] * len(docs)
    assert np.allclose(NgramTfidf(docs).score(query), expected)


def test_a_query_term_weighted_half_counts_half_in_bm25():
    bm25 = BM25([["reset", "password"], ["create", "request"], ["password", "request"]])
    full = bm25.score(["reset", "request"])
    light = bm25.score(["reset", "request"], {"request": 0.5})
    # The first document holds only "reset": its share of the query grows when "request" weighs less.
    assert light[0] > full[0]
    assert light[1] < full[1]
    assert not bm25.score(["request"], {"request": 0.0}).any()
