"""`/report` in the agent group: the weekly report's album, now, for the seven days up to now.
It goes through the outbox like the scheduled one (paced, retried, never lost)."""

from __future__ import annotations

from datetime import timedelta

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outbox_worker import OutboxWorker
from desk import outbox
from desk.clock import Clock
from desk.desk_chat import DeskChat
from desk.sla import SLA


async def report_command(message: Message, clock: Clock, sla: SLA, sessionmaker: async_sessionmaker[AsyncSession],
                         worker: OutboxWorker) -> None:
    now = clock.now()
    tomorrow = now.astimezone(sla.calendar.tz).date() + timedelta(days=1)  # the last seven days, today included
    async with sessionmaker.begin() as session:
        outbox.enqueue(session, "weekly_report", outbox.DESK, now, payload={"until": tomorrow.isoformat()})
    worker.wake()
    await message.answer(_("📊 The report of the last seven days is on its way."))


def build_router(desk_chat: DeskChat) -> Router:
    """A new router with this module's handlers, for the agent group only."""
    router = Router(name="group_report")
    router.message.filter(F.chat.func(lambda chat: desk_chat.is_desk(chat.id)))
    router.message.register(report_command, Command("report"))
    return router
