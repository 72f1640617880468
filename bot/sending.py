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
from collections import defaultdict
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

# Seconds a send may take, at most, to reach Telegram after it left: a send counts as possibly just
# arrived until a window after its answer came back, or after this, whichever is sooner. (A send
# whose answer is slow has still arrived long before, unless this process or the network was held
# up for more than this; and a process killed while it waited for an answer holds nothing up.)
MOST_TRANSIT = 1.0

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


class Departure:
    """A send the pacer let go: how long it waited, and, once the Bot API has answered (or the
    request failed), `landed()`, from which moment it stops counting as possibly just arrived."""

    __slots__ = ("_ident", "_pacer", "delay")

    def __init__(self, pacer: Pacer, ident: object, delay: float) -> None:
        self._pacer = pacer
        self._ident = ident
        self.delay = delay

    async def landed(self) -> None:
        if self._ident is not None:
            ident, self._ident = self._ident, None
            await self._pacer._landed(ident)


class Pacer:
    """Spaces sends out so no chat, and not the bot as a whole, goes over its rate.

    A send first waits for its chat's own slot (GCRA: each chat keeps a theoretical arrival time;
    a send may go when that time is at most `burst - 1` intervals ahead of now), so a busy chat
    waits alone and never holds a bot-wide slot it cannot use. Then it queues for the bot-wide
    slot: one every interval, no burst, replies to waiting people before bulk work. Last, it
    leaves only when fewer than the limit's count of sends (30) may have arrived at Telegram in
    the last 30 intervals: a send counts from the moment it left until the moment its answer came
    back (`Departure.landed`; at most `MOST_TRANSIT` on) and 30 intervals more. Telegram stamps a
    send somewhere in between, so no stall of this process, of the network or of the Bot API
    (which stamps what queued meanwhile as one burst) can put 31 into one of its seconds.
    """

    def __init__(
        self,
        overall: Rate = TELEGRAM_OVERALL,
        private: Rate = TELEGRAM_PRIVATE,
        group: Rate = TELEGRAM_GROUP,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        arrivals: Rate | None = None,
    ) -> None:
        """`arrivals`: at most its count of sends may arrive in that many of its intervals (by
        default the bot-wide rate's); several processes keep further under Telegram's rate for
        their slots than for this guarantee, which holds whatever their drift."""
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
        # The sends that may have arrived in the last window: id -> the latest moment they may have
        # arrived. Only while the bot-wide limit is Telegram's.
        arrivals = arrivals or overall
        self._counted = math.ceil(arrivals.count) if arrivals.count <= MOST_COUNTED else 0
        self._window = self._counted * arrivals.interval
        self._flights: dict[int, float] = {}
        self._departures = itertools.count()

    def rate(self, chat_id: int | str) -> Rate:
        # Groups and channels have negative ids (or an @username).
        return self._group if isinstance(chat_id, str) or chat_id < 0 else self._private

    async def wait(self, chat_id: int | str | None, *, is_bulk: bool | None = None) -> float:
        """`depart`, for a send that lands at once; returns the delay."""
        departure = await self.depart(chat_id, is_bulk=is_bulk)
        await departure.landed()
        return departure.delay

    async def depart(self, chat_id: int | str | None, *, is_bulk: bool | None = None) -> Departure:
        """Sleep until a message to `chat_id` may go out and book that moment. The caller sends
        it, then calls `landed()` on what this returns, however the request ended.

        `is_bulk` defaults to whether the caller is inside `bulk()`."""
        started = self._clock()
        if chat_id is not None:
            await self._pause(await self._chat_slot(chat_id))
        await self._overall_slot(_bulk.get() if is_bulk is None else is_bulk)
        ident = await self._leave()
        if chat_id is not None:
            # Telegram counts a chat's messages as they arrive, and the bot-wide slot comes later
            # for some sends than for others: a chat's sends are spaced again as they leave (a
            # wait here is a few milliseconds, when an earlier send to the chat left late). Last,
            # so that nothing holds the send up after the moment it is booked.
            try:
                await self._pause(await self._chat_leaves(chat_id))
            except BaseException:
                await Departure(self, ident, 0.0).landed()  # never sent: counted a window longer, no more
                raise
        return Departure(self, ident, self._clock() - started)

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

    async def _leave(self) -> object:
        """Wait, if need be, until fewer than the limit's count of sends (30) may have arrived in
        the last 30 bot-wide intervals (1.03 s), then count this one in flight; returns its id.
        A slot kept on its grid although it opened late (`LATE_SLOT`), a sender that got to its
        send late, or a request held up on its way never puts 31 sends into one of Telegram's
        seconds."""
        if not self._counted:
            return None
        while True:
            now = self._clock()
            wait = self._until_room(now)
            if wait <= 0:
                ident = next(self._departures)
                self._flights[ident] = now + MOST_TRANSIT
                return ident
            await self._sleep(wait)

    def _until_room(self, now: float) -> float:
        """Seconds until one more send may leave (0: now), by the sends counted in `_flights`."""
        flights = self._flights
        # (A microsecond's rounding is no reason to sleep.)
        gone = [ident for ident, latest in flights.items() if latest <= now - self._window + 1e-6]
        for ident in gone:
            del flights[ident]
        if len(flights) < self._counted:
            return 0.0
        return min(flights.values()) + self._window - now

    async def _landed(self, ident: object) -> None:
        if ident in self._flights:
            self._flights[ident] = min(self._flights[ident], self._clock())

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


# The name in Redis of the sends of every process that may have just arrived (`SharedPacer._leave`).
OUT = "pace:out"

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
        arrivals: Rate | None = None,
    ) -> None:
        super().__init__(overall, private, group, clock, sleep, arrivals)
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

    async def _leave(self) -> object:
        """As `Pacer._leave`, counting the sends of every process in Redis; while Redis is away,
        this process's sends alone (its bot-wide slots are then at its share of the rate)."""
        if not self._counted:
            return None
        send = str(next(self._departures))
        while True:
            delay = await self.shared.depart(OUT, send, self._counted, self._window, MOST_TRANSIT)
            if delay is None:
                return (OUT, await super()._leave())
            if delay <= 0:
                return send
            await self._sleep(delay)

    async def _landed(self, ident: object) -> None:
        if isinstance(ident, tuple):  # counted here, Redis being away
            await super()._landed(ident[1])
        else:
            await self.shared.land(OUT, str(ident))

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
            departure = await self.pacer.depart(chat_id) if name in SENDING else None
            try:
                return await self._landing(departure, make_request(bot, method))
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

    @staticmethod
    async def _landing(departure: Departure | None,
                       request: Awaitable[Response[TelegramType]]) -> Response[TelegramType]:
        """The answer to `request`; however it ends, the send has landed from then on."""
        try:
            return await request
        finally:
            if departure is not None:
                await departure.landed()
