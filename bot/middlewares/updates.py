"""Skip updates that were already handled (Telegram redelivers after a restart or a lost offset)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.metrics import Metrics
from desk.clock import Clock
from storage.updates import HandledUpdates

log = logging.getLogger(__name__)


class ProcessedUpdatesMiddleware(BaseMiddleware):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, metrics: Metrics, *,
                 only_process: bool = False) -> None:
        self._metrics = metrics
        self._handled = HandledUpdates(sessionmaker, clock.now, only_process=only_process)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        try:
            kind = event.event_type
        except UpdateTypeLookupError:
            # An update of no kind this bot knows (or one reduced to its id because it could not be
            # parsed, see bot/update_intake.py): nothing to handle, and no warning from aiogram.
            log.info("update %s carries no kind of event this bot handles; skipped", event.update_id)
            return None
        if await self._handled.seen(event.update_id):
            log.info("update %s was already handled; skipping the redelivery", event.update_id)
            self._metrics.redeliveries.inc()
            return None
        self._metrics.updates.labels(kind).inc()
        result = await handler(event, data)
        # Marked after handling: a crash in between redelivers it (at least once); the handlers
        # that create things make that safe with their own keys. Marks of updates handled at the
        # same time share one transaction.
        await self._handled.mark(event.update_id)
        return result
