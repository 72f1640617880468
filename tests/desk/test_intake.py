"""Sending the request form: one ticket per form however often it is sent, a coupon spent exactly
once and only by the submit that opens the ticket, a bad coupon refused with its reason, and the
FAQ search the form came from marked with the ticket."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from desk import coupons
from desk.customers import Person
from desk.forms import DETAILS, Draft
from desk.intake import COUPON_PROBLEMS
from desk.lifecycle import Refused
from desk.searches import record_search
from kb.matcher import SearchResult
from storage.models import Coupon, Customer, OutboxMessage, Search, Ticket

# The desk's Tuesday, 23:00 in Moscow: support is closed.
NIGHT = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
ANNA = Person(4_200_001, "Anna", "anna", "ru")
BORIS = Person(4_200_002, "Boris", "boris", "en")


def filled(**changes) -> Draft:
    values = dict(title="The printer is silent", problem_type="question", details="Nothing prints.",
                  criticality="high")
    return Draft(**{**values, **changes})


async def count(sessions, what) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(what))


async def a_coupon(sessions, clock, owner: Person = ANNA, uses: int = 2) -> str:
    async with sessions.begin() as session:
        return (await coupons.issue(session, owner.telegram_id, uses=uses, valid_days=30, now=clock.now())).code


async def uses_left(sessions, code: str) -> int:
    async with sessions() as session:
        return await session.scalar(select(Coupon.uses_left).where(Coupon.code == code))


async def test_a_filled_form_opens_a_ticket_and_queues_its_card(sessions, intake):
    sent = await intake.submit(ANNA, filled())

    assert sent.created
    assert (sent.ticket.title, sent.ticket.criticality, sent.ticket.state) == ("The printer is silent", "high", "new")
    assert sent.ticket.plan == intake.sla.config.default_plan
    assert not sent.support_closed
    async with sessions() as session:
        kinds = (await session.execute(select(OutboxMessage.kind))).scalars().all()
    assert kinds == ["ticket_card"]


async def test_sending_one_form_twice_opens_one_ticket(sessions, intake, clock):
    draft = filled()
    first = await intake.submit(ANNA, draft)
    again = await intake.submit(ANNA, draft)

    assert (first.created, again.created) == (True, False)
    assert again.ticket.id == first.ticket.id
    assert await count(sessions, Ticket) == 1


async def test_two_submits_at_once_open_one_ticket_and_spend_the_coupon_once(sessions, intake, clock):
    code = await a_coupon(sessions, clock)
    draft = filled(coupon=code)

    both = await asyncio.gather(*(intake.submit(ANNA, draft)
                                  for _ in range(2)))

    assert sorted(sent.created for sent in both) == [False, True]
    assert await count(sessions, Ticket) == 1
    assert await uses_left(sessions, code) == 1


async def test_a_coupon_makes_a_special_request_answered_around_the_clock(sessions, intake, clock):
    code = await a_coupon(sessions, clock)
    clock.set(NIGHT)

    sent = await intake.submit(ANNA, filled(coupon=code))

    assert (sent.ticket.plan, sent.ticket.coupon_code) == (coupons.SPECIAL_PLAN, code)
    assert not sent.support_closed
    assert await uses_left(sessions, code) == 1


async def test_a_request_sent_at_night_says_support_is_closed(sessions, intake, clock):
    clock.set(NIGHT)

    sent = await intake.submit(ANNA, filled())

    assert sent.support_closed


async def test_a_coupon_used_up_meanwhile_is_refused_and_no_ticket_is_opened(sessions, intake, clock):
    code = await a_coupon(sessions, clock, uses=1)
    await intake.submit(ANNA, filled(coupon=code))

    with pytest.raises(Refused) as refused:
        await intake.submit(ANNA, filled(coupon=code))

    assert refused.value.reason == "spent"
    assert await count(sessions, Ticket) == 1


async def test_a_form_with_an_unanswered_step_is_refused_and_nothing_is_written(sessions, intake, clock):
    code = await a_coupon(sessions, clock)

    with pytest.raises(Refused) as refused:
        await intake.submit(ANNA, filled(details="", coupon=code))

    assert (refused.value.reason, refused.value.details["missing"]) == ("incomplete", [DETAILS])
    assert await count(sessions, Ticket) == 0
    assert await count(sessions, Customer) == 0
    assert await uses_left(sessions, code) == 2


async def test_the_search_the_form_came_from_is_marked_with_the_ticket(sessions, intake, clock):
    async with sessions.begin() as session:
        search = await record_search(session, ANNA.telegram_id, SearchResult("printer silent", "none", []),
                                     clock.now())

    sent = await intake.submit(ANNA, filled(search_id=search.id))

    async with sessions() as session:
        stored = await session.get(Search, search.id)
    assert (stored.outcome, stored.ticket_id) == ("ticket_opened", sent.ticket.id)


async def test_another_customers_search_is_left_alone(sessions, intake, clock):
    async with sessions.begin() as session:
        search = await record_search(session, BORIS.telegram_id, SearchResult("paper jam", "none", []), clock.now())

    await intake.submit(ANNA, filled(search_id=search.id))

    async with sessions() as session:
        stored = await session.get(Search, search.id)
    assert (stored.outcome, stored.ticket_id) == ("none", None)


async def test_a_checked_coupon_is_accepted_without_being_spent(sessions, intake, clock):
    code = await a_coupon(sessions, clock)

    accepted = await intake.check_coupon(f"  {code.lower()} ", ANNA.telegram_id)

    assert (accepted.code, accepted.uses_left) == (code, 2)
    assert await uses_left(sessions, code) == 2


@pytest.mark.parametrize("problem", ["unknown", "not_hers", "voided", "expired"])
async def test_a_coupon_that_cannot_be_used_is_refused_with_its_reason(sessions, intake, clock, problem):
    code = await a_coupon(sessions, clock, owner=BORIS if problem == "not_hers" else ANNA)
    if problem == "unknown":
        code = "SP-NONE-NONE-NONE"
    if problem == "voided":
        await a_coupon(sessions, clock)  # a newer code voids the older one
    if problem == "expired":
        clock.advance(timedelta(days=31))

    with pytest.raises(Refused) as refused:
        await intake.check_coupon(code, ANNA.telegram_id)

    # Another customer's code is as good as unknown.
    assert refused.value.reason == ("unknown" if problem == "not_hers" else problem)
    assert refused.value.reason in COUPON_PROBLEMS


async def test_a_sent_form_is_known_by_its_ticket_number_to_its_customer_only(sessions, intake, clock):
    draft = filled()
    sent = await intake.submit(ANNA, draft)

    assert await intake.sent_as(draft.form_id, ANNA.telegram_id) == sent.ticket.id
    assert await intake.sent_as(draft.form_id, BORIS.telegram_id) is None
    assert await intake.sent_as(filled().form_id, ANNA.telegram_id) is None


async def test_the_chosen_language_is_remembered(sessions, intake, clock):
    await intake.submit(ANNA, filled())

    await intake.choose_language(ANNA.telegram_id, "en")

    async with sessions() as session:
        assert await session.scalar(select(Customer.language).where(Customer.telegram_id == ANNA.telegram_id)) == "en"


async def test_a_language_the_desk_does_not_speak_is_refused(sessions, intake):
    with pytest.raises(Refused) as refused:
        await intake.choose_language(ANNA.telegram_id, "de")
    assert refused.value.reason == "unsupported"

