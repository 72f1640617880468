"""A restart reads the FAQ's built index from its file instead of building it again — and only
when the file was built from the very same entries by the same code."""

from __future__ import annotations

import numpy as np
from faq_files import STARTER_FAQ

import kb.matcher
from kb.base import KnowledgeBase
from kb.entries import Entry
from kb.index import decode_strings, encode_strings
from kb.loader import load_folder
from kb.matcher import Matcher

QUESTIONS = ["как создать заявку", "rfr cjplfnm pfzdre", "забыл пороль", "I forgot my password",
             "do you work on weekends", "Как использовать купон?", "how to bake a cake", "???"]


def results(matcher: Matcher) -> list:
    return [matcher.search(q) for q in QUESTIONS]


def test_a_matcher_read_from_the_file_answers_as_the_one_that_built_it(tmp_path, monkeypatch):
    entries = load_folder(STARTER_FAQ).entries
    built = Matcher(entries, index_file=tmp_path / "index.npz")
    assert (tmp_path / "index.npz").exists()
    monkeypatch.setattr(Matcher, "_build", lambda self: (_ for _ in ()).throw(AssertionError("rebuilt")))
    restored = Matcher(entries, index_file=tmp_path / "index.npz")
    assert results(restored) == results(built)


def test_a_changed_faq_is_built_again_and_the_file_rewritten(tmp_path):
    file = tmp_path / "index.npz"
    Matcher([Entry(id="hours", questions=("When are you open?",), answer=".")], index_file=file)
    changed = Matcher([Entry(id="refund", questions=("How do I get a refund?",), answer=".")], index_file=file)
    assert changed.search("refund please").matches[0].id == "refund"
    again = Matcher([Entry(id="refund", questions=("How do I get a refund?",), answer=".")], index_file=file)
    assert again.search("refund please").matches[0].id == "refund"


def test_a_broken_or_unwritable_file_only_costs_a_build(tmp_path):
    broken = tmp_path / "index.npz"
    broken.write_bytes(b"not an npz file")
    entries = [Entry(id="hours", questions=("When are you open?",), answer=".")]
    assert Matcher(entries, index_file=broken).search("when are you open").decision == "answer"
    blocked = tmp_path / "a-file" / "index.npz"
    (tmp_path / "a-file").write_text("a file where a folder should be")
    assert Matcher(entries, index_file=blocked).search("when are you open").decision == "answer"


def test_the_knowledge_base_keeps_its_index_in_the_file_it_is_given(tmp_path, monkeypatch):
    KnowledgeBase(STARTER_FAQ, index_file=tmp_path / "index.npz")
    calls = []
    original = kb.matcher.Matcher._build
    monkeypatch.setattr(kb.matcher.Matcher, "_build", lambda self: calls.append(1) or original(self))
    again = KnowledgeBase(STARTER_FAQ, index_file=tmp_path / "index.npz")
    assert calls == [1]  # the empty matcher made before the first load; the FAQ's index was read
    assert again.search("как создать заявку").matches[0].id == "ru-create-request"


def test_strings_survive_the_byte_encoding():
    for strings in ([], [""], ["", ""], ["a b", "", "ёж"], ["x"]):
        assert decode_strings(encode_strings(strings)) == strings
    assert encode_strings(["ab"]).dtype == np.uint8
