"""Bans (desk.bans) on a real SQLite database: who may ban, what a ban does to the person's open
tickets, the gate that drops their updates and tells them once a day, and the record it leaves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from desk_world import AGENT, ANNA, JOHN, Desk
from sqlalchemy import event

from desk.agent_actions import Place
from desk.bans import Bans
from desk.lifecycle import Actor, Refused
from desk.settings import DeskConfig
from storage.models import Ticket

ADMIN = Actor(900, "Petra")


def bans_of(desk: Desk, **settings) -> Bans:
    return Bans(desk.sessions, desk.clock, DeskConfig(admin_ids=[ADMIN.telegram_id], **settings))


async def test_an_agent_may_not_ban_unless_the_config_allows(desk):
    with pytest.raises(Refused) as refused:
        await bans_of(desk).ban(AGENT, telegram_id=ANNA.telegram_id)
    assert refused.value.reason == "not_allowed"
    assert not (await bans_of(desk).gate(ANNA.telegram_id)).banned
    await bans_of(desk, agents_may_ban=True).ban(AGENT, telegram_id=ANNA.telegram_id, reason="spam")
    assert (await bans_of(desk).gate(ANNA.telegram_id)).banned


async def test_a_ban_on_a_ticket_bans_its_customer_and_closes_their_open_tickets_quietly(desk):
    first = await desk.ticket_of(ANNA)
    second = await desk.ticket_of(ANNA, "Printer")
    johns = await desk.ticket_of(JOHN)
    async with desk.sessions.begin() as session:
        (await session.get(Ticket, first)).topic_thread_id = 55
        (await session.get(Ticket, first)).card_chat_id = -100500
    banned = await bans_of(desk).ban(ADMIN, place=Place(-100500, 1, thread_id=55), reason="  insults ")
    assert (banned.telegram_id, banned.name, banned.closed) == (ANNA.telegram_id, "Анна", [first, second])
    assert (await desk.ticket(first)).state == "closed" and (await desk.ticket(second)).state == "closed"
    assert (await desk.ticket(johns)).state == "new"
    # Closed quietly: the cards are redrawn, the customer is told nothing.
    assert [row.kind for row in await desk.outbox(first)][-1] == "card_refresh"
    assert "notify" not in [row.kind for row in await desk.outbox(first)]
    [ban] = await bans_of(desk).in_force()
    assert (ban.reason, ban.banned_by, ban.banned_by_name, ban.ticket_id) == ("insults", 900, "Petra", first)


async def test_a_ban_needs_a_ticket_or_an_id_and_spares_admins_and_the_banned(desk):
    bans = bans_of(desk)
    with pytest.raises(Refused, match="no_ticket"):
        await bans.ban(ADMIN, place=Place(-100500, 1, thread_id=999))
    with pytest.raises(Refused, match="admin"):
        await bans.ban(ADMIN, telegram_id=ADMIN.telegram_id)
    await bans.ban(ADMIN, telegram_id=4242, reason="bot")
    with pytest.raises(Refused) as refused:
        await bans.ban(ADMIN, telegram_id=4242)
    assert refused.value.reason == "already" and refused.value.details["why"] == "bot"


async def test_the_banned_are_told_once_a_day(desk):
    bans = bans_of(desk)
    await bans.ban(ADMIN, telegram_id=JOHN.telegram_id)
    gates = [await bans.gate(JOHN.telegram_id) for _ in range(10)]
    assert all(gate.banned for gate in gates)
    assert [gate.tell for gate in gates] == [True] + [False] * 9
    desk.clock.advance(timedelta(hours=23))
    assert not (await bans.gate(JOHN.telegram_id)).tell
    desk.clock.advance(timedelta(hours=1))
    assert (await bans.gate(JOHN.telegram_id)).tell


async def test_unban_lifts_it_and_keeps_the_record(desk):
    bans = bans_of(desk)
    with pytest.raises(Refused, match="not_banned"):
        await bans.unban(ADMIN, JOHN.telegram_id)
    await bans.ban(ADMIN, telegram_id=JOHN.telegram_id, reason="spam")
    with pytest.raises(Refused, match="not_allowed"):
        await bans.unban(AGENT, JOHN.telegram_id)
    lifted = await bans.unban(ADMIN, JOHN.telegram_id)
    assert lifted.lifted_by == ADMIN.telegram_id and lifted.reason == "spam"
    assert not (await bans.gate(JOHN.telegram_id)).banned
    assert await bans.in_force() == []
    # Banned again: a new record, told again.
    await bans.ban(ADMIN, telegram_id=JOHN.telegram_id)
    assert (await bans.gate(JOHN.telegram_id)).tell


async def test_with_one_process_the_gate_asks_the_database_only_about_the_banned(desk):
    bans = Bans(desk.sessions, desk.clock, DeskConfig(admin_ids=[ADMIN.telegram_id]), only_process=True)
    await bans.ban(ADMIN, telegram_id=4242, reason="spam")
    statements = []
    event.listen(desk.sessions.kw["bind"].sync_engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    assert not (await bans.gate(ANNA.telegram_id)).banned  # bans in force are read once...
    reads = len(statements)
    assert not (await bans.gate(JOHN.telegram_id)).banned
    assert not (await bans.gate(ANNA.telegram_id)).banned
    assert len(statements) == reads  # ...and then kept
    assert (await bans.gate(4242)).banned
    # Bans given and lifted by this process are kept up to date.
    await bans.ban(ADMIN, telegram_id=ANNA.telegram_id)
    assert (await bans.gate(ANNA.telegram_id)).banned
    await bans.unban(ADMIN, 4242)
    assert not (await bans.gate(4242)).banned
    # And a Bans of the same process made later reads what is in force.
    later = Bans(desk.sessions, desk.clock, DeskConfig(), only_process=True)
    assert (await later.gate(ANNA.telegram_id)).banned and not (await later.gate(4242)).banned
