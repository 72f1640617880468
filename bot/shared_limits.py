"""The bot's limits shared by all its processes through Redis, and what happens when Redis is away.

With Redis (`storage.fsm_url`), the pacer (bot/sending.py) and flood control
(bot/middlewares/throttle.py) count in Redis, so three processes send 30 messages a second
between them, not 90, and a person flooding through three processes is counted once.

Redis away (an error, or no answer within a second): each process counts alone at 1/N of every
limit, N being the number of processes Redis last saw working in the last minute (each call says
who made it), after a pause of one second (what the others sent in the last second is unknown),
logged once as a warning. Every `retry_every` seconds one call tries Redis again;
when it answers, sharing resumes, logged once (the pacer keeps to its share a little longer,
until the others have surely tried Redis too). A process that had not sent or received anything
in the minute before the outage is not in N, so the bot may briefly go over a limit: Telegram
then answers 429 and the pacer waits exactly `retry_after` — late, never lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from storage.redis_limits import Arrival, RedisError, RedisLimits

log = logging.getLogger(__name__)

# Seconds between tries of a Redis that went away.
RETRY_EVERY = 5.0


class SharedLimits:
    """`RedisLimits` with the fallback rule: each call answers from Redis, or None when Redis is
    away (the caller then counts alone, at 1/`peers` of the limit)."""

    def __init__(self, limits: RedisLimits, *, retry_every: float = RETRY_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.retry_every = retry_every
        self.clock = clock
        self.peers = 1  # processes Redis last saw at work, this one included
        self._away_since: float | None = None
        self._next_try = 0.0

    @property
    def shared(self) -> bool:
        """Whether the limits are counted in Redis right now (False while it is away)."""
        return self._away_since is None

    def _may_try(self) -> bool:
        if self._away_since is None:
            return True
        now = self.clock()
        if now < self._next_try:
            return False
        self._next_try = now + self.retry_every  # one call tries; the others count alone meanwhile
        return True

    def _failed(self, error: RedisError) -> None:
        now = self.clock()
        self._next_try = now + self.retry_every
        if self._away_since is None:
            self._away_since = now
            log.warning("Redis is away (%s): pacing and flood control count in this process alone, at "
                        "1/%d of each limit, until Redis answers (tried every %g s)",
                        error, self.peers, self.retry_every)

    def _answered(self, peers: int) -> None:
        self.peers = max(1, peers)
        if self._away_since is not None:
            log.warning("Redis answers again after %.1f s: pacing and flood control are shared again",
                        self.clock() - self._away_since)
            self._away_since = None

    async def book(self, key: str, interval: float, burst: int) -> float | None:
        """Seconds until the booked slot of `key` opens, or None: Redis is away, count alone."""
        if not self._may_try():
            return None
        try:
            delay, peers = await self.limits.book(key, interval, burst)
        except RedisError as error:
            self._failed(error)
            return None
        self._answered(peers)
        return delay

    async def hold(self, key: str, interval: float, burst: int, seconds: float) -> None:
        """Tell every process: nothing of `key` for `seconds` (after a 429). Without Redis the
        caller's own hold is all there is."""
        if not self._may_try():
            return
        try:
            peers = await self.limits.hold(key, interval, burst, seconds)
        except RedisError as error:
            self._failed(error)
            return
        self._answered(peers)

    async def depart(self, key: str, send: str, limit: int, window: float, transit: float) -> float | None:
        """Seconds to wait before `send` may depart (0: it is counted as departed now), or None:
        Redis is away, count alone."""
        if not self._may_try():
            return None
        try:
            delay, peers = await self.limits.depart(key, send, limit, window, transit)
        except RedisError as error:
            self._failed(error)
            return None
        self._answered(peers)
        return delay

    async def land(self, key: str, send: str) -> None:
        """`send` came back. Without Redis it stays in flight there for its whole `transit`:
        counted longer than it need be, never shorter."""
        if not self._may_try():
            return
        try:
            await self.limits.land(key, send)
        except RedisError as error:
            self._failed(error)

    async def arrive(self, key: str, arrival: str, limit: int, window: float) -> Arrival | None:
        """Count an arrival in Redis (see `RedisLimits.arrive`), or None: Redis is away."""
        if not self._may_try():
            return None
        try:
            counted = await self.limits.arrive(key, arrival, limit, window)
        except RedisError as error:
            self._failed(error)
            return None
        self._answered(counted.peers)
        return counted

    async def close(self) -> None:
        await self.limits.close()
