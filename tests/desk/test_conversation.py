"""The customer's conversation with their tickets, without Telegram: what each use case returns,
what it refuses, and that another customer's ticket is never found nor changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from desk_world import ANNA, JOHN, Desk

from desk.conversation import RATING_COMMENT_LIMIT, Conversation
from desk.lifecycle import Actor, Policy, Refused
from desk.settings import SchedulerConfig

REOPEN_DAYS = 7


@pytest.fixture
def conversation(desk: Desk) -> Conversation:
    policy = Policy(desk.sla, SchedulerConfig(digest_time="", report_time=""), reopen_days=REOPEN_DAYS)
    return Conversation(desk.sessions, desk.clock, policy, page_size=5)


def as_actor(person) -> Actor:
    return Actor(person.telegram_id, person.first_name)


async def refused(reason: str, action) -> dict:
    """`action` is refused for `reason`; the refusal's details."""
    with pytest.raises(Refused) as caught:
        await action
    assert caught.value.reason == reason
    return caught.value.details


# --- whose tickets -------------------------------------------------------------------------------


async def test_the_list_holds_only_the_customers_own_tickets(desk, conversation):
    mine = [await desk.ticket_of(JOHN, f"John's {i}") for i in range(3)]
    await desk.ticket_of(ANNA, "Anna's")

    page = await conversation.requests(JOHN.telegram_id, "all", 0)

    assert sorted(ticket.id for ticket in page.tickets) == mine
    assert page.counts == {"open": 3, "waiting": 0, "closed": 0, "all": 3}


async def test_a_list_button_of_an_unknown_filter_is_out_of_date(conversation):
    await refused("out_of_date", conversation.requests(JOHN.telegram_id, "everything", 0))


async def test_another_customers_ticket_is_never_found_nor_changed(desk, conversation):
    annas = await desk.ticket_of(ANNA)
    await desk.support_answers(annas)
    john, before = JOHN.telegram_id, await desk.ticket(annas)
    rows_before = len(await desk.outbox())

    for action in (
        conversation.ticket(john, annas),
        conversation.confirm(john, annas),
        conversation.start_writing(john, annas),
        conversation.write(as_actor(JOHN), annas, desk.incoming(john, "let me in")),
        conversation.ask_to_close(john, annas),
        conversation.close(as_actor(JOHN), annas),
        conversation.ask_to_rate(john, annas),
        conversation.rate(john, annas, 1),
        conversation.comment_rating(john, annas, "bad"),
        conversation.reopen(john, annas),
    ):
        await refused("not_yours", action)

    after = await desk.ticket(annas)
    assert (after.state, after.rating, after.rating_comment, len(after.messages)) == (
        before.state, None, None, len(before.messages))
    assert len(await desk.outbox()) == rows_before


async def test_a_reply_finds_the_ticket_of_the_relayed_answer_only_in_its_customers_chat(desk, conversation):
    number = await desk.ticket_of(JOHN)
    await desk.support_answers(number)
    relayed = (await desk.ticket(number)).messages[-1].customer_message_id

    assert await conversation.replied_ticket(JOHN.telegram_id, relayed) == number
    assert await conversation.replied_ticket(ANNA.telegram_id, relayed) is None
    assert await conversation.replied_ticket(JOHN.telegram_id, relayed + 1) is None


# --- one ticket ----------------------------------------------------------------------------------


async def test_a_new_ticket_may_be_written_to_and_closed_not_rated_nor_reopened(desk, conversation):
    number = await desk.ticket_of(JOHN)

    shown = await conversation.ticket(JOHN.telegram_id, number)

    assert shown.ticket.id == number and shown.ticket.messages  # loaded for the view
    assert (shown.can_write, shown.can_rate, shown.can_reopen) == (True, False, False)


async def test_an_answered_ticket_may_be_rated(desk, conversation):
    number = await desk.ticket_of(JOHN)
    await desk.support_answers(number)

    shown = await conversation.ticket(JOHN.telegram_id, number)

    assert (shown.can_write, shown.can_rate, shown.can_reopen) == (True, True, False)


# --- writing -------------------------------------------------------------------------------------


async def test_the_customers_message_joins_the_discussion_and_goes_to_the_agents(desk, conversation):
    number = await desk.ticket_of(JOHN)
    await conversation.start_writing(JOHN.telegram_id, number)

    await conversation.write(as_actor(JOHN), number, desk.incoming(JOHN.telegram_id, "Still broken"))

    ticket = await desk.ticket(number)
    assert [m.text for m in ticket.messages][-1] == "Still broken"
    assert "to_desk" in [row.kind for row in await desk.outbox(number)]


async def test_writing_to_a_closed_ticket_is_refused(desk, conversation):
    number = await desk.ticket_of(JOHN)
    await desk.agent_closes(number)
    messages_before = len((await desk.ticket(number)).messages)

    await refused("closed", conversation.start_writing(JOHN.telegram_id, number))
    await refused("closed", conversation.write(as_actor(JOHN), number, desk.incoming(JOHN.telegram_id, "hi")))

    assert len((await desk.ticket(number)).messages) == messages_before


# --- closing -------------------------------------------------------------------------------------


async def test_the_customer_closes_once_and_the_agents_are_told(desk, conversation):
    number = await desk.ticket_of(JOHN)
    await conversation.ask_to_close(JOHN.telegram_id, number)

    closed = await conversation.close(as_actor(JOHN), number)

    assert (closed.number, closed.can_rate) == (number, True)  # a closed ticket may be rated
    assert (await desk.ticket(number)).state == "closed"
    events = [row.payload.get("event") for row in await desk.outbox(number) if row.kind == "desk_event"]
    assert events == ["closed_by_customer"]
    await refused("closed", conversation.ask_to_close(JOHN.telegram_id, number))
    await refused("closed", conversation.close(as_actor(JOHN), number))


async def test_closing_a_rated_ticket_offers_no_stars(desk, conversation):
    number = await desk.ticket_of(JOHN)
    await desk.support_answers(number)
    await conversation.rate(JOHN.telegram_id, number, 5)

    closed = await conversation.close(as_actor(JOHN), number)

    assert closed.can_rate is False


# --- rating --------------------------------------------------------------------------------------


async def test_a_ticket_support_has_not_answered_cannot_be_rated(desk, conversation):
    number = await desk.ticket_of(JOHN)

    await refused("nothing_to_rate", conversation.ask_to_rate(JOHN.telegram_id, number))
    await refused("nothing_to_rate", conversation.rate(JOHN.telegram_id, number, 4))

    assert (await desk.ticket(number)).rating is None


async def test_a_ticket_is_rated_once(desk, conversation):
    number = await desk.ticket_of(JOHN)
    await desk.support_answers(number)
    await conversation.ask_to_rate(JOHN.telegram_id, number)

    await conversation.rate(JOHN.telegram_id, number, 4)

    await refused("already_rated", conversation.ask_to_rate(JOHN.telegram_id, number))
    await refused("already_rated", conversation.rate(JOHN.telegram_id, number, 1))
    assert (await desk.ticket(number)).rating == 4
    rated = [row.payload for row in await desk.outbox(number) if row.payload.get("event") == "rated"]
    assert rated == [{"event": "rated", "score": 4}]


@pytest.mark.parametrize("score", [0, 6])
async def test_a_score_out_of_one_to_five_is_refused(desk, conversation, score):
    number = await desk.ticket_of(JOHN)
    await desk.support_answers(number)

    await refused("bad_score", conversation.rate(JOHN.telegram_id, number, score))

    assert (await desk.ticket(number)).rating is None


async def test_a_rating_comment_is_saved_and_one_too_long_is_refused(desk, conversation):
    number = await desk.ticket_of(JOHN)
    await desk.support_answers(number)
    await conversation.rate(JOHN.telegram_id, number, 5)

    details = await refused("too_long", conversation.comment_rating(
        JOHN.telegram_id, number, "x" * (RATING_COMMENT_LIMIT + 1)))
    assert details == {"actual": RATING_COMMENT_LIMIT + 1, "limit": RATING_COMMENT_LIMIT}
    assert (await desk.ticket(number)).rating_comment is None

    await conversation.comment_rating(JOHN.telegram_id, number, "x" * RATING_COMMENT_LIMIT)
    assert (await desk.ticket(number)).rating_comment == "x" * RATING_COMMENT_LIMIT


# --- reopening -----------------------------------------------------------------------------------


async def test_a_ticket_that_is_not_closed_is_not_reopened(desk, conversation):
    number = await desk.ticket_of(JOHN)

    await refused("not_closed", conversation.reopen(JOHN.telegram_id, number))


async def test_a_closed_ticket_is_reopened_within_the_window(desk, conversation):
    number = await desk.ticket_of(JOHN)
    await desk.agent_closes(number)
    desk.clock.advance(timedelta(days=REOPEN_DAYS) - timedelta(minutes=1))
    assert (await conversation.ticket(JOHN.telegram_id, number)).can_reopen

    shown = await conversation.reopen(JOHN.telegram_id, number)

    assert shown.ticket.state == "open"
    assert (shown.can_write, shown.can_reopen) == (True, False)
    assert (await desk.ticket(number)).state == "open"
    assert "reopened" in [row.payload.get("event") for row in await desk.outbox(number)]


async def test_a_ticket_closed_too_long_ago_is_not_reopened(desk, conversation):
    number = await desk.ticket_of(JOHN)
    await desk.agent_closes(number)
    desk.clock.advance(timedelta(days=REOPEN_DAYS, minutes=1))
    assert not (await conversation.ticket(JOHN.telegram_id, number)).can_reopen

    details = await refused("too_late", conversation.reopen(JOHN.telegram_id, number))

    assert details == {"days": REOPEN_DAYS}
    assert (await desk.ticket(number)).state == "closed"
