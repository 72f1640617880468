"""One path out: every Bot API call of the bot passes this request middleware, which keeps
Telegram's flood limits and retries what can be retried.

Limits (Telegram's FAQ): about 30 messages a second in all, one a second per private chat,
20 a minute per group. A 429 waits exactly `retry_after` seconds and tries again; a network
error or a 5xx waits with exponential backoff. Other errors go to the caller at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import ClientDecodeError, TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from frontdesk.metrics import Metrics

log = logging.getLogger(__name__)

# Methods that put a message in a chat (and so count against the chat's limit).
SENDING = {
    "SendMessage", "SendPhoto", "SendDocument", "SendVideo", "SendVoice", "SendAudio", "SendAnimation",
    "SendVideoNote", "SendSticker", "SendLocation", "SendContact", "SendMediaGroup", "CopyMessage",
    "CopyMessages", "ForwardMessage", "ForwardMessages",
}


class Rate:
    """`count` messages per `seconds`, with bursts of up to `burst` (a GCRA limiter's parameters)."""

    def __init__(self, count: float, seconds: float, burst: int) -> None:
        self.interval = seconds / count
        self.burst = burst


TELEGRAM_OVERALL = Rate(30, 1, 30)
TELEGRAM_PRIVATE = Rate(1, 1, 3)
TELEGRAM_GROUP = Rate(20, 60, 20)


class Pacer:
    """Spaces sends out so no chat, and not the bot as a whole, goes over its rate.

    Each key keeps a theoretical arrival time (GCRA): a send may go when that time is at most
    `burst - 1` intervals ahead of now; each send pushes it one interval further.
    """

    def __init__(
        self,
        overall: Rate = TELEGRAM_OVERALL,
        private: Rate = TELEGRAM_PRIVATE,
        group: Rate = TELEGRAM_GROUP,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._overall = overall
        self._private = private
        self._group = group
        self._clock = clock
        self._tat: dict[object, float] = defaultdict(float)
        self._lock = asyncio.Lock()

    def rate(self, chat_id: int | str) -> Rate:
        # Groups and channels have negative ids (or an @username).
        return self._group if isinstance(chat_id, str) or chat_id < 0 else self._private

    def _earliest(self, key: object, rate: Rate, now: float) -> float:
        return max(now, self._tat[key] - (rate.burst - 1) * rate.interval)

    async def wait(self, chat_id: int | str | None) -> float:
        """Sleep until a message to `chat_id` may go out, book that moment; returns the delay."""
        async with self._lock:
            now = self._clock()
            keys = [("*", self._overall)]
            if chat_id is not None:
                keys.append((chat_id, self.rate(chat_id)))
            start = max(self._earliest(key, rate, now) for key, rate in keys)
            for key, rate in keys:
                self._tat[key] = max(self._tat[key], start) + rate.interval
        delay = start - now
        if delay > 0:
            await asyncio.sleep(delay)
        return delay

    def hold(self, chat_id: int | str | None, seconds: float) -> None:
        """After a 429 nothing more goes to that chat (or anywhere, without one) for `seconds`."""
        key, rate = ("*", self._overall) if chat_id is None else (chat_id, self.rate(chat_id))
        until = self._clock() + seconds
        # Push the arrival time so that the earliest next send is exactly `until`.
        self._tat[key] = max(self._tat[key], until + (rate.burst - 1) * rate.interval)


class SendingMiddleware(BaseRequestMiddleware):
    """Pacing and retries for every request of one Bot."""

    def __init__(self, pacer: Pacer | None = None, *, network_attempts: int = 4, backoff: float = 0.5,
                 max_backoff: float = 8.0, max_retry_after: float = 300.0, metrics: Metrics | None = None) -> None:
        self.pacer = pacer or Pacer()
        self.metrics = metrics
        self.network_attempts = network_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        # aiogram parses each reply as Response[the method's result type]; pydantic keeps those
        # classes only weakly, so without a reference here each garbage collection makes them
        # be built again (about 2 ms each) on the next request.
        self._response_types: dict[type, object] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if type(method) not in self._response_types:
            self._response_types[type(method)] = Response[method.__returning__]
        name = type(method).__name__
        chat_id = getattr(method, "chat_id", None) if name in SENDING else None
        failures = 0
        while True:
            if name in SENDING:
                await self.pacer.wait(chat_id)
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if error.retry_after > self.max_retry_after:
                    raise
                log.warning("%s to %s: 429, retrying after exactly %s s", name, chat_id, error.retry_after)
                self.pacer.hold(chat_id, error.retry_after)
                if self.metrics is not None:
                    self.metrics.retries.labels("429").inc()
                await asyncio.sleep(error.retry_after)
            # A 5xx from a proxy in front of the Bot API often comes as an HTML page, not JSON.
            except (TelegramNetworkError, TelegramServerError, ClientDecodeError) as error:
                failures += 1
                if failures >= self.network_attempts:
                    raise
                delay = min(self.backoff * 2 ** (failures - 1), self.max_backoff)
                if self.metrics is not None:
                    self.metrics.retries.labels("network").inc()
                log.warning("%s to %s failed (%s); retry %d in %.1f s", name, chat_id, error, failures, delay)
                await asyncio.sleep(delay)
