"""A customer blocks or unblocks the bot: the agents see it on the cards of the customer's active
tickets, and nothing more is sent to them while they block it. Their tickets are kept either way."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from desk import lifecycle, outbox
from desk.clock import Clock
from desk.customers import set_blocked_flag
from storage.models import Ticket


async def set_blocked(session: AsyncSession, telegram_id: int, blocked: bool, now: datetime) -> None:
    """In the caller's transaction: remember that the customer blocked (or unblocked) the bot and
    tell the agents on each active ticket's card. Nothing happens when that was known already."""
    customer = await set_blocked_flag(session, telegram_id, blocked)
    if customer is None:
        return
    tickets = (await session.execute(
        select(Ticket).where(Ticket.customer_id == customer.id, Ticket.state.in_(lifecycle.ACTIVE))
    )).scalars()
    for ticket in tickets:
        outbox.enqueue(session, "desk_event", outbox.DESK, now, ticket_id=ticket.id,
                       payload={"event": "customer_blocked" if blocked else "customer_back"})
        await lifecycle.refresh_card(session, ticket, now)


class Membership:
    """The use cases of Telegram's word that a customer blocked or unblocked the bot."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock

    async def blocked(self, telegram_id: int) -> None:
        async with self._sessionmaker.begin() as session:
            await set_blocked(session, telegram_id, True, self._clock.now())

    async def unblocked(self, telegram_id: int) -> None:
        async with self._sessionmaker.begin() as session:
            await set_blocked(session, telegram_id, False, self._clock.now())
