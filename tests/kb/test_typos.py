"""A customer misspells the key word of their question and still gets the answer, not a list of
guesses; the speller only ever corrects towards words the FAQ itself uses."""

from __future__ import annotations

import pytest

from kb.matcher import MatcherSettings
from kb.spelling import Speller, max_edits

TYPOS = [
    ("как саздать заявку", "ru-create-request"),
    ("как создат заявку", "ru-create-request"),
    ("как прикрипить скриншот", "ru-attachments"),
    ("забыл пороль", "ru-password-reset"),
    ("как пререоткрыть заявку", "ru-reopen-request"),
    ("сколко ждать атвета", "ru-response-time"),
    ("где ввести код купона пжлст", "ru-coupons"),
    ("how do I creat a reqest", "en-create-request"),
    ("i forgot my pasword", "en-password-reset"),
    ("how to use a cupon", "en-coupons"),
    ("change the langage", "en-change-language"),
    ("attach a screenshoot", "en-attachments"),
]


@pytest.mark.parametrize(("question", "expected"), TYPOS)
def test_a_typo_in_a_key_word_still_gets_the_answer(starter_kb, question, expected):
    result = starter_kb.search(question)
    assert result.decision == "answer", result
    assert result.matches[0].id == expected


def test_without_correction_the_same_typo_is_only_a_suggestion(starter_kb):
    from kb.base import KnowledgeBase

    plain = KnowledgeBase(starter_kb.path, MatcherSettings(correct_typos=False))
    assert plain.search("как саздать заявку").decision == "suggest"
    assert starter_kb.search("как саздать заявку").decision == "answer"


def test_the_speller_corrects_towards_the_faq_vocabulary_only():
    speller = Speller(["создать", "заявку", "password", "reset", "card"])
    assert speller.correct("саздать") == "создать"
    assert speller.correct("pasword") == "password"
    assert speller.correct("борщ") is None  # no FAQ word near it
    assert speller.correct("cart") is None  # short words are left alone: one edit is another word


def test_longer_words_allow_more_edits():
    assert [max_edits(n) for n in (3, 4, 5, 8, 9, 14)] == [0, 0, 1, 1, 2, 2]


def test_among_equally_close_words_the_more_frequent_one_wins():
    speller = Speller(["request"] * 3 + ["requests"])
    assert speller.correct("reqests") == "requests"  # one edit from it, two from "request"
    assert Speller(["bullet", "ballet", "ballet"]).correct("bellet") == "ballet"
