"""Bans: a person the desk no longer serves. Their messages and button presses create nothing and
reach nobody; they are told so politely, once a day at most.

Who may ban: the admins (`desk.admin_ids`), and every agent in the group when
`desk.agents_may_ban` is on. Every ban is kept with who gave it, why, when, on which ticket, and
who lifted it when. A ban closes the person's open tickets quietly (no notice to them; the cards
are redrawn closed), so nothing of theirs waits in the queue or fires SLA reminders; lifting the
ban reopens nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from desk.agent_actions import Place, ticket_at
from desk.clock import Clock
from desk.lifecycle import ACTIVE, Actor, Refused, close_quietly
from desk.settings import DeskConfig
from storage.models import Ban, Customer, Ticket

#: A banned person is told at most once in this time, however much they write.
NOTICE_EVERY = timedelta(days=1)


@dataclass(frozen=True)
class Gate:
    """What to do with an update from a person: drop it if `banned`; tell them so if `tell`."""

    banned: bool
    tell: bool = False


@dataclass(frozen=True)
class Banned:
    """A ban just given: the person, their name if the bot knows them, and the tickets it closed."""

    telegram_id: int
    name: str | None
    closed: list[int]


async def active_ban(session: AsyncSession, telegram_id: int) -> Ban | None:
    """The ban in force for `telegram_id`, or None."""
    return (await session.execute(
        select(Ban).where(Ban.telegram_id == telegram_id, Ban.lifted_at.is_(None)).order_by(Ban.id.desc()).limit(1)
    )).scalar_one_or_none()


class Bans:
    """The ban use cases: the database, the clock and the desk's settings, given once."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, desk: DeskConfig, *,
                 only_process: bool = False) -> None:
        """`only_process`: no other process bans or lifts bans in this database (the embedded
        default), so who is banned is read once and then kept in memory: the gate asks the
        database only about people who are banned."""
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.desk = desk
        self._only_process = only_process
        self._banned: set[int] | None = None  # read when first needed
        self._changes = 0  # bans given or lifted by this process, so a read overtaken by one is redone

    def may_ban(self, agent_id: int) -> bool:
        """Whether this agent may ban and lift bans."""
        return agent_id in self.desk.admin_ids or self.desk.agents_may_ban

    async def gate(self, telegram_id: int) -> Gate:
        """Whether an update from `telegram_id` in a private chat is dropped, and whether this is
        the one update of the day that gets the polite notice (claimed in the database, so several
        processes tell the person once between them)."""
        if self._only_process and telegram_id not in await self._banned_ids():
            return Gate(banned=False)
        now = self.clock.now()
        async with self.sessionmaker() as session:
            ban = await active_ban(session, telegram_id)
        if ban is None:
            return Gate(banned=False)
        if ban.noticed_at is not None and ban.noticed_at > now - NOTICE_EVERY:
            return Gate(banned=True)
        async with self.sessionmaker.begin() as session:
            claimed = await session.execute(
                update(Ban).where(Ban.id == ban.id, or_(Ban.noticed_at.is_(None), Ban.noticed_at <= now - NOTICE_EVERY))
                .values(noticed_at=now)
            )
        return Gate(banned=True, tell=claimed.rowcount == 1)

    async def _banned_ids(self) -> set[int]:
        while self._banned is None:
            changes = self._changes
            async with self.sessionmaker() as session:
                banned = set((await session.execute(select(Ban.telegram_id).where(Ban.lifted_at.is_(None)))).scalars())
            if changes == self._changes:
                self._banned = banned
        return self._banned

    def _changed(self, telegram_id: int, *, banned: bool) -> None:
        self._changes += 1
        if self._banned is not None:
            (self._banned.add if banned else self._banned.discard)(telegram_id)

    async def ban(self, agent: Actor, *, telegram_id: int | None = None, place: Place | None = None,
                  reason: str = "") -> Banned:
        """Ban a person: by Telegram id, or the customer of the ticket at `place` (its topic, or a
        reply to its card). Their open tickets are closed quietly. Refused: "not_allowed" (the agent
        may not ban), "no_ticket" (no id and no ticket at `place`), "admin" (an admin cannot be
        banned), "already" (details: by, since, why)."""
        if not self.may_ban(agent.telegram_id):
            raise Refused("not_allowed")
        now = self.clock.now()
        async with self.sessionmaker.begin() as session:
            ticket = await ticket_at(session, place) if telegram_id is None and place is not None else None
            if telegram_id is None:
                if ticket is None:
                    raise Refused("no_ticket")
                telegram_id = ticket.customer.telegram_id
            if telegram_id in self.desk.admin_ids:
                raise Refused("admin")
            existing = await active_ban(session, telegram_id)
            if existing is not None:
                raise Refused("already", by=existing.banned_by_name, since=existing.banned_at,
                              why=existing.reason)
            session.add(Ban(telegram_id=telegram_id, reason=reason.strip(), banned_by=agent.telegram_id,
                            banned_by_name=agent.name, banned_at=now, ticket_id=ticket.id if ticket else None))
            customer = (await session.execute(
                select(Customer).where(Customer.telegram_id == telegram_id)
            )).scalar_one_or_none()
            closed: list[int] = []
            if customer is not None:
                open_tickets = (await session.execute(
                    select(Ticket).where(Ticket.customer_id == customer.id, Ticket.state.in_(ACTIVE))
                    .options(selectinload(Ticket.customer)).order_by(Ticket.id)
                )).scalars().all()
                for open_ticket in open_tickets:
                    await close_quietly(session, open_ticket, now)
                    closed.append(open_ticket.id)
            banned = Banned(telegram_id, customer.first_name if customer else None, closed)
        self._changed(telegram_id, banned=True)
        return banned

    async def unban(self, agent: Actor, telegram_id: int) -> Ban:
        """Lift the ban of `telegram_id`; returns it. Refused: "not_allowed", "not_banned"."""
        if not self.may_ban(agent.telegram_id):
            raise Refused("not_allowed")
        async with self.sessionmaker.begin() as session:
            ban = await active_ban(session, telegram_id)
            if ban is None:
                raise Refused("not_banned")
            ban.lifted_at = self.clock.now()
            ban.lifted_by = agent.telegram_id
        self._changed(telegram_id, banned=False)
        return ban

    async def in_force(self) -> list[Ban]:
        """`/banned`: the bans in force, the newest first."""
        async with self.sessionmaker() as session:
            return list((await session.execute(
                select(Ban).where(Ban.lifted_at.is_(None)).order_by(Ban.banned_at.desc(), Ban.id.desc())
            )).scalars())
