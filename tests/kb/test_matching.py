"""A customer asks in their own words — with typos, the wrong keyboard layout, no punctuation —
and the starter FAQ finds the entry; a question the FAQ does not cover gets nothing."""

from __future__ import annotations

import numpy as np
import pytest

from kb.entries import Entry
from kb.matcher import Matcher, MatcherSettings

FOUND = [
    # Russian: as written, paraphrases, typos, ё/е, punctuation, wrong layout.
    ("как создать заявку", "ru-create-request"),
    ("Как создать заявку???", "ru-create-request"),
    ("rfr cjplfnm pfzdre", "ru-create-request"),
    ("как саздать заявку", "ru-create-request"),
    ("хочу написать в техподдержку", "ru-create-request"),
    ("где посмотреть мои заявки", "ru-request-status"),
    ("что с моей заявкой", "ru-request-status"),
    ("когда вы работаете", "ru-working-hours"),
    ("вы работаете в выходные", "ru-working-hours"),
    ("сколько ждать ответа", "ru-response-time"),
    ("какую критичность выбрать", "ru-criticality"),
    ("как прикрепить скриншот", "ru-attachments"),
    ("как прикрипить скриншот", "ru-attachments"),
    ("где ввести код купона", "ru-coupons"),
    ("как оценить ответ специалиста", "ru-rate-answer"),
    ("переоткрыть заявку", "ru-reopen-request"),
    ("как закрыть обращение", "ru-close-request"),
    ("как сменить язык", "ru-change-language"),
    ("rfr cvtybnm zpsr", "ru-change-language"),
    ("забыл пароль", "ru-password-reset"),
    ("забыл пороль", "ru-password-reset"),
    ("нужен счёт на оплату", "ru-billing-invoice"),
    ("нужен счет на оплату", "ru-billing-invoice"),
    ("хочу поговорить с живым человеком", "ru-contact-human"),
    # English.
    ("how do i create a request", "en-create-request"),
    ("how do I creat a reqest", "en-create-request"),
    ("check status of my ticket", "en-request-status"),
    ("support hours?", "en-working-hours"),
    ("do you work on weekends", "en-working-hours"),
    ("how long will I wait for a reply", "en-response-time"),
    ("attach a screenshot", "en-attachments"),
    ("how to use a coupon", "en-coupons"),
    ("rate the agent", "en-rate-answer"),
    ("reopen my ticket", "en-reopen-request"),
    ("close my request", "en-close-request"),
    ("change the language", "en-change-language"),
    ("I forgot my password", "en-password-reset"),
    ("i forgot my pasword", "en-password-reset"),
    ("ыщьуерштп шьзщкефте", "en-add-details"),  # "something important" typed on a Russian layout
    ("рщц вщ ш кумуфыу ьн зфыыцщкв", "en-password-reset"),  # "how do i reset my password"
    ("I was charged twice", "en-billing-invoice"),
    ("talk to a real person", "en-contact-human"),
]


@pytest.mark.parametrize(("question", "expected"), FOUND)
def test_a_customer_question_finds_its_entry(starter_kb, question, expected):
    result = starter_kb.search(question)
    assert result.matches[0].id == expected, result
    assert result.decision in ("answer", "suggest")


@pytest.mark.parametrize(
    "question",
    ["как приготовить борщ", "какая погода завтра в Москве", "how to bake a chocolate cake",
     "what's the weather like tomorrow", "кто выиграл чемпионат мира по футболу", "asdkjh qwe"],
)
def test_a_question_the_faq_does_not_cover_gets_none(starter_kb, question):
    assert starter_kb.search(question).decision == "none"


def test_exact_questions_are_answered(starter_kb):
    for entry in starter_kb.entries:
        result = starter_kb.search(entry.title)
        assert result.decision == "answer" and result.matches[0].id == entry.id, result


def test_matches_come_best_first_with_scores_on_a_0_to_100_scale(starter_kb):
    matches = starter_kb.search("как создать заявку", limit=5).matches
    assert len(matches) == 5
    scores = [m.score for m in matches]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 100 for s in scores)
    assert matches[0].question == "Как создать заявку?"


def test_thresholds_decide_answer_suggest_or_none():
    settings = MatcherSettings(answer_threshold=70, suggest_threshold=40)
    assert [settings.decide(s) for s in (70, 69.9, 40, 39.9)] == ["answer", "suggest", "suggest", "none"]


def test_an_empty_knowledge_base_and_empty_queries_are_harmless(starter_kb):
    assert Matcher([]).search("anything").decision == "none"
    for query in ("", "   ", "???", "и в на", "the a of"):
        # Nothing to search by (no words, or only stop words): no answer and nothing offered.
        assert starter_kb.search(query).decision == "none", query
    assert starter_kb.search("").matches == []


def test_a_sentence_encoder_can_join_the_blend():
    class FakeEncoder:
        """Embeds a text as a one-hot of whether it mentions money."""

        def encode(self, texts):
            import numpy as np

            return np.array([[1.0, 0.0] if "refund" in t or "money" in t else [0.0, 1.0] for t in texts])

    entries = [Entry("refund", ("How do I get a refund?",), "A."), Entry("hours", ("Opening hours",), "B.")]
    matcher = Matcher(entries, encoder=FakeEncoder())
    assert matcher.search("money back please").matches[0].id == "refund"


def test_a_close_runner_up_turns_an_answer_into_a_suggestion():
    settings = MatcherSettings(answer_threshold=55, suggest_threshold=40, answer_margin=15)
    assert settings.decide(70, 50) == "answer"
    assert settings.decide(70, 60) == "suggest"  # two entries fit: the customer chooses
    assert settings.decide(97, 95) == "answer"  # asked nearly word for word (sure_threshold)
    assert settings.decide(90, 88) == "suggest"
    assert settings.decide(50, 0) == "suggest"
    assert MatcherSettings(answer_threshold=95).decide(90, 0) == "suggest"  # never below the threshold


def test_when_the_words_and_the_encoder_agree_a_smaller_lead_is_enough():
    settings = MatcherSettings(answer_threshold=35, suggest_threshold=25, answer_margin=14, agreed_margin_cut=5)
    assert settings.decide(50, 40) == "suggest"
    assert settings.decide(50, 40, agreed=True) == "answer"  # a 9-point lead is enough when they agree
    assert settings.decide(50, 42, agreed=True) == "suggest"
    assert settings.decide(34, 0, agreed=True) == "suggest"  # the threshold itself is not cut here
    cut = MatcherSettings(answer_threshold=35, suggest_threshold=25, agreed_threshold_cut=3)
    assert (cut.decide(33, 0), cut.decide(33, 0, agreed=True)) == ("suggest", "answer")
    # Without cuts (the lexical matcher's defaults) agreement changes nothing.
    assert MatcherSettings().decide(60, 50, agreed=True) == MatcherSettings().decide(60, 50) == "suggest"


def test_search_tells_whether_the_words_and_the_encoder_put_the_same_entry_first():
    class TwoTopics:
        """Money questions point one way, everything else the other."""

        def encode(self, texts: list[str]) -> np.ndarray:
            return np.array([[1.0, 0.0] if "refund" in t or "money" in t else [0.0, 1.0] for t in texts])

    entries = [
        Entry("refund", ("How do I get a refund?",), "A."),
        Entry("hours", ("Opening hours",), "B."),
        Entry("card", ("Where is my card?",), "C."),
    ]
    matcher = Matcher(entries, encoder=TwoTopics())
    assert matcher.search("how do I get a refund").agreed
    # The words say "card", the encoder "refund": they disagree, whichever wins the blend.
    assert not matcher.search("money for my card").agreed
    assert not Matcher(entries).search("how do I get a refund").agreed  # no encoder, no agreement
