"""Customer context (desk.customer_context): what the card and `/customer ID` say about a customer."""

from __future__ import annotations

from datetime import timedelta

from desk_world import ANNA, JOHN
from sqlalchemy import update

from desk import coupons
from desk.customer_context import context_of, history
from desk.customers import set_customer_plan
from desk.tickets import get_ticket
from storage.models import Ticket


async def test_a_first_ticket_has_no_earlier_ones(desk):
    number = await desk.ticket_of(ANNA)
    async with desk.sessions() as session:
        context = await context_of(session, await get_ticket(session, number), desk.clock.now())
    assert (context.earlier, context.last, context.coupons_left, context.average_rating) == (0, (), 0, None)


async def test_the_context_counts_earlier_tickets_coupons_and_ratings_of_this_customer_only(desk):
    numbers = [await desk.ticket_of(ANNA, f"Problem {n}") for n in range(1, 6)]
    await desk.ticket_of(JOHN, "John's problem")
    async with desk.sessions.begin() as session:
        await session.execute(update(Ticket).where(Ticket.id.in_(numbers[:2])).values(rating=5))
        await session.execute(update(Ticket).where(Ticket.id == numbers[2]).values(rating=2, state="closed"))
        await set_customer_plan(session, ANNA.telegram_id, "vip")
        await coupons.issue(session, ANNA.telegram_id, uses=3, valid_days=30, now=desk.clock.now())
        # An expired coupon of John's counts for nobody.
        await coupons.issue(session, JOHN.telegram_id, uses=5, valid_days=1,
                            now=desk.clock.now() - timedelta(days=2))
    async with desk.sessions() as session:
        context = await context_of(session, await get_ticket(session, numbers[-1]), desk.clock.now())
    assert context.earlier == 4
    assert [(past.number, past.state) for past in context.last] == [
        (numbers[3], "new"), (numbers[2], "closed"), (numbers[1], "new")]
    assert (context.plan, context.coupons_left, context.average_rating, context.ratings) == ("vip", 3, 4.0, 3)


async def test_history_lists_every_ticket_and_knows_no_stranger(desk):
    numbers = [await desk.ticket_of(JOHN, f"Problem {n}") for n in range(1, 6)]
    async with desk.sessions() as session:
        found = await history(session, JOHN.telegram_id, desk.clock.now())
        stranger = await history(session, 31337, desk.clock.now())
    assert [past.number for past in found.tickets] == numbers[::-1]
    assert (found.first_name, found.username, found.context.earlier) == ("John", "john", 5)
    assert stranger is None


async def test_history_comes_a_page_at_a_time_newest_first(desk):
    numbers = [await desk.ticket_of(JOHN, f"Problem {n}") for n in range(1, 6)]
    async with desk.sessions() as session:
        pages = [await history(session, JOHN.telegram_id, desk.clock.now(), page, per_page=2)
                 for page in (1, 2, 3, 9, 0)]
    assert [[past.number for past in found.tickets] for found in pages] == [
        numbers[4:2:-1], numbers[2:0:-1], numbers[:1], numbers[:1], numbers[4:2:-1]]
    assert [(found.page, found.pages, found.context.earlier) for found in pages] == [
        (1, 3, 5), (2, 3, 5), (3, 3, 5), (3, 3, 5), (1, 3, 5)]
