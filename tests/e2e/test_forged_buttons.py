"""Forged buttons, pressed in the real bot: whatever callback data a customer sends (up to
Telegram's 64 bytes), the bot answers the press, changes nothing of anyone else's, shows nothing
of anyone else's, and logs no error. The data is drawn at random from our own prefixes and
actions (so much of it parses) and from arbitrary text."""

from __future__ import annotations

import logging
import random

import pytest
from sqlalchemy import select

from desk.clock import SystemClock
from desk.customers import Person
from desk.forms import Draft
from desk.sla import SLA
from desk.tickets import get_ticket, open_ticket
from storage.models import TicketMessage

MARYS_TITLE = "Mary's private matter"
PREFIXES = ["t", "ts", "c", "f", "q", "l", "m", "p", "lang", "sg", "tp"]
ACTIONS = ["view", "reply", "close", "rate", "reopen", "history", "take", "release", "resolve", "escalate",
           "priority", "waiting", "submit", "edit", "pick", "helped", "new", "mine", "ask", "open", "all"]
VALUES = ["1", "2", "0", "-1", "5", "999999999999", "", "x", "1.5", "None", "true", "ru", "en", "de"]


def forged(rng: random.Random, ticket: int) -> str:
    """One piece of callback data a forger might try, at most 64 bytes."""
    kind = rng.random()
    if kind < 0.4:  # our own buttons, aimed at Mary's ticket
        data = ":".join([rng.choice(["t", "c"]), rng.choice(ACTIONS), str(ticket), rng.choice(VALUES)])
    elif kind < 0.45:  # a suggestion button aimed at Mary's ticket
        data = ":".join(["sg", str(ticket), rng.choice(VALUES), rng.choice(["en-password-reset", "x", ""])])
    elif kind < 0.5:  # a template button aimed at Mary's ticket
        data = ":".join(["tp", rng.choice(["list", "send", "x"]), str(ticket), rng.choice(["en-greeting", "x", ""])])
    elif kind < 0.8:  # our prefixes and actions, shuffled
        pieces = [rng.choice(PREFIXES)] + [rng.choice(ACTIONS + VALUES) for _ in range(rng.randint(0, 4))]
        data = ":".join(pieces)
    else:  # anything at all
        alphabet = "abc:01 \u0000\u200b<>&\"'ёЖ😀\n"
        data = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
    while len(data.encode()) > 64:
        data = data[:-1]
    return data


@pytest.fixture
def mary(emu):
    return emu.add_user(1003, "Mary", language_code="en", username="mary")


async def snapshot(db, number: int):
    async with db() as session:
        ticket = await get_ticket(session, number)
        messages = (await session.execute(
            select(TicketMessage.id, TicketMessage.text).where(TicketMessage.ticket_id == number)
        )).all()
        return (ticket.state, ticket.rating, ticket.rating_comment, ticket.assignee_id, ticket.support_level,
                ticket.priority, ticket.closed_at, sorted(messages))


async def test_forged_buttons_are_answered_and_change_nothing_of_anyone_elses(
    frontdesk, emu, john, mary, forum_desk, talk, db, config, caplog,
):
    async with db.begin() as session:
        opened = await open_ticket(
            session, Person(mary.id, "Mary", None, "en"),
            Draft(title=MARYS_TITLE, problem_type="question", details="Only Mary and support may see this.",
                  criticality="normal"),
            sla=SLA(config.sla), clock=SystemClock(),
        )
        number = opened.ticket.id
    menu = await talk(john).send("/start", expect="Hello")
    await frontdesk.settle(emu)
    before = await snapshot(db, number)
    marys_messages = len(emu.chat(mary).messages)
    caplog.set_level(logging.WARNING)

    rng = random.Random(2026)  # fixed: the same presses on every run
    aimed = [f"{prefix}:{action}:{number}:{value}" for prefix in ("t", "c") for action in ACTIONS
             for value in ("0", "5")]
    for data in aimed + [forged(rng, number) for _ in range(60)]:
        press = await john.press_data(menu, data)
        await press.answer(timeout=10)  # never a spinner forever
        await frontdesk.settle(emu)

    assert await snapshot(db, number) == before
    assert len(emu.chat(mary).messages) == marys_messages
    assert not [m for m in emu.chat(john).messages if MARYS_TITLE in m.shown_text or "Only Mary" in m.shown_text]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
