"""A customer blocks and unblocks the bot: the agents see it on the active tickets' cards only,
and Telegram saying it twice changes nothing the second time."""

from __future__ import annotations

import pytest
from desk_world import ANNA, JOHN, Desk

from desk.customers import find_customer
from desk.membership import Membership


@pytest.fixture
def membership(desk: Desk) -> Membership:
    return Membership(desk.sessions, desk.clock)


def events(rows) -> list[tuple[int, str]]:
    return [(row.ticket_id, row.payload["event"]) for row in rows if row.kind == "desk_event"]


async def blocked_bot(desk: Desk, telegram_id: int) -> bool:
    async with desk.sessions() as session:
        return (await find_customer(session, telegram_id)).blocked_bot


async def test_blocking_the_bot_marks_the_cards_of_the_active_tickets(desk, membership):
    active = await desk.ticket_of(JOHN, "active")
    closed = await desk.ticket_of(JOHN, "closed")
    await desk.agent_closes(closed)
    annas = await desk.ticket_of(ANNA)
    before = len(await desk.outbox())

    await membership.blocked(JOHN.telegram_id)

    new = (await desk.outbox())[before:]
    assert await blocked_bot(desk, JOHN.telegram_id)
    assert events(new) == [(active, "customer_blocked")]
    assert {row.ticket_id for row in new if row.kind == "card_refresh"} == {active}
    assert annas not in {row.ticket_id for row in new}


async def test_unblocking_marks_them_again_and_a_repeated_word_changes_nothing(desk, membership):
    number = await desk.ticket_of(JOHN)
    await membership.blocked(JOHN.telegram_id)
    after_block = len(await desk.outbox())

    await membership.blocked(JOHN.telegram_id)
    assert len(await desk.outbox()) == after_block

    await membership.unblocked(JOHN.telegram_id)
    assert not await blocked_bot(desk, JOHN.telegram_id)
    assert events((await desk.outbox())[after_block:]) == [(number, "customer_back")]


async def test_someone_the_bot_never_saw_changes_nothing(desk, membership):
    await membership.blocked(4242)

    assert await desk.outbox() == []
