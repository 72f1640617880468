"""The assignment use cases of the agent group: `/duty on|off [LEVEL]`, `/assign [@username]`,
`/unassign`, `/mine`. The rules are `desk.assignment`'s; each use case owns its transaction and
raises `lifecycle.Refused`: "no_ticket" (the message is about no ticket of this group), "closed",
"unknown_agent" (nobody with that username used `/duty`; details: username), "bad_level" (details:
level), "not_taken" (`/unassign` of a ticket that is nobody's)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from desk import assignment
from desk.agent_actions import Place, ticket_at
from desk.clock import Clock
from desk.lifecycle import MAX_LEVEL, Actor, Refused, State
from storage.models import Ticket


@dataclass(frozen=True)
class OnDuty:
    """An agent's duty after `/duty`: on or off, at which level, with how many open tickets."""

    on: bool
    level: int
    open_tickets: int
    cap: int


@dataclass(frozen=True)
class Assigned:
    """Whose the ticket is now (None: nobody's)."""

    ticket_id: int
    name: str | None


class Assignments:
    """Duty and assignment, bound to the database, the clock and the cap (`desk.assign_cap`)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, cap: int) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.cap = cap

    async def duty(self, agent: Actor, username: str | None, on: bool, level: int = 1) -> OnDuty:
        """`/duty on [LEVEL]` or `/duty off`. Refused("bad_level") for a level outside 1…MAX_LEVEL."""
        if not 1 <= level <= MAX_LEVEL:
            raise Refused("bad_level", level=level)
        async with self.sessionmaker.begin() as session:
            duty = await assignment.set_duty(session, agent.telegram_id, agent.name, username, on, level,
                                             self.clock.now())
            counts = await assignment.open_counts(session)
            return OnDuty(duty.on_duty, duty.level, counts.get(agent.telegram_id, 0), self.cap)

    async def _ticket(self, session: AsyncSession, place: Place) -> Ticket:
        ticket = await ticket_at(session, place)
        if ticket is None:
            raise Refused("no_ticket")
        if ticket.state == State.CLOSED:
            raise Refused("closed")
        return ticket

    async def assign(self, place: Place, agent: Actor, agent_username: str | None,
                     username: str | None = None) -> Assigned:
        """`/assign` about a ticket: it becomes the writer's, or (`username` given) that agent's, who
        must have used `/duty`. By hand, the cap does not apply."""
        async with self.sessionmaker.begin() as session:
            if username:
                known = await assignment.by_username(session, username)
                if known is None:
                    raise Refused("unknown_agent", username=username.removeprefix("@"))
                who = (known.telegram_id, known.name, known.username)
            else:
                who = (agent.telegram_id, agent.name, agent_username)
            ticket = await self._ticket(session, place)
            await assignment.assign(session, ticket, *who, self.clock.now())
            return Assigned(ticket.id, who[1])

    async def unassign(self, place: Place) -> Assigned:
        """`/unassign` about a ticket: it is nobody's. Refused("not_taken") when it was already."""
        async with self.sessionmaker.begin() as session:
            ticket = await self._ticket(session, place)
            if not await assignment.unassign(session, ticket, self.clock.now()):
                raise Refused("not_taken")
            return Assigned(ticket.id, None)

    async def mine(self, agent: Actor) -> list[Ticket]:
        """`/mine`: the agent's open tickets, the nearest due time first."""
        async with self.sessionmaker() as session:
            return await assignment.mine(session, agent.telegram_id)
