"""A customer blocks or unblocks the bot (my_chat_member updates of the private chat)."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outbox_worker import OutboxWorker
from desk.clock import Clock
from desk.customers import set_blocked

log = logging.getLogger(__name__)


async def blocked(event: ChatMemberUpdated, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock,
                  worker: OutboxWorker) -> None:
    async with sessionmaker.begin() as session:
        await set_blocked(session, event.from_user.id, True, clock.now())
    log.info("customer %s blocked the bot", event.from_user.id)
    worker.wake()


async def unblocked(event: ChatMemberUpdated, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock,
                    worker: OutboxWorker) -> None:
    async with sessionmaker.begin() as session:
        await set_blocked(session, event.from_user.id, False, clock.now())
    log.info("customer %s unblocked the bot", event.from_user.id)
    worker.wake()


def build_router() -> Router:
    """A new router with this module's handlers (each dispatcher gets its own)."""
    router = Router(name="pm_members")
    # Only the private chat: the bot being removed from some group is not the customer blocking it.
    router.my_chat_member.filter(F.chat.type == ChatType.PRIVATE)
    router.my_chat_member.register(blocked, ChatMemberUpdatedFilter(member_status_changed=KICKED))
    router.my_chat_member.register(unblocked, ChatMemberUpdatedFilter(member_status_changed=MEMBER))
    return router
