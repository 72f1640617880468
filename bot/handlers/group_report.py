"""`/report` in the agent group: the weekly report's album, now, for the seven days up to now.
It goes through the outbox like the scheduled one (paced, retried, never lost)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.middlewares.agent_use_cases import AgentUseCasesMiddleware
from desk.agent_actions import AgentDesk
from desk.desk_chat import DeskChat


async def report_command(message: Message, agent_desk: AgentDesk) -> None:
    await agent_desk.order_report()
    await message.answer(_("📊 The report of the last seven days is on its way."))


def build_router(desk_chat: DeskChat) -> Router:
    """A new router with this module's handlers, for the agent group only."""
    router = Router(name="group_report")
    router.message.filter(F.chat.func(lambda chat: desk_chat.is_desk(chat.id)))
    router.message.middleware(AgentUseCasesMiddleware())
    router.message.register(report_command, Command("report"))
    return router
