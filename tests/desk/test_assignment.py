"""Duty and assignment (desk.assignment, desk.assignments): the round-robin over the agents on duty
at the ticket's level, the cap, assigning by hand, `/mine`, and the refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from desk_world import ANNA, Desk

from desk.agent_actions import Place
from desk.assignments import Assignments
from desk.forms import Draft
from desk.lifecycle import Actor, Refused
from desk.tickets import get_ticket, open_ticket
from storage.models import Ticket

OLGA, IVAN, PETR, LEAD = Actor(501, "Olga"), Actor(502, "Ivan"), Actor(503, "Petr"), Actor(504, "Lead")
GROUP, TOPIC = -100500, 70


async def new_ticket(desk: Desk, cap: int, title: str = "VPN") -> Ticket:
    """A ticket as the form opens it with `desk.assign_cap` = cap; its card in GROUP, topic TOPIC + number."""
    draft = Draft(title=title, problem_type="question", details="Details.", criticality="normal")
    desk.clock.advance(timedelta(minutes=1))
    async with desk.sessions.begin() as session:
        ticket = (await open_ticket(session, ANNA, draft, sla=desk.sla, clock=desk.clock, assign_cap=cap)).ticket
        ticket.card_chat_id, ticket.topic_thread_id = GROUP, TOPIC + ticket.id
    return ticket


def in_topic(number: int) -> Place:
    return Place(GROUP, 900, thread_id=TOPIC + number)


async def test_round_robin_over_three_agents_with_a_cap_of_two(desk):
    duty = Assignments(desk.sessions, desk.clock, cap=2)
    for agent in (OLGA, IVAN, PETR):
        await duty.duty(agent, agent.name.lower(), on=True)
    await duty.duty(LEAD, "lead", on=True, level=2)  # another level: never given a level-1 ticket
    tickets = [await new_ticket(desk, cap=2) for _ in range(7)]
    assert [t.assignee_name for t in tickets] == ["Olga", "Ivan", "Petr", "Olga", "Ivan", "Petr", None]
    assert tickets[-1].unassigned_reason == "all_full"
    # Olga closes one: the next ticket is hers again, as she is the only one below the cap.
    await desk.agent_closes(tickets[0].id)
    assert (await new_ticket(desk, cap=2)).assignee_name == "Olga"


async def test_nobody_on_duty_off_duty_and_cap_zero(desk):
    duty = Assignments(desk.sessions, desk.clock, cap=5)
    assert (await new_ticket(desk, cap=5)).unassigned_reason == "nobody_on_duty"
    await duty.duty(OLGA, None, on=True)
    assert (await new_ticket(desk, cap=5)).assignee_id == OLGA.telegram_id
    off = await duty.duty(OLGA, None, on=False)
    assert not off.on and off.open_tickets == 1
    assert (await new_ticket(desk, cap=5)).assignee_id is None
    await duty.duty(OLGA, None, on=True)
    nobody = await new_ticket(desk, cap=0)
    assert nobody.assignee_id is None and nobody.unassigned_reason is None
    with pytest.raises(Refused):
        await duty.duty(OLGA, None, on=True, level=4)


async def test_assign_by_hand_unassign_and_mine(desk):
    duty = Assignments(desk.sessions, desk.clock, cap=0)
    first, second = await new_ticket(desk, 0, "First"), await new_ticket(desk, 0, "Second")
    assert (await duty.assign(in_topic(second.id), OLGA, "olga")).name == "Olga"
    await duty.duty(IVAN, "ivan_k", on=False)
    assert (await duty.assign(in_topic(first.id), OLGA, "olga", "@Ivan_K")).name == "Ivan"
    await duty.assign(in_topic(first.id), OLGA, "olga")
    assert [t.title for t in await duty.mine(OLGA)] == ["First", "Second"]  # the nearer due time first
    assert (await desk.ticket(first.id)).assignee_username == "olga"
    assert "card_refresh" in [row.kind for row in await desk.outbox(first.id)]
    await duty.unassign(in_topic(first.id))
    assert [t.title for t in await duty.mine(OLGA)] == ["Second"]
    with pytest.raises(Refused) as refused:
        await duty.unassign(in_topic(first.id))
    assert refused.value.reason == "not_taken"


async def test_refusals(desk):
    duty = Assignments(desk.sessions, desk.clock, cap=0)
    ticket = await new_ticket(desk, 0)
    for place, reason in ((Place(GROUP, 900), "no_ticket"), (Place(-100999, 900, thread_id=TOPIC + ticket.id),
                                                              "no_ticket")):
        with pytest.raises(Refused) as refused:
            await duty.assign(place, OLGA, None)
        assert refused.value.reason == reason
    with pytest.raises(Refused) as refused:
        await duty.assign(in_topic(ticket.id), OLGA, None, "@stranger")
    assert refused.value.reason == "unknown_agent"
    await desk.agent_closes(ticket.id)
    for attempt in (duty.assign(in_topic(ticket.id), OLGA, None), duty.unassign(in_topic(ticket.id))):
        with pytest.raises(Refused) as refused:
            await attempt
        assert refused.value.reason == "closed"
    async with desk.sessions() as session:
        assert (await get_ticket(session, ticket.id)).assignee_id is None
