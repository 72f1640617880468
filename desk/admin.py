"""What the bot's admins do from a private chat (put a customer on a plan, reload the FAQ), and
what the bot remembers of the groups it is added to, for the admin who sets the desk up.

Refusal reasons: "unknown_plan" (details: plan), "no_customer" (nobody with that id has written
to the bot).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from desk import groups
from desk.customers import set_customer_plan
from desk.lifecycle import Refused
from desk.sla import SLA
from kb.base import KnowledgeBase
from kb.entries import KBError


@dataclass(frozen=True)
class PlanSet:
    telegram_id: int
    plan: str


@dataclass(frozen=True)
class Reloaded:
    entries: int
    errors: tuple[KBError, ...]


class Administration:
    """The admins' use cases, bound to the database, the SLA plans and the FAQ."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], sla: SLA, kb: KnowledgeBase) -> None:
        self.sessionmaker = sessionmaker
        self.sla = sla
        self.kb = kb

    def plans(self) -> list[str]:
        """The SLA plans a customer can be put on, sorted."""
        return sorted(self.sla.config.plans)

    async def set_plan(self, telegram_id: int | None, plan: str) -> PlanSet:
        """Put the customer on `plan` for the tickets they open from now on. `telegram_id` None: a
        well-formed number no customer can have. Refused: "unknown_plan", "no_customer"."""
        if plan not in self.sla.config.plans:
            raise Refused("unknown_plan", plan=plan)
        found = False
        if telegram_id is not None:
            async with self.sessionmaker.begin() as session:
                found = await set_customer_plan(session, telegram_id, plan)
        if not found:
            raise Refused("no_customer")
        return PlanSet(telegram_id, plan)

    async def reload_kb(self) -> Reloaded:
        """Re-read the FAQ folder now (off the event loop); broken files keep their last good version."""
        errors = await asyncio.to_thread(self.kb.reload)
        return Reloaded(len(self.kb), tuple(errors))

    async def group_seen(self, group: groups.SeenGroup) -> None:
        """The bot was added to a group or left it: remember what it now is there, for `frontdesk
        doctor`'s list of groups."""
        async with self.sessionmaker.begin() as session:
            await groups.remember(session, group)
