"""What agents ask about the desk: the queue, one ticket, a search, statistics."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Integer, case, column, func, or_, select, text, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from desk import tags
from desk.forms import CRITICALITIES
from desk.lifecycle import ACTIVE
from storage import search_index
from storage.models import Ticket, TicketMessage, TicketTag

MAX_LISTED = 30
# `/find` reads this many of the newest tickets before it looks further (see `find`).
RECENT = 2000


def _tagged(tag: str):
    """The condition "the ticket carries this (normalized) tag"."""
    return Ticket.id.in_(select(TicketTag.ticket_id).where(TicketTag.name == tag))


async def queue(session: AsyncSession, tag: str | None = None) -> list[Ticket]:
    """Open tickets (only those tagged `tag`, given), critical first, then by the nearest due time
    (first response, else resolution; none last), at most MAX_LISTED.

    Ordered and cut in SQL: the backlog of a large desk is thousands of tickets, of which 30 are shown."""
    rank = case({name: index for index, name in enumerate(CRITICALITIES)}, value=Ticket.criticality, else_=0)
    due = case((Ticket.first_response_at.is_(None), Ticket.first_response_due), else_=Ticket.resolution_due)
    query = (
        select(Ticket).where(Ticket.state.in_(ACTIVE)).options(selectinload(Ticket.customer))
        .order_by(rank.desc(), Ticket.priority.desc(), case((due.is_(None), 1), else_=0), due, Ticket.id)
        .limit(MAX_LISTED)
    )
    if tag is not None:
        query = query.where(_tagged(tag))
    return list((await session.execute(query)).scalars())


def next_due(ticket: Ticket) -> datetime | None:
    return ticket.first_response_due if ticket.first_response_at is None else ticket.resolution_due


async def find(session: AsyncSession, needle: str) -> list[Ticket]:
    """Tickets whose title, details or discussion contain `needle` (case-insensitive), newest first;
    a needle that is a tag ("#billing") finds the tickets carrying that tag."""
    tag = tags.normalize(needle) if needle.startswith("#") else None
    if tag is not None:
        tagged = select(Ticket).where(_tagged(tag)).order_by(Ticket.id.desc()).limit(MAX_LISTED)
        return list((await session.execute(tagged)).scalars())
    # The newest tickets first, read row by row: a common word fills the list there, and an index
    # lookup of a word most tickets hold costs more than reading the newest few thousand.
    newest = (await session.execute(select(func.max(Ticket.id)))).scalar_one_or_none() or 0
    after = newest - RECENT
    recent = await session.execute(
        select(Ticket).where(Ticket.id > after, _read_through(needle, after))
        .order_by(Ticket.id.desc()).limit(MAX_LISTED))
    found = list(recent.scalars())
    if len(found) == MAX_LISTED or after <= 0:
        return found
    if session.bind.dialect.name == "sqlite" and len(needle) >= search_index.SHORTEST:
        anywhere = _indexed(needle)
    else:
        anywhere = _read_through(needle)
    query = select(Ticket).where(anywhere).order_by(Ticket.id.desc()).limit(MAX_LISTED)
    return list((await session.execute(query)).scalars())


def _indexed(needle: str):
    """The condition "title, details or a message contain `needle`", looked up in SQLite's trigram
    index (storage.search_index; case-insensitive in every alphabet, like lower() below)."""
    def matching(fts: str):
        return (text(f"SELECT rowid FROM {fts} WHERE {fts} MATCH :phrase")
                .bindparams(phrase=search_index.phrase(needle)).columns(column("rowid", Integer)))

    in_messages = select(TicketMessage.ticket_id).where(TicketMessage.id.in_(matching("ticket_messages_fts")))
    return or_(Ticket.id.in_(matching("tickets_fts")), Ticket.id.in_(in_messages))


def _read_through(needle: str, after: int | None = None):
    """The same condition, read row by row (only tickets numbered above `after`, given): for the
    newest tickets, and on SQLite for needles too short for the trigram index. On PostgreSQL the
    planner finds it in the trigram indexes of lower(title), lower(details), lower(text)."""
    # % and _ typed by the agent are text to find, not wildcards.
    literal = needle.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{literal}%"

    def contains(column):
        return func.lower(column).like(pattern, escape="\\")

    # A union of three lookups rather than one OR: each can use its own index.
    arms = [select(Ticket.id).where(contains(Ticket.title)), select(Ticket.id).where(contains(Ticket.details)),
            select(TicketMessage.ticket_id).where(contains(TicketMessage.text))]
    if after is not None:
        arms = [arms[0].where(Ticket.id > after), arms[1].where(Ticket.id > after),
                arms[2].where(TicketMessage.ticket_id > after)]
    return Ticket.id.in_(union(*arms))


@dataclass(frozen=True)
class Stats:
    by_state: dict[str, int]
    median_first_response: timedelta | None
    answered: int
    rated: int
    average_rating: float | None
    # How many tickets carry each tag, most used first.
    by_tag: dict[str, int] = field(default_factory=dict)


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
        by_tag=await tags.counts(session),
    )
