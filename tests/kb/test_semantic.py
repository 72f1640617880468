"""The optional sentence encoder: entries are encoded once, in batches, and a reload only encodes
the phrasings that changed; a large FAQ is searched through its entry centroids."""

from __future__ import annotations

import zlib

import numpy as np
from faq_files import faq_text

from kb import semantic
from kb.base import KnowledgeBase
from kb.entries import Entry
from kb.matcher import Matcher, MatcherSettings
from kb.semantic import HUB_NEIGHBOURS, HUB_WEIGHT, PHRASING_CANDIDATES, WITHIN_SHRINK, SemanticIndex


class CountingEncoder:
    """A deterministic fake: each text becomes a unit vector seeded by its bytes; calls are logged."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        rows = [np.random.default_rng(zlib.crc32(t.encode())).normal(size=16) for t in texts]
        vectors = np.array(rows, dtype=np.float32).reshape(len(texts), 16)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_entries_are_encoded_in_one_batch_and_reloads_encode_only_what_changed(write_faq, faq_dir):
    write_faq("a.md", faq_text(["How do I get a refund?", "Money back"]))
    write_faq("b.md", faq_text(["Opening hours"]))
    encoder = CountingEncoder()
    kb = KnowledgeBase(faq_dir, encoder=encoder)
    assert encoder.calls == [["How do I get a refund?", "Money back", "Opening hours"]]

    write_faq("b.md", faq_text(["When are you open?"]))
    kb.reload()
    assert encoder.calls[-1] == ["When are you open?"]
    assert kb.search("When are you open?").matches[0].id == "b"


def test_with_an_encoder_the_defaults_are_the_encoder_ones(write_faq, faq_dir):
    write_faq("a.md", faq_text(["How do I get a refund?"]))
    with_encoder = KnowledgeBase(faq_dir, encoder=CountingEncoder())
    assert with_encoder.settings == MatcherSettings.for_encoder()
    assert KnowledgeBase(faq_dir).settings == MatcherSettings()


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def test_a_large_faq_scores_the_same_best_entry_as_an_exhaustive_search():
    encoder = CountingEncoder()
    count = 8 * PHRASING_CANDIDATES
    phrasings = [[f"question {n} a", f"question {n} b", f"question {n} c"] for n in range(count)]
    index = SemanticIndex(encoder, phrasings)
    # The definition, computed over every phrasing: vectors centred on the mean phrasing and evened
    # out by the within-entry covariance (shrunk towards the identity, to the power -1/2), the best
    # phrasing's and the centroid's cosine, less each entry's hubness (its centroid's mean cosine to
    # the nearest phrasings of other entries).
    flat = [p for group in phrasings for p in group]
    raw = encoder.encode(flat).astype(np.float64)
    mean = raw.mean(axis=0)
    offsets = (raw - mean).reshape(count, 3, -1) - (raw - mean).reshape(count, 3, -1).mean(axis=1, keepdims=True)
    within = np.einsum("epi,epj->ij", offsets, offsets)
    dim = within.shape[0]
    within = (1 - WITHIN_SHRINK) * within * dim / np.trace(within) + WITHIN_SHRINK * np.eye(dim)
    values, eigenvectors = np.linalg.eigh(within)
    whitening = eigenvectors @ np.diag(values**-0.5) @ eigenvectors.T
    vectors = unit((raw - mean) @ whitening).reshape(count, 3, -1)
    centroids = unit(vectors.sum(axis=1))
    others = centroids @ vectors.reshape(count * 3, -1).T
    others[np.repeat(np.eye(count, dtype=bool), 3, axis=1)] = -1.0
    hub = np.sort(others, axis=1)[:, -HUB_NEIGHBOURS:].mean(axis=1)
    for query in ("question 7 b", "question 300 c", "something else"):
        scores = index.score(query)
        q = unit((encoder.encode([query])[0] - mean) @ whitening)
        exact_best = (vectors @ q).max(axis=1)
        exact = np.clip(0.5 * exact_best + 0.5 * centroids @ q - HUB_WEIGHT * hub, 0, 1)
        assert int(np.argmax(scores)) == int(np.argmax(exact))
        # The phrasings are kept in a byte a dimension (see the test below): close, not equal.
        assert abs(scores.max() - exact.max()) < 0.01
    assert not hasattr(index, "_vectors") and index._quantised.codes.dtype == np.int8


def test_quantised_rows_give_each_product_within_half_a_step_a_dimension():
    rng = np.random.default_rng(7)
    rows = unit(rng.normal(size=(300, 64))).astype(np.float32)
    rows[5] = 0.0  # an empty row stays empty
    quantised = semantic._Quantised(rows)
    q = unit(rng.normal(size=64)).astype(np.float32)
    picked = np.array([0, 5, 17, 299, 17])
    got = quantised.products(picked, q)
    exact = rows[picked] @ q
    # Each dimension is off by at most half a step (its row's largest magnitude / 127).
    bound = 0.5 * np.abs(rows[picked]).max(axis=1) / 127 * np.abs(q).sum()
    assert np.all(np.abs(got - exact) <= bound + 1e-6)
    assert got[1] == 0.0
    assert quantised.codes.nbytes == rows.nbytes // 4


def test_the_encoder_blend_still_finds_exact_questions():
    entries = [
        Entry("refund", ("How do I get a refund?",), "A."),
        Entry("hours", ("Opening hours",), "B."),
    ]
    result = Matcher(entries, encoder=CountingEncoder()).search("Opening hours")
    assert result.matches[0].id == "hours"
    assert result.decision == "answer"


def test_a_restart_with_a_vector_file_encodes_only_new_phrasings(write_faq, faq_dir, tmp_path):
    write_faq("a.md", faq_text(["How do I get a refund?", "Money back"]))
    vectors = tmp_path / "cache" / "vectors.npz"
    KnowledgeBase(faq_dir, encoder=CountingEncoder(), vector_file=vectors)
    assert vectors.exists()

    write_faq("b.md", faq_text(["Opening hours"]))
    encoder = CountingEncoder()
    kb = KnowledgeBase(faq_dir, encoder=encoder, vector_file=vectors)
    assert encoder.calls == [["Opening hours"]]
    assert kb.search("Money back").matches[0].id == "a"


def test_a_broken_vector_file_is_ignored(write_faq, faq_dir, tmp_path):
    write_faq("a.md", faq_text(["How do I get a refund?"]))
    vectors = tmp_path / "vectors.npz"
    vectors.write_bytes(b"not an npz file")
    encoder = CountingEncoder()
    kb = KnowledgeBase(faq_dir, encoder=encoder, vector_file=vectors)
    assert encoder.calls == [["How do I get a refund?"]]
    assert kb.search("How do I get a refund?").decision == "answer"


def test_with_a_vector_file_vectors_live_on_disk_and_reloads_still_encode_only_what_changed(
    write_faq, faq_dir, tmp_path
):
    write_faq("a.md", faq_text(["How do I get a refund?", "Money back"]))
    write_faq("b.md", faq_text(["Opening hours"]))
    encoder, vectors = CountingEncoder(), tmp_path / "vectors.npz"
    kb = KnowledgeBase(faq_dir, encoder=encoder, vector_file=vectors)
    assert vectors.exists() and kb._vectors == {}  # saved, not held in memory

    write_faq("b.md", faq_text(["When are you open?"]))
    kb.reload()
    assert encoder.calls[-1] == ["When are you open?"]
    assert kb.search("Money back").matches[0].id == "a"
    calls = len(encoder.calls)
    again = KnowledgeBase(faq_dir, encoder=encoder, vector_file=vectors)  # a restart: nothing to encode
    assert len(encoder.calls) == calls and again.search("When are you open?").matches[0].id == "b"


def test_vectors_that_cannot_be_saved_stay_in_memory(write_faq, faq_dir, tmp_path):
    write_faq("a.md", faq_text(["How do I get a refund?"]))
    write_faq("b.md", faq_text(["Opening hours"]))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the vector file's folder should be")
    encoder = CountingEncoder()
    kb = KnowledgeBase(faq_dir, encoder=encoder, vector_file=blocker / "vectors.npz")
    assert set(kb._vectors) == {"How do I get a refund?", "Opening hours"}

    write_faq("b.md", faq_text(["When are you open?"]))
    kb.reload()
    assert encoder.calls[-1] == ["When are you open?"]


def test_with_many_phrasings_an_entry_hubness_weighs_less():
    from kb.semantic import HUB_PHRASINGS, _hub_share, _hubness

    assert _hub_share(3 * 50, 50) == _hub_share(50, 50) == 1.0  # as tuned, or fewer phrasings: all of it
    assert 0.4 < _hub_share(20 * 50, 50) < _hub_share(8 * 50, 50) < 1.0  # a FAQ that learnt wordings
    assert _hub_share(0, 0) == 1.0
    phrasings = [[f"q{n} {k}" for k in range(6 * HUB_PHRASINGS)] for n in range(40)]
    index = SemanticIndex(CountingEncoder(), phrasings)
    full = HUB_WEIGHT * _hubness(index._centroids, index._vectors, index._owner)
    assert full.max() > 0
    assert np.allclose(index._hub, _hub_share(6 * HUB_PHRASINGS * 40, 40) * full)


class TableEncoder:
    """A fake whose vectors are given per text (normalised)."""

    def __init__(self, table: dict[str, tuple[float, ...]]) -> None:
        self.table = table

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = np.array([self.table[t] for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_a_direction_an_entrys_own_phrasings_vary_along_counts_less(monkeypatch):
    # Axis 2 is how phrasings of one entry differ (think wording or language): entries a and b span
    # it both ways. Entry c sits far out along it. A question about a, worded far out along axis 2,
    # is nearer to c in plain cosine; with the within-entry covariance evened out it is a's.
    encoder = TableEncoder({
        "a1": (1, 0, 0.9, 0), "a2": (1, 0, -0.9, 0),
        "b1": (0, 1, 0.9, 0), "b2": (0, 1, -0.9, 0),
        "c1": (0.3, 0.5, 1.5, 0.1), "c2": (0.35, 0.45, 1.5, -0.1),
        "d1": (0, 0, 0, 1), "d2": (0.1, 0, 0.9, 1),
        "about a, worded far out": (1, 0.2, 1.4, 0),
    })
    phrasings = [["a1", "a2"], ["b1", "b2"], ["c1", "c2"], ["d1", "d2"]]
    assert int(np.argmax(SemanticIndex(encoder, phrasings).score("about a, worded far out"))) == 0
    monkeypatch.setattr(semantic, "WITHIN_SHRINK", 1.0)  # the identity: plain cosine
    assert int(np.argmax(SemanticIndex(encoder, phrasings).score("about a, worded far out"))) == 2


def test_entries_of_one_phrasing_each_are_compared_by_plain_cosine():
    encoder = CountingEncoder()
    index = SemanticIndex(encoder, [["one"], ["two"], ["three"]])
    assert index._whitening is None
    raw = encoder.encode(["one", "two", "three"])
    assert np.allclose(index._vectors, unit(raw - raw.mean(axis=0)), atol=1e-6)
