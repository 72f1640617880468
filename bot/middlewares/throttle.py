"""Flood control: one person sending hundreds of messages a second is slowed down, with one
polite notice, while everybody else is served as usual."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from desk.customers import telegram_language

log = logging.getLogger(__name__)


class ThrottleMiddleware(BaseMiddleware):
    """Drops a user's messages beyond `limit` in `window` seconds; tells them once per flood."""

    def __init__(self, limit: int, window: float, i18n: I18n, default_language: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.i18n = i18n
        self.default_language = default_language
        self.limit = limit
        self.window = window
        self.clock = clock
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or not isinstance(event, Message) or event.chat.type != "private":
            return await handler(event, data)
        now = self.clock()
        seen = self._seen.setdefault(user.id, deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            if self._warned.get(user.id, -1e9) <= now - self.window:
                self._warned[user.id] = now
                log.warning("user %s is flooding (%d messages in %.0f s); slowing them down",
                            user.id, len(seen), self.window)
                # This runs before the language is settled (no database work for a flood): use Telegram's.
                language = telegram_language(user.language_code) or self.default_language
                with self.i18n.context(), self.i18n.use_locale(language):
                    await event.answer(_("You are sending messages too fast. I will read on in a few seconds."))
            return None
        seen.append(now)
        if len(self._seen) > 10_000:
            self._forget(now)
        return await handler(event, data)

    def _forget(self, now: float) -> None:
        for user_id in [u for u, times in self._seen.items() if not times or times[-1] <= now - self.window]:
            self._seen.pop(user_id, None)
            self._warned.pop(user_id, None)
