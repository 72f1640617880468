"""Who the customer of a ticket is to the desk: their earlier tickets, plan, coupons and ratings.

The card shows `context_of` (the last few earlier tickets); `/customer ID [PAGE]` shows `history`
(all of them, a page at a time). Read-only: callers pass a plain session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Coupon, Customer, Ticket

#: How many earlier tickets the card lists (newest first).
ON_CARD = 3
#: Tickets on one page of `/customer ID`: one message, not dozens to the agents' group (whose
#: Telegram limit is 20 a minute) for a customer of thousands of tickets.
HISTORY_PAGE = 25


@dataclass(frozen=True)
class PastTicket:
    """One of the customer's tickets as a line: number, title, state, when it was opened (UTC)."""

    number: int
    title: str
    state: str
    created_at: datetime


@dataclass(frozen=True)
class CustomerContext:
    """What the card says about the customer besides their name.

    `earlier`: how many tickets they opened before this one; `last`: up to three of those, newest
    first; `plan`: the customer's current plan (None: not set); `coupons_left`: uses left on their
    valid coupons; `average_rating`: the mean of the stars they gave (None: never rated)."""

    earlier: int
    last: tuple[PastTicket, ...]
    plan: str | None
    coupons_left: int
    average_rating: float | None
    ratings: int


@dataclass(frozen=True)
class CustomerHistory:
    """`/customer ID [PAGE]`: the customer, what the card says about them (`context.earlier`: all
    their tickets), and page `page` of `pages` of their tickets, newest first."""

    telegram_id: int
    first_name: str
    username: str | None
    context: CustomerContext
    tickets: tuple[PastTicket, ...]
    page: int = 1
    pages: int = 1


def _past(ticket: Ticket) -> PastTicket:
    return PastTicket(ticket.id, ticket.title, ticket.state, ticket.created_at)


async def _summary(session: AsyncSession, customer: Customer, now: datetime) -> tuple[int, float | None, int]:
    """Coupon uses left (valid coupons only), the average rating given and how many ratings."""
    coupons_left = (await session.execute(
        select(func.coalesce(func.sum(Coupon.uses_left), 0)).where(
            Coupon.customer_telegram_id == customer.telegram_id, Coupon.voided_at.is_(None),
            Coupon.expires_at > now, Coupon.uses_left > 0)
    )).scalar_one()
    rated, average = (await session.execute(
        select(func.count(Ticket.rating), func.avg(Ticket.rating))
        .where(Ticket.customer_id == customer.id, Ticket.rating.is_not(None))
    )).one()
    return int(coupons_left), float(average) if average is not None else None, int(rated)


async def context_of(session: AsyncSession, ticket: Ticket, now: datetime) -> CustomerContext:
    """The customer context of a ticket (its `customer` loaded): the tickets they opened before it."""
    customer = ticket.customer
    earlier = select(Ticket).where(Ticket.customer_id == customer.id, Ticket.id < ticket.id)
    count = (await session.execute(select(func.count()).select_from(earlier.subquery()))).scalar_one()
    last = (await session.execute(earlier.order_by(Ticket.id.desc()).limit(ON_CARD))).scalars()
    coupons_left, average, rated = await _summary(session, customer, now)
    return CustomerContext(count, tuple(_past(t) for t in last), customer.plan, coupons_left, average, rated)


async def history(session: AsyncSession, telegram_id: int, now: datetime, page: int = 1,
                  per_page: int | None = None) -> CustomerHistory | None:
    """Everything the desk knows of the customer with this Telegram id, with page `page` (from 1;
    past the last, the last) of their tickets, `per_page` (`HISTORY_PAGE`) a page; None for a
    stranger."""
    per_page = per_page or HISTORY_PAGE
    customer = (await session.execute(
        select(Customer).where(Customer.telegram_id == telegram_id)
    )).scalar_one_or_none()
    if customer is None:
        return None
    total = (await session.execute(select(func.count(Ticket.id)).where(Ticket.customer_id == customer.id))).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    # Only the four columns a line shows.
    tickets = tuple(PastTicket(*row) for row in (await session.execute(
        select(Ticket.id, Ticket.title, Ticket.state, Ticket.created_at)
        .where(Ticket.customer_id == customer.id).order_by(Ticket.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    )).all())
    coupons_left, average, rated = await _summary(session, customer, now)
    last = tickets[:ON_CARD] if page == 1 else ()
    context = CustomerContext(total, last, customer.plan, coupons_left, average, rated)
    return CustomerHistory(customer.telegram_id, customer.first_name, customer.username, context, tickets,
                           page, pages)
