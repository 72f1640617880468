"""The FAQ learns from what customers asked: an admin reviews the proposals, and only what they
accept is written into the FAQ files, whose formatting and comments stay as they were."""

from __future__ import annotations

import io

import yaml

from kb.commands import apply_command, learn_command
from kb.entries import Entry
from kb.learn import (
    Proposal,
    add_questions,
    draft_entries,
    pairs_from_tickets,
    propose_phrasings,
    with_phrasings,
)
from kb.loader import load_folder

RESET = Entry(id="reset", questions=("Как сбросить пароль?", "Забыл пароль"), answer="Нажмите «Забыли пароль?».")
HOURS = Entry(id="hours", questions=("Когда работает поддержка?",), answer="С 9 до 18 по будням.")

FILE = """---
id: reset
# asked most often in March
questions:
  - Как сбросить пароль?   # the title
  - "Забыл пароль"
tags: [доступ]
---

Нажмите **«Забыли пароль?»**.
"""


def test_questions_that_helped_become_proposals_counted_and_without_repeats():
    helped = [
        ("Здравствуйте! Не получается зайти, пароль не подходит. Что делать? Спасибо", "reset"),
        ("не получается зайти, пароль не подходит. что делать?", "reset"),
        ("Как сбросить пароль?", "reset"),  # the entry already says it
        ("пароль", "reset"),  # too short to teach anything
        ("когда вы работаете в субботу", "hours"),
        ("как удалить аккаунт", "no-such-entry"),
    ]
    proposals = propose_phrasings(helped, [RESET, HOURS])
    assert [(p.entry_id, p.count) for p in proposals] == [("reset", 2), ("hours", 1)]
    assert proposals[0].phrasing == "Не получается зайти, пароль не подходит. Что делать?"


def test_a_ticket_answered_with_an_entry_teaches_that_entry_its_question():
    tickets = [
        ("У меня не открывается личный кабинет, пароль не принимает", ["Добрый день!", "Нажмите «Забыли пароль?»."]),
        ("Где мой заказ?", ["Уточните номер, пожалуйста."]),
    ]
    assert pairs_from_tickets(tickets, [RESET, HOURS]) == [
        ("У меня не открывается личный кабинет, пароль не принимает", "reset")
    ]


def test_unanswered_questions_asked_often_become_a_draft_with_the_agents_usual_reply():
    unanswered = [
        ("Как удалить аккаунт?", "Напишите нам из почты аккаунта."),
        ("как удалить аккаунт", "Напишите нам из почты аккаунта."),
        ("Подскажите, как удалить мой аккаунт?", "Удалим за сутки."),
        ("какая погода", None),
    ]
    drafts = draft_entries(unanswered)
    assert len(drafts) == 1
    assert drafts[0].count == 3
    assert drafts[0].answer == "Напишите нам из почты аккаунта."


def test_new_phrasings_go_at_the_end_of_the_list_and_nothing_else_moves():
    updated = add_questions(FILE, ["ne mogu vojti", 'Пароль "не тот"'])
    assert updated.replace('  - "ne mogu vojti"\n  - "Пароль \\"не тот\\""\n', "") == FILE
    assert updated.index('"Забыл пароль"') < updated.index("ne mogu vojti") < updated.index("tags:")
    front = yaml.safe_load(updated.split("---")[1])
    assert front["questions"][-1] == 'Пароль "не тот"'


def test_nothing_changes_until_an_admin_accepts_and_then_only_what_they_accepted(tmp_path, write_faq):
    path = write_faq("reset.md", FILE)
    review = tmp_path / "review.yaml"
    out = io.StringIO()
    helped = [("не могу войти в кабинет, пароль не подходит", "reset"), ("пароль не приходит на почту", "reset")]
    assert learn_command(path.parent, helped=helped, tickets=[], unanswered=[], review_file=review, out=out) == 0
    assert path.read_text("utf-8") == FILE
    assert apply_command(path.parent, review, out) == 0
    assert path.read_text("utf-8") == FILE  # nothing accepted yet

    items = yaml.safe_load(review.read_text("utf-8"))
    items["phrasings"][0]["accept"] = True
    review.write_text(yaml.safe_dump(items, allow_unicode=True), "utf-8")
    assert apply_command(path.parent, review, out) == 0
    questions = load_folder(path.parent).entries[0].questions
    assert questions == ("Как сбросить пароль?", "Забыл пароль", items["phrasings"][0]["phrasing"])
    assert "# asked most often in March" in path.read_text("utf-8")


def test_accepted_phrasings_can_be_tried_in_memory_first():
    entries = with_phrasings([RESET, HOURS], [Proposal("hours", "вы работаете в субботу?")])
    assert entries[1].questions == ("Когда работает поддержка?", "вы работаете в субботу?")
    assert entries[0] == RESET


async def test_the_history_read_from_the_database_feeds_the_proposals(tmp_path):
    """What customers asked before pressing "helped" comes back as (question, entry) pairs; questions
    nothing answered come back for the drafts."""
    from datetime import UTC, datetime

    from desk.searches import learning_history, record_search, set_outcome
    from kb.matcher import Match, SearchResult
    from storage import migrate
    from storage.database import create_engine, create_sessionmaker

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'frontdesk.db'}")
    await migrate.upgrade(engine)
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    try:
        async with create_sessionmaker(engine).begin() as session:
            shown = SearchResult("не могу зайти, пароль не подходит", "suggest", [Match("reset", 50.0, "q")])
            helped = await record_search(session, 7, shown, now)
            await set_outcome(session, helped.id, 7, "helped")
            await record_search(session, 7, SearchResult("как удалить аккаунт", "none", []), now)
        async with create_sessionmaker(engine)() as session:
            history = await learning_history(session)
    finally:
        await engine.dispose()
    assert history.helped == [("не могу зайти, пароль не подходит", "reset")]
    assert history.unanswered == [("как удалить аккаунт", None)]
    assert [p.phrasing for p in propose_phrasings(history.helped, [RESET])] == ["не могу зайти, пароль не подходит"]
