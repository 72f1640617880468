"""A customer blocks or unblocks the bot (my_chat_member updates of the private chat)."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated

from desk.membership import Membership

log = logging.getLogger(__name__)


async def blocked(event: ChatMemberUpdated, membership: Membership) -> None:
    await membership.blocked(event.from_user.id)
    log.info("customer %s blocked the bot", event.from_user.id)


async def unblocked(event: ChatMemberUpdated, membership: Membership) -> None:
    await membership.unblocked(event.from_user.id)
    log.info("customer %s unblocked the bot", event.from_user.id)


def build_router() -> Router:
    """A new router with this module's handlers (each dispatcher gets its own)."""
    router = Router(name="pm_members")
    # Only the private chat: the bot being removed from some group is not the customer blocking it.
    router.my_chat_member.filter(F.chat.type == ChatType.PRIVATE)
    router.my_chat_member.register(blocked, ChatMemberUpdatedFilter(member_status_changed=KICKED))
    router.my_chat_member.register(unblocked, ChatMemberUpdatedFilter(member_status_changed=MEMBER))
    return router
