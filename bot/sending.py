"""One path out: every Bot API call of the bot passes this request middleware, which keeps
Telegram's flood limits and retries what can be retried.

Limits (Telegram's FAQ): about 30 messages a second in all, one a second per private chat,
20 a minute per group; kept 3 % under, with no burst for the bot as a whole. Replies to people
who are waiting go before bulk work (`bulk()`). A 429 waits exactly `retry_after` seconds and tries again; a network
error or a 5xx waits with exponential backoff. Other errors go to the caller at once.

Several processes of one bot share one pacer through Redis (`SharedPacer`, bot/shared_limits.py).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import ClientDecodeError, TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from bot.metrics import Metrics
from bot.middlewares import admission

if TYPE_CHECKING:
    from bot.shared_limits import SharedLimits  # its module imports redis-py: only with Redis

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
        self.count = count
        self.interval = seconds / count
        self.burst = burst

    def shared_by(self, processes: int) -> Rate:
        """This process's share when `processes` keep this rate between them without Redis."""
        if processes <= 1:
            return self
        return Rate(1, self.interval * processes, max(1, self.burst // processes))


# Telegram counts sends when they arrive, so the bot as a whole keeps 3 % under 30 a second: two
# requests that leave an interval apart may arrive a little closer.
HEADROOM = 0.97
# Several processes keep 20 % under: a send booked in Redis leaves when its own process's event loop
# gets to it, and with three busy processes on two cores those moments drift by 0.1 s and more (at
# 0.97 the strict emulator saw 31 arrivals inside one second now and then, and a fourth message to a
# chat less than a second after a burst of three; at 0.90 and 0.85, still, on a machine loaded
# several times over).
SHARED_HEADROOM = 0.80
TELEGRAM_OVERALL = Rate(30 * HEADROOM, 1, 1)
TELEGRAM_PRIVATE = Rate(1 * HEADROOM, 1, 3)
TELEGRAM_GROUP = Rate(20 * HEADROOM, 60, 1)

# Seconds a bot-wide slot may be granted late and still keep the slots after it on their grid, so
# any 31 sends granted in a row span at least 30 intervals less this (1.021 s at 30 × 0.97 a second).
LATE_SLOT = 0.010

# Above this many sends a second the bot-wide limit is no Telegram limit (lifted, for a local Bot API
# server), and the moments sends leave are not kept.
MOST_COUNTED = 1000

# Seconds between two sweeps of the pacer's table of chats (each sweep walks the whole table).
PRUNE_EVERY = 60.0

_bulk: ContextVar[bool] = ContextVar("frontdesk_bulk_send", default=False)


@contextmanager
def bulk() -> Iterator[None]:
    """Sends made inside are bulk work (reminders, digests, notices): whenever a reply to a person
    who is waiting is queued for the bot-wide limit too, that reply goes first."""
    token = _bulk.set(True)
    try:
        yield
    finally:
        _bulk.reset(token)


class Pacer:
    """Spaces sends out so no chat, and not the bot as a whole, goes over its rate.

    A send first waits for its chat's own slot (GCRA: each chat keeps a theoretical arrival time;
    a send may go when that time is at most `burst - 1` intervals ahead of now), so a busy chat
    waits alone and never holds a bot-wide slot it cannot use. Then it queues for the bot-wide
    slot: one every interval, no burst, replies to waiting people before bulk work. Last, it
    leaves when no more than the limit's count of sends (30) have left in that many intervals.
    """

    def __init__(
        self,
        overall: Rate = TELEGRAM_OVERALL,
        private: Rate = TELEGRAM_PRIVATE,
        group: Rate = TELEGRAM_GROUP,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._overall = overall
        self._private = private
        self._group = group
        self._clock = clock
        self._sleep = sleep
        self._tat: dict[object, float] = defaultdict(float)
        self._prune_at = float("-inf")  # when the table of chats is next swept of idle ones
        self._next_free = float("-inf")  # when the next bot-wide slot opens
        self._queue: list[tuple[int, int, asyncio.Future[None]]] = []  # (bulk?, arrival, waiter)
        self._arrivals = itertools.count()
        self._granting: asyncio.Task | None = None
        # When the bot's last sends left, as many as its limit lets leave in a window (30).
        self._left: deque[float] = deque(maxlen=math.ceil(overall.count) if overall.count <= MOST_COUNTED else 0)

    def rate(self, chat_id: int | str) -> Rate:
        # Groups and channels have negative ids (or an @username).
        return self._group if isinstance(chat_id, str) or chat_id < 0 else self._private

    async def wait(self, chat_id: int | str | None, *, is_bulk: bool | None = None) -> float:
        """Sleep until a message to `chat_id` may go out and book that moment; returns the delay.

        `is_bulk` defaults to whether the caller is inside `bulk()`."""
        started = self._clock()
        if chat_id is not None:
            await self._pause(await self._chat_slot(chat_id))
        await self._overall_slot(_bulk.get() if is_bulk is None else is_bulk)
        if chat_id is not None:
            # Telegram counts a chat's messages as they arrive, and the bot-wide slot comes later
            # for some sends than for others: a chat's sends are spaced again as they leave (a
            # wait here is a few milliseconds, when an earlier send to the chat left late).
            await self._pause(await self._chat_leaves(chat_id))
        await self._leave()
        return self._clock() - started

    async def _pause(self, seconds: float) -> None:
        if seconds > 0:
            await self._sleep(seconds)

    async def _chat_slot(self, chat_id: int | str) -> float:
        """Book the chat's next slot; seconds until it opens."""
        return self._book_here(chat_id, self.rate(chat_id))

    async def _chat_leaves(self, chat_id: int | str) -> float:
        """Book the moment a message to the chat leaves; seconds until then."""
        return self._book_here(("leaves", chat_id), self.rate(chat_id))

    def _book_here(self, key: object, rate: Rate, not_before: float = float("-inf")) -> float:
        """GCRA in this process: book `key`'s earliest slot (not before `not_before`) at most
        `burst - 1` intervals before its theoretical arrival time; seconds until it opens."""
        now = self._clock()
        self._prune(now)
        at = max(now, not_before, self._tat[key] - (rate.burst - 1) * rate.interval)
        self._tat[key] = max(self._tat[key], at) + rate.interval
        return at - now

    async def _leave(self) -> None:
        """Wait, if need be, so that the send leaving now is at most the 30th in any 30 bot-wide
        intervals (1.03 s), by the moments sends really left: a slot kept on its grid although it
        opened late (`LATE_SLOT`), or a sender that got to its send late, never puts 31 sends
        into one of Telegram's seconds."""
        left = self._left
        if not left.maxlen:
            return
        while True:
            now = self._clock()
            opens = left[0] + left.maxlen * self._overall.interval if len(left) == left.maxlen else now
            if opens <= now + 1e-6:  # a microsecond's rounding is no reason to sleep
                left.append(now)
                return
            await self._sleep(opens - now)

    def _prune(self, now: float) -> None:
        """Every `PRUNE_EVERY` seconds, forget the chats whose theoretical arrival time has passed:
        idle longer than their window, they would get their whole burst anyway, as a chat never
        seen does. So the table holds the chats of the last minute, not every chat ever sent to."""
        if now < self._prune_at:
            return
        self._prune_at = now + PRUNE_EVERY
        idle = [key for key, tat in self._tat.items() if tat <= now]
        for key in idle:
            del self._tat[key]

    def tracked(self) -> int:
        """How many limits (chats, and their leaving times) this pacer keeps in memory."""
        return len(self._tat)

    async def _overall_slot(self, is_bulk: bool) -> None:
        waiter = asyncio.get_running_loop().create_future()
        heapq.heappush(self._queue, (int(is_bulk), next(self._arrivals), waiter))
        if self._granting is None or self._granting.done():
            self._granting = asyncio.create_task(self._grant(), name="pacer")
        await waiter

    async def _grant(self) -> None:
        """Open the bot-wide slots one interval apart, each to the first in line."""
        while self._queue:
            now = self._clock()
            if self._next_free > now:
                await self._sleep(self._next_free - now)
                continue
            waiter = heapq.heappop(self._queue)[2]
            if waiter.done():  # its sender was cancelled
                continue
            self._next_free = self._slot_taken(now) + self._overall.interval
            waiter.set_result(None)

    def _slot_taken(self, now: float) -> float:
        """The moment the bot-wide slot granted `now` counts as taken. While sends queue, slots
        keep to their grid: a loop that wakes a little late for each slot (about 1 ms) must not
        push every later slot back by as much, which lost 3 % of the rate. A slot missed by more
        than `LATE_SLOT` (the bot was idle, or its loop stalled) is not made up: no burst."""
        return self._next_free if now - self._next_free <= LATE_SLOT else now

    async def hold(self, chat_id: int | str | None, seconds: float) -> None:
        """After a 429 nothing more goes to that chat (or anywhere, without one) for `seconds`."""
        until = self._clock() + seconds
        if chat_id is None:
            self._next_free = max(self._next_free, until)
            return
        rate = self.rate(chat_id)
        # Push the arrival times so that the earliest next send is exactly `until`.
        for key in (chat_id, ("leaves", chat_id)):
            self._tat[key] = max(self._tat[key], until + (rate.burst - 1) * rate.interval)


# Seconds a process waits, when Redis goes away, before it sends on counting alone.
SWITCH_PAUSE = 1.0


class SharedPacer(Pacer):
    """The pacer of one of several processes of the bot: the same rules, counted in Redis, so the
    processes keep Telegram's limits together (bot/shared_limits.py). Each process still lets its
    waiting people go before its own bulk work. While Redis is away, this process counts alone
    at 1/N of every rate, N being the processes Redis last saw at work: from one second after the
    switch (what the others sent just before is unknown), and on, beside Redis, until the others
    have surely tried Redis again (`retry_every` and a second after it answered)."""

    def __init__(
        self,
        shared: SharedLimits,
        overall: Rate = TELEGRAM_OVERALL,
        private: Rate = TELEGRAM_PRIVATE,
        group: Rate = TELEGRAM_GROUP,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(overall, private, group, clock, sleep)
        self.shared = shared
        self._alone_since: float | None = None  # when Redis went away, by this pacer's clock
        self._alone_until = float("-inf")  # this process keeps to its share until then

    @staticmethod
    def _key(key: object) -> str:
        """The name in Redis of a limit this pacer keeps."""
        if key is None:
            return "pace:all"
        if isinstance(key, tuple):
            return f"pace:{key[0]}:{key[1]}"
        return f"pace:chat:{key}"

    async def _slot(self, key: object, rate: Rate) -> float:
        delay = await self.shared.book(self._key(key), rate.interval, rate.burst)
        now = self._clock()
        share = rate.shared_by(self.shared.peers)
        if delay is None:
            # Redis is away. What the others sent in the last second is unknown here, so counting
            # alone starts one Telegram window (a second) after the switch, at this process's share.
            if self._alone_since is None:
                self._alone_since = now
            self._alone_until = float("inf")
            return self._book_here(key, share, self._alone_since + SWITCH_PAUSE)
        if self._alone_since is not None:
            # Redis is back, but the others may still count alone until they try it again.
            self._alone_since = None
            self._alone_until = now + self.shared.retry_every + SWITCH_PAUSE
        if now < self._alone_until:
            delay = max(delay, self._book_here(key, share))
        return delay

    async def _chat_slot(self, chat_id: int | str) -> float:
        return await self._slot(chat_id, self.rate(chat_id))

    async def _chat_leaves(self, chat_id: int | str) -> float:
        return await self._slot(("leaves", chat_id), self.rate(chat_id))

    async def _grant(self) -> None:
        """Book the bot-wide slots one at a time; each goes to whoever is first in line when it opens."""
        while self._queue:
            if self._queue[0][2].done():  # its sender was cancelled
                heapq.heappop(self._queue)
                continue
            delay = await self._slot(None, self._overall)
            if delay > 0:
                await self._sleep(delay)
            while self._queue:
                waiter = heapq.heappop(self._queue)[2]
                if not waiter.done():
                    waiter.set_result(None)
                    break

    async def hold(self, chat_id: int | str | None, seconds: float) -> None:
        rate = self._overall if chat_id is None else self.rate(chat_id)
        until = self._clock() + seconds
        for key in [None] if chat_id is None else [chat_id, ("leaves", chat_id)]:
            # Kept here too, for counting alone should Redis go away.
            self._tat[key] = max(self._tat[key], until + (rate.burst - 1) * rate.interval)
            await self.shared.hold(self._key(key), rate.interval, rate.burst, seconds)


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
        # From here the update being handled waits for Telegram: its place goes to the next one.
        admission.step_aside()
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
                await self.pacer.hold(chat_id, error.retry_after)
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
