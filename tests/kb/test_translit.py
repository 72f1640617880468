"""Russian typed in Latin letters, or typed with the wrong layout including its punctuation keys,
still finds the Russian entry."""

from __future__ import annotations

import pytest

from kb.layout import cyrillic_to_latin, latin_to_cyrillic, layout_variants
from kb.translit import Transliterator, cyrillic_key, latin_key


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("parol", "пароль"),
        ("sbrosit'", "сбросить"),
        ("zayavka", "заявка"),
        ("zajavka", "заявка"),
        ("zaiavka", "заявка"),
        ("schet", "счет"),
        ("shchet", "щет"),
        ("podderzhka", "поддержка"),
        ("khochu", "хочу"),
        ("hochu", "хочу"),
        ("xochu", "хочу"),
    ],
)
def test_common_schemes_fold_to_the_key_of_the_cyrillic_word(latin, cyrillic):
    assert latin_key(latin) == cyrillic_key(cyrillic)


def test_latin_words_are_read_as_the_vocabulary_words_they_spell():
    reader = Transliterator(["сбросить", "пароль", "заявку", "поддержка"])
    assert reader.to_cyrillic(["kak", "sbrosit", "parol"]) == ["как", "сбросить", "пароль"]
    # a typo on top of the transliteration: found by the fuzzy look-up over keys
    assert reader.to_cyrillic(["podderjka"]) == ["поддержка"]
    assert reader.to_cyrillic(["zayavku", "42", "слово"]) == ["заявку", "42", "слово"]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("gfhjk.", "паролю"), (";tkfnm", "желать"), ("'nj", "это"), ("[jxe", "хочу"), ("j,hfotybt", "обращение")],
)
def test_punctuation_keys_are_russian_letters_in_the_wrong_layout(typed, meant):
    assert meant in layout_variants(typed)


def test_layout_conversion_round_trips():
    text = "хочу поговорить с живым человеком, это объявление."
    assert latin_to_cyrillic(cyrillic_to_latin(text, keep_trailing=False), keep_trailing=False) == text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("kak sbrosit parol", "ru-password-reset"),
        ("skolko zhdat otveta", "ru-response-time"),
        ("hochu pogovorit s zhivym chelovekom", "ru-contact-human"),
        (cyrillic_to_latin("сколько ждать ответа", keep_trailing=False), "ru-response-time"),
        (cyrillic_to_latin("можно ли отправить фото ошибки", keep_trailing=False), "ru-attachments"),
    ],
)
def test_russian_typed_in_latin_letters_or_keys_gets_the_russian_answer(starter_kb, question, expected):
    result = starter_kb.search(question)
    assert result.matches[0].id == expected, result
    assert result.decision == "answer", result
