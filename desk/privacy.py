"""Forgetting a customer: their personal data goes, the anonymous facts stay.

What goes: names, usernames, languages, message texts (theirs and support's in their tickets),
titles, details and form answers, rating comments, file ids and names, search queries, coupon
and conversation state, and their Telegram id everywhere it appears (replaced by a pseudonym, a
negative number no Telegram user has). What stays, so reports and counts remain whole: that the
tickets existed, with their dates, states, plans, criticality, SLA times and ratings; how many
messages each had and from whom; that searches happened and how they ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from desk import outbox
from desk.clock import Clock
from desk.lifecycle import close_quietly
from storage.models import Attachment, Coupon, Customer, FSMRecord, OutboxMessage, Search, Ticket, TicketMessage

FORGOTTEN_TITLE = "(forgotten)"
ERASED_TITLE = "(erased after closing)"


@dataclass(frozen=True)
class Forgotten:
    pseudonym: int
    tickets: int
    messages: int
    files: int
    searches: int


async def forget_customer(session: AsyncSession, telegram_id: int, now: datetime) -> Forgotten | None:
    """Erase one customer's personal data in the caller's transaction; None if the bot never saw
    them. Messages still waiting to be sent about their tickets are dropped (marked failed); their
    open tickets are closed with no notice, their reminders cancelled, and every card is redrawn
    without their name and title."""
    customer = (await session.execute(
        select(Customer).where(Customer.telegram_id == telegram_id).with_for_update()
    )).scalar_one_or_none()
    if customer is None:
        return None
    pseudonym = -customer.id
    customer.telegram_id = pseudonym
    customer.first_name = ""
    customer.username = None
    customer.telegram_language = None
    customer.language = None

    ticket_ids = list((await session.execute(select(Ticket.id).where(Ticket.customer_id == customer.id))).scalars())
    files = await _erase_ticket_content(session, ticket_ids, FORGOTTEN_TITLE)
    await session.execute(
        update(TicketMessage).where(TicketMessage.ticket_id.in_(ticket_ids), TicketMessage.author_kind == "customer")
        .values(author_name="", author_telegram_id=pseudonym)
    )
    all_messages = (await session.execute(
        select(func.count(TicketMessage.id)).where(TicketMessage.ticket_id.in_(ticket_ids))
    )).scalar_one()
    searches = (await session.execute(
        update(Search).where(Search.customer_telegram_id == telegram_id)
        .values(query="", customer_telegram_id=pseudonym)
    )).rowcount
    await session.execute(
        update(Coupon).where(Coupon.customer_telegram_id == telegram_id).values(customer_telegram_id=pseudonym)
    )
    await _scrub_outbox(session, telegram_id, pseudonym, ticket_ids)
    await _drop_conversation_state(session, telegram_id)
    for ticket in (await session.execute(select(Ticket).where(Ticket.id.in_(ticket_ids)))).scalars():
        await close_quietly(session, ticket, now)
    return Forgotten(pseudonym=pseudonym, tickets=len(ticket_ids), messages=all_messages, files=files,
                     searches=searches)


class Privacy:
    """The erasure use case: a customer's own `/forgetme`, or an admin's `/forget` of one."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock

    async def forget(self, telegram_id: int) -> Forgotten | None:
        """`forget_customer` in a transaction of its own; None if the bot never saw them."""
        async with self._sessionmaker.begin() as session:
            return await forget_customer(session, telegram_id, self._clock.now())


async def erase_closed_before(session: AsyncSession, cutoff: datetime, *, limit: int = 500) -> int:
    """Erase the content of tickets closed before `cutoff` (`retention.closed_days`): titles,
    details, form answers, message texts, file ids, rating comments. Who the customer was, and the
    anonymous facts, stay. Returns how many tickets were erased (at most `limit` per call)."""
    ticket_ids = list((await session.execute(
        select(Ticket.id).where(Ticket.state == "closed", Ticket.closed_at < cutoff,
                                Ticket.title.not_in((ERASED_TITLE, FORGOTTEN_TITLE)))
        .order_by(Ticket.id).limit(limit)
    )).scalars())
    if ticket_ids:
        await _erase_ticket_content(session, ticket_ids, ERASED_TITLE)
        await _scrub_outbox(session, None, None, ticket_ids)
    return len(ticket_ids)


async def _erase_ticket_content(session: AsyncSession, ticket_ids: list[int], title: str) -> int:
    """Blank what was written in these tickets; returns how many files lost their ids."""
    await session.execute(
        update(Ticket).where(Ticket.id.in_(ticket_ids))
        .values(title=title, details="", fields={}, rating_comment=None, coupon_code=None)
    )
    # Subqueries rather than lists of ids: a busy ticket's messages would pass the driver's parameter limit.
    of_tickets = select(TicketMessage.id).where(TicketMessage.ticket_id.in_(ticket_ids)).scalar_subquery()
    await session.execute(update(TicketMessage).where(TicketMessage.ticket_id.in_(ticket_ids)).values(text=""))
    return (await session.execute(
        update(Attachment).where(Attachment.message_id.in_(of_tickets))
        .values(file_id="", file_unique_id=None, file_name=None, media_group_id=None)
    )).rowcount


async def _scrub_outbox(session: AsyncSession, telegram_id: int | None, pseudonym: int | None,
                        ticket_ids: list[int]) -> None:
    """Outbox rows keep only their kind and event; what still waits to reach the customer is dropped."""
    own_chat = outbox.customer_key(telegram_id) if telegram_id is not None else None
    rows = (await session.execute(
        select(OutboxMessage).where(or_(OutboxMessage.chat_key == own_chat, OutboxMessage.ticket_id.in_(ticket_ids)))
    )).scalars()
    for row in rows:
        row.payload = {"event": row.payload["event"]} if "event" in row.payload else {}
        if own_chat is not None and row.chat_key == own_chat:
            row.chat_key = outbox.customer_key(pseudonym)
        if row.state == "pending" and row.kind != "card_refresh":  # nothing left to send: its text is gone
            row.state, row.error = "failed", "the content was erased"


async def _drop_conversation_state(session: AsyncSession, telegram_id: int) -> None:
    """aiogram's keys read fsm:<bot>:<chat>:<user>:...; a private chat's id is the person's."""
    keys = (await session.execute(select(FSMRecord.key).where(FSMRecord.key.like(f"%:{telegram_id}:%")))).scalars()
    theirs = [key for key in keys if str(telegram_id) in key.split(":")[2:4]]
    if theirs:
        await session.execute(delete(FSMRecord).where(FSMRecord.key.in_(theirs)))
