"""What a customer sees of their own tickets: the filtered, paged list and the discussion.

No Telegram here: the bot renders what these functions return.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.lifecycle import ACTIVE, State
from storage.models import Customer, Ticket, TicketMessage

# The list's filters, in the order their buttons are shown.
FILTERS = ("open", "waiting", "closed", "all")

# The list's colour indicator (seed): who is waiting for whom.
CLOSED, WAITING_FOR_SUPPORT, WAITING_FOR_CUSTOMER = "grey", "green", "red"


@dataclass(frozen=True)
class Page:
    """One page of a customer's list; `page` is 0-based and already within 0..pages-1."""

    tickets: list[Ticket]
    page: int
    pages: int
    total: int
    # How many tickets each filter holds, by filter name.
    counts: dict[str, int]


def indicator(ticket: Ticket) -> str:
    """grey: closed; red: support wrote last (waiting for the customer); green: the customer did."""
    if ticket.state == State.CLOSED:
        return CLOSED
    return WAITING_FOR_CUSTOMER if ticket.last_message_from == "support" else WAITING_FOR_SUPPORT


def _waits_for_customer():
    return Ticket.state.in_(ACTIVE) & ((Ticket.last_message_from == "support") | (Ticket.state == State.WAITING))


def _condition(show: str):
    if show == "open":
        return Ticket.state.in_(ACTIVE)
    if show == "waiting":
        return _waits_for_customer()
    if show == "closed":
        return Ticket.state == State.CLOSED
    return None


async def _counts(session: AsyncSession, customer_id: int) -> dict[str, int]:
    row = (
        await session.execute(
            select(
                func.count(Ticket.id),
                func.sum(case((Ticket.state.in_(ACTIVE), 1), else_=0)),
                func.sum(case((_waits_for_customer(), 1), else_=0)),
                func.sum(case((Ticket.state == State.CLOSED, 1), else_=0)),
            ).where(Ticket.customer_id == customer_id)
        )
    ).one()
    total, active, waiting, closed = (int(value or 0) for value in row)
    return {"open": active, "waiting": waiting, "closed": closed, "all": total}


async def list_page(session: AsyncSession, telegram_id: int, show: str, page: int, page_size: int) -> Page:
    """The customer's tickets matching `show` (one of FILTERS), newest activity first.

    A page past the end (the list shrank since the button was drawn) gives the last page.
    """
    if show not in FILTERS:
        raise ValueError(f"unknown filter {show!r}")
    customer_id = (
        await session.execute(select(Customer.id).where(Customer.telegram_id == telegram_id))
    ).scalar_one_or_none()
    if customer_id is None:
        return Page([], 0, 1, 0, dict.fromkeys(FILTERS, 0))
    counts = await _counts(session, customer_id)
    total = counts[show]
    pages = max(1, -(-total // page_size))
    page = min(max(page, 0), pages - 1)
    query = select(Ticket).where(Ticket.customer_id == customer_id)
    condition = _condition(show)
    if condition is not None:
        query = query.where(condition)
    activity = func.coalesce(Ticket.last_activity_at, Ticket.created_at)
    query = query.order_by(activity.desc(), Ticket.id.desc()).offset(page * page_size).limit(page_size)
    tickets = list((await session.execute(query)).scalars())
    return Page(tickets, page, pages, total, counts)


def discussion(ticket: Ticket) -> list[TicketMessage]:
    """The messages the customer may see, oldest first: theirs and support's, never notes.

    The ticket must come with its messages and attachments loaded (`tickets.own_ticket` does).
    """
    return [message for message in ticket.messages if message.author_kind in ("customer", "support")]


def can_write(ticket: Ticket) -> bool:
    return ticket.state in ACTIVE


def can_rate(ticket: Ticket) -> bool:
    """Not rated yet, and support has answered (or the ticket is resolved or closed)."""
    answered = ticket.first_response_at is not None or ticket.state in (State.RESOLVED, State.CLOSED)
    return ticket.rating is None and answered


def can_reopen(ticket: Ticket, now: datetime, reopen_days: int) -> bool:
    """Closed less than `reopen_days` days ago."""
    return (
        ticket.state == State.CLOSED
        and ticket.closed_at is not None
        and now - ticket.closed_at <= timedelta(days=reopen_days)
    )
