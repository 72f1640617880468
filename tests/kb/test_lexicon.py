"""A customer asks in English while the entry exists only in Russian (or the other way round): the
words the FAQ's paired entries translate lead to it; a question in the FAQ's own language is never
read through the lexicon."""

from __future__ import annotations

from kb.entries import Entry
from kb.lexicon import Lexicon, pair_key, paired_entries
from kb.matcher import Matcher

PAIRED = [
    Entry(id="ru-coupons", questions=("Как применить купон?", "Где ввести промокод?"), answer=".", lang="ru"),
    Entry(id="en-coupons", questions=("How do I apply a coupon?", "Where do I enter a promo code?"), answer=".",
          lang="en"),
    Entry(id="ru-password", questions=("Как сбросить пароль?", "Забыл пароль"), answer=".", lang="ru"),
    Entry(id="en-password", questions=("How do I reset my password?", "I forgot my password"), answer=".",
          lang="en"),
]
RUSSIAN_ONLY = [e for e in PAIRED if e.lang == "ru"]


def test_entries_pair_up_by_their_id_without_the_language_mark():
    assert pair_key(PAIRED[0]) == pair_key(PAIRED[1]) == "coupons"
    assert pair_key(Entry(id="hours-en", questions=("q",), answer=".", lang="en")) == "hours"
    assert pair_key(Entry(id="hours", questions=("q",), answer=".")) is None
    assert {(a.id, b.id) for a, b in paired_entries(PAIRED)} == {
        ("ru-coupons", "en-coupons"), ("ru-password", "en-password")}


def test_a_word_translates_to_the_words_of_its_pairs_other_side():
    lexicon = Lexicon.from_entries(PAIRED)
    translated = lexicon.translate(["password"])
    assert "парол" in translated
    assert not {"купон", "промокод"} & translated.keys()
    assert lexicon.translate(["unheard"]) == {}
    assert not Lexicon.from_entries(RUSSIAN_ONLY)


def test_an_english_question_finds_the_russian_only_entry_through_the_lexicon():
    matcher = Matcher(RUSSIAN_ONLY, lexicon=Lexicon.from_entries(PAIRED))
    assert matcher.search("I forgot my password").matches[0].id == "ru-password"
    assert matcher.search("Where can I enter my coupon?").matches[0].id == "ru-coupons"
    # Without the lexicon the English words meet nothing in the Russian entries.
    assert Matcher(RUSSIAN_ONLY, lexicon=Lexicon([])).search("I forgot my password").decision == "none"


def test_a_question_in_the_faqs_own_language_is_not_read_through_the_lexicon():
    matcher = Matcher(PAIRED)
    assert not matcher._score_translated("Как сбросить пароль?").any()
    assert matcher.search("Как сбросить пароль?").matches[0].id == "ru-password"
