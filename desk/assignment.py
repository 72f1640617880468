"""Who works on which ticket: agents on duty (`/duty on 2`), the round-robin that gives each new
ticket to the agent on duty at its support level who waited longest for one, never above the cap of
open tickets (`desk.assign_cap`), and assigning by hand (`/assign`, `/unassign`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.lifecycle import State, refresh_card
from storage.models import AgentDuty, Ticket

#: The states in which a ticket counts against its assignee's cap (resolved ones wait only to close).
OPEN = (State.NEW, State.OPEN, State.WAITING)
NOBODY_ON_DUTY, ALL_FULL = "nobody_on_duty", "all_full"


async def set_duty(session: AsyncSession, telegram_id: int, name: str, username: str | None, on: bool,
                   level: int, now: datetime) -> AgentDuty:
    """The agent goes on duty at `level` (or off duty); remembered with their name and username."""
    duty = await session.get(AgentDuty, telegram_id)
    if duty is None:
        duty = AgentDuty(telegram_id=telegram_id, name=name, level=level, on_duty=on, updated_at=now)
        session.add(duty)
    duty.name, duty.username, duty.on_duty, duty.updated_at = name, username, on, now
    if on:
        duty.level = level
    return duty


async def open_counts(session: AsyncSession) -> dict[int, int]:
    """How many open tickets each assignee has, by Telegram id."""
    rows = (await session.execute(
        select(Ticket.assignee_id, func.count()).where(Ticket.state.in_(OPEN), Ticket.assignee_id.is_not(None))
        .group_by(Ticket.assignee_id)
    )).all()
    return {agent: count for agent, count in rows}


async def auto_assign(session: AsyncSession, ticket: Ticket, cap: int, now: datetime) -> AgentDuty | None:
    """A new ticket goes to the agent on duty at its support level who has had no ticket the longest,
    among those below `cap` open tickets; None when nobody can take it (the reason is kept on the
    ticket for its card). A cap of 0 assigns nothing and says nothing."""
    if cap <= 0:
        return None
    on_duty = list((await session.execute(
        select(AgentDuty).where(AgentDuty.on_duty.is_(True), AgentDuty.level == ticket.support_level)
    )).scalars())
    if not on_duty:
        ticket.unassigned_reason = NOBODY_ON_DUTY
        return None
    counts = await open_counts(session)
    free = [duty for duty in on_duty if counts.get(duty.telegram_id, 0) < cap]
    if not free:
        ticket.unassigned_reason = ALL_FULL
        return None
    # Round-robin: who waited longest for a ticket (never given one: first), then the lowest id.
    chosen = min(free, key=lambda duty: (duty.last_assigned_at is not None, duty.last_assigned_at or now,
                                         duty.telegram_id))
    chosen.last_assigned_at = now
    _give(ticket, chosen.telegram_id, chosen.name, chosen.username)
    return chosen


def _give(ticket: Ticket, telegram_id: int | None, name: str | None, username: str | None) -> None:
    ticket.assignee_id, ticket.assignee_name, ticket.assignee_username = telegram_id, name, username
    ticket.unassigned_reason = None


async def assign(session: AsyncSession, ticket: Ticket, telegram_id: int, name: str, username: str | None,
                 now: datetime) -> None:
    """By hand: the ticket is this agent's (whoever had it before); its card is redrawn."""
    _give(ticket, telegram_id, name, username)
    ticket.updated_at = now
    await refresh_card(session, ticket, now)


async def unassign(session: AsyncSession, ticket: Ticket, now: datetime) -> bool:
    """The ticket is nobody's; False when it was nobody's already. Its card is redrawn."""
    if ticket.assignee_id is None:
        return False
    _give(ticket, None, None, None)
    ticket.updated_at = now
    await refresh_card(session, ticket, now)
    return True


async def by_username(session: AsyncSession, username: str) -> AgentDuty | None:
    """An agent the desk knows (they used `/duty`) by their username, without "@", any case."""
    return (await session.execute(
        select(AgentDuty).where(func.lower(AgentDuty.username) == username.lower().removeprefix("@"))
    )).scalars().first()


async def mine(session: AsyncSession, telegram_id: int) -> list[Ticket]:
    """The agent's open tickets, the nearest due time first."""
    tickets = list((await session.execute(
        select(Ticket).where(Ticket.assignee_id == telegram_id, Ticket.state.in_(OPEN))
    )).scalars())

    def due(ticket: Ticket) -> datetime:
        moment = ticket.first_response_due if ticket.first_response_at is None else ticket.resolution_due
        return moment or datetime.max.replace(tzinfo=ticket.created_at.tzinfo)

    return sorted(tickets, key=lambda ticket: (due(ticket), ticket.id))
