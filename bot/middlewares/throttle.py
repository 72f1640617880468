"""Flood control: one person sending hundreds of messages a second is slowed down, with one
polite notice, while everybody else is served as usual.

Messages are counted on arrival, before the per-chat queue (events isolation): counted at
handling time, a burst is seen one message at a time, as slowly as the answers go out, and
the limit is never reached (issue #17).

With Redis (several processes), arrivals are counted there, so a person flooding through three
processes is counted once (bot/shared_limits.py); while Redis is away each process counts alone
with 1/N of the limit.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.enums import ChatType
from aiogram.types import TelegramObject, Update, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.metrics import Metrics
from desk.customers import telegram_language

if TYPE_CHECKING:
    from bot.shared_limits import SharedLimits  # its module imports redis-py: only with Redis

log = logging.getLogger(__name__)


class ThrottleMiddleware(BaseMiddleware):
    """Drops a user's private messages beyond `limit` in `window` seconds; tells them once per flood.

    An outer middleware of updates that must run before the FSM's per-chat lock: see `install`.
    """

    def __init__(self, limit: int, window: float, i18n: I18n, default_language: str,
                 metrics: Metrics | None = None, clock: Callable[[], float] = time.monotonic,
                 shared: SharedLimits | None = None) -> None:
        self.i18n = i18n
        self.default_language = default_language
        self.limit = limit
        self.window = window
        self.metrics = metrics
        self.clock = clock
        self.shared = shared
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    def install(self, dispatcher: Dispatcher) -> None:
        """Register on `dispatcher` after its user context and before its FSM middleware (which
        holds the per-chat lock), so every message is counted the moment it arrives."""
        managers = dispatcher.update.outer_middleware
        managers.unregister(dispatcher.fsm)
        managers.register(self)
        managers.register(dispatcher.fsm)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        message = event.message if isinstance(event, Update) else None
        user: User | None = data.get("event_from_user")
        if message is None or user is None or message.chat.type != ChatType.PRIVATE:
            return await handler(event, data)
        admitted, tell, seen = await self._count(user.id, event.update_id)
        if not admitted:
            if self.metrics is not None:
                self.metrics.throttled.inc()
            if tell:
                log.warning("user %s is flooding (%d messages in %.0f s); dropping the rest of the burst",
                            user.id, seen, self.window)
                # This runs before the language is settled (no database work for a flood): use Telegram's.
                language = telegram_language(user.language_code) or self.default_language
                with self.i18n.context(), self.i18n.use_locale(language):
                    await message.answer(_("You are sending messages too fast. I will read on in a few seconds."))
            else:
                log.debug("update %s of flooding user %s dropped", event.update_id, user.id)
            return None
        return await handler(event, data)

    async def _count(self, user_id: int, update_id: int) -> tuple[bool, bool, int]:
        """Count one message of `user_id`: (admitted, the first one dropped in this window, messages
        counted in the window). In Redis when there is one, else here."""
        if self.shared is not None:
            counted = await self.shared.arrive(f"flood:{user_id}", str(update_id), self.limit, self.window)
            if counted is not None:
                return counted.admitted, counted.tell, counted.seen
            limit = math.ceil(self.limit / self.shared.peers)  # Redis is away: this process's share
        else:
            limit = self.limit
        now = self.clock()
        seen = self._seen.setdefault(user_id, deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) >= limit:
            tell = self._warned.get(user_id, -1e9) <= now - self.window
            if tell:
                self._warned[user_id] = now
            return False, tell, len(seen)
        seen.append(now)
        if len(self._seen) > 10_000:
            self._forget(now)
        return True, False, len(seen)

    def _forget(self, now: float) -> None:
        for user_id in [u for u, times in self._seen.items() if not times or times[-1] <= now - self.window]:
            self._seen.pop(user_id, None)
            self._warned.pop(user_id, None)
