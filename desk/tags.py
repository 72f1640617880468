"""Tags agents put on tickets (`/tag billing urgent`, `/untag billing`): read as lowercase words
without the "#", kept in `ticket_tags`, counted for `/stats`."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.lifecycle import refresh_card
from storage.models import Ticket, TicketTag

#: A tag: letters (any script), digits, "_" and "-", at most 32 characters.
TAG = re.compile(r"[\w-]{1,32}")


def normalize(written: str) -> str | None:
    """The tag a person wrote ("#Billing" → "billing"); None when it is not a valid tag."""
    name = written.strip().removeprefix("#").lower()
    return name if TAG.fullmatch(name) else None


async def tag(session: AsyncSession, ticket: Ticket, names: list[str], now: datetime) -> list[str]:
    """Put the (normalized) tags on the ticket; returns all its tags, sorted. Its card is redrawn."""
    have = set((await session.execute(select(TicketTag.name).where(TicketTag.ticket_id == ticket.id))).scalars())
    for name in sorted(set(names) - have):
        session.add(TicketTag(ticket_id=ticket.id, name=name))
    await refresh_card(session, ticket, now)
    return sorted(have | set(names))


async def untag(session: AsyncSession, ticket: Ticket, name: str, now: datetime) -> bool:
    """Take the tag off the ticket; False when it did not have it. Its card is redrawn."""
    removed = await session.execute(delete(TicketTag).where(TicketTag.ticket_id == ticket.id, TicketTag.name == name))
    if removed.rowcount:
        await refresh_card(session, ticket, now)
    return bool(removed.rowcount)


async def counts(session: AsyncSession) -> dict[str, int]:
    """How many tickets carry each tag, most used first."""
    rows = (await session.execute(
        select(TicketTag.name, func.count()).group_by(TicketTag.name).order_by(func.count().desc(), TicketTag.name)
    )).all()
    return {name: count for name, count in rows}
