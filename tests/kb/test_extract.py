"""A customer wraps the question in greetings, thanks and a signature, or asks it in the second of
three sentences; the matcher reads the question, not the wrapping."""

from __future__ import annotations

import pytest

from kb.extract import question_parts, strip_filler


@pytest.mark.parametrize(
    ("message", "question"),
    [
        ("Здравствуйте! Подскажите, пожалуйста, как сбросить пароль? Спасибо", "как сбросить пароль?"),
        ("Добрый день, как создать заявку? Заранее спасибо!", "как создать заявку?"),
        ("Hi there! Could you please tell me how to reset my password? Thanks a lot, Anna",
         "how to reset my password?"),
        ("Hello. How do I get an invoice? Best regards, John Smith", "How do I get an invoice?"),
        ("how do I reset my password please?", "how do I reset my password?"),
    ],
)
def test_greetings_thanks_and_signatures_are_stripped(message, question):
    assert question_parts(message)[0] == question


def test_the_question_sentence_of_several_is_matched_after_the_whole():
    parts = question_parts("Вчера отправил заявку. Прошло два дня. Почему так долго нет ответа?")
    assert parts[0] == "Вчера отправил заявку. Прошло два дня. Почему так долго нет ответа?"
    assert parts[1] == "Почему так долго нет ответа?"


def test_a_message_of_nothing_but_thanks_is_still_searched_as_it_is():
    assert question_parts("Спасибо большое") == ["Спасибо большое"]
    assert question_parts("   ") == []


def test_words_that_only_look_like_greetings_inside_a_question_are_kept():
    assert strip_filler("как привести пароль в порядок") == "как привести пароль в порядок"
    assert strip_filler("Hi, is there a hint for the password?") == "is there a hint for the password?"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Здравствуйте! Подскажите, пожалуйста, как сбросить пароль? Спасибо", "ru-password-reset"),
        ("Я создал заявку вчера. Забыл указать номер договора. Как дополнить заявку? Спасибо, Иван",
         "ru-add-details"),
        ("Good morning. How long do I have to wait for a reply? Best regards, Tom", "en-response-time"),
    ],
)
def test_a_chatty_question_gets_its_answer(starter_kb, message, expected):
    result = starter_kb.search(message)
    assert result.decision == "answer", result
    assert result.matches[0].id == expected
