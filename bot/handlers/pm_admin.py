"""Admin commands in a private chat with the bot (only for `desk.admin_ids`)."""

from __future__ import annotations

import asyncio
from html import escape

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.filters import IsAdmin
from kb.base import KnowledgeBase

MAX_LISTED_ERRORS = 20


async def reload_kb(message: Message, kb: KnowledgeBase) -> None:
    """Re-read the FAQ folder now and report the entry count and every error."""
    errors = await asyncio.to_thread(kb.reload)
    lines = [_("Knowledge base reloaded: {count} entries in service.").format(count=len(kb))]
    if errors:
        lines.append(_("Errors ({count}); broken files keep their last good version:").format(count=len(errors)))
        lines += [f"• <code>{escape(str(error))}</code>" for error in errors[:MAX_LISTED_ERRORS]]
        if len(errors) > MAX_LISTED_ERRORS:
            lines.append(_("…and {count} more (see `frontdesk kb check`).").format(count=len(errors) - MAX_LISTED_ERRORS))
    await message.answer("\n".join(lines))


def build_router() -> Router:
    """A new router with this module's handlers (each dispatcher gets its own)."""
    router = Router(name="pm_admin")
    router.message.filter(IsAdmin())
    router.message.register(reload_kb, Command("reload_kb"))
    return router
