"""What agents ask about the desk: the queue, one ticket, a search, statistics."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from desk.forms import CRITICALITIES
from desk.lifecycle import ACTIVE
from storage.models import Ticket, TicketMessage

MAX_LISTED = 30


async def queue(session: AsyncSession) -> list[Ticket]:
    """Open tickets, critical first, then by the nearest due time (first response, else resolution)."""
    tickets = list((await session.execute(
        select(Ticket).where(Ticket.state.in_(ACTIVE)).options(selectinload(Ticket.customer))
    )).scalars())

    def due(ticket: Ticket) -> datetime:
        moment = ticket.first_response_due if ticket.first_response_at is None else ticket.resolution_due
        return moment or datetime.max.replace(tzinfo=ticket.created_at.tzinfo)

    tickets.sort(key=lambda t: (-CRITICALITIES.index(t.criticality) if t.criticality in CRITICALITIES else 0,
                                -t.priority, due(t), t.id))
    return tickets[:MAX_LISTED]


def next_due(ticket: Ticket) -> datetime | None:
    return ticket.first_response_due if ticket.first_response_at is None else ticket.resolution_due


async def find(session: AsyncSession, needle: str) -> list[Ticket]:
    """Tickets whose title, details or discussion contain `needle` (case-insensitive), newest first."""
    # % and _ typed by the agent are text to find, not wildcards.
    literal = needle.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{literal}%"

    def contains(column):
        return func.lower(column).like(pattern, escape="\\")

    ids = select(TicketMessage.ticket_id).where(contains(TicketMessage.text))
    query = (
        select(Ticket)
        .where(or_(contains(Ticket.title), contains(Ticket.details), Ticket.id.in_(ids)))
        .order_by(Ticket.id.desc()).limit(MAX_LISTED)
    )
    return list((await session.execute(query)).scalars())


@dataclass(frozen=True)
class Stats:
    by_state: dict[str, int]
    median_first_response: timedelta | None
    answered: int
    rated: int
    average_rating: float | None


async def stats(session: AsyncSession) -> Stats:
    rows = (await session.execute(select(Ticket.state, func.count()).group_by(Ticket.state))).all()
    answered = (await session.execute(
        select(Ticket.created_at, Ticket.first_response_at).where(Ticket.first_response_at.is_not(None))
    )).all()
    waits = [first - created for created, first in answered]
    ratings = list((await session.execute(select(Ticket.rating).where(Ticket.rating.is_not(None)))).scalars())
    return Stats(
        by_state={state: count for state, count in rows},
        median_first_response=statistics.median(waits) if waits else None,
        answered=len(waits),
        rated=len(ratings),
        average_rating=sum(ratings) / len(ratings) if ratings else None,
    )
