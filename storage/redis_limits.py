"""Rate limits kept in Redis, so several processes of one bot count against one budget.

Two atomic Lua scripts, knowing nothing of Telegram:

- `book`: GCRA with reservations. Each limit keeps a theoretical arrival time (TAT); a call books
  the earliest moment at most `burst - 1` intervals before the TAT and returns how long to wait
  for it, so callers never retry, they sleep.
- `depart` / `land`: sends that may have arrived at their destination in the last window: a
  send counts from the moment it departs (booked only while fewer than `limit` count) until a
  window after it landed (its answer came back, or it failed) or after `transit` (the longest it
  may take to arrive), whichever is sooner.
- `arrive`: a sliding-window count of arrivals (a sorted set of the arrivals' ids), for flood
  control; arrivals beyond the limit are not counted, and the first of them in a window is
  flagged so one notice is sent.

Time is Redis's own clock (`TIME`), one clock for every process; tests pass `now` instead.
Times are whole microseconds, exact in Lua's doubles. Every call also says which process made
it (a sorted set of processes seen in the last `PRESENCE_SECONDS`), and returns how many
processes that is: the share each one takes when it must count alone (Redis away).

The client is passed in; its errors (`RedisError`) go to the caller, who decides what happens
without Redis.
"""

from __future__ import annotations

import math
import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any

try:
    from redis.exceptions import RedisError
except ImportError:  # the optional [redis] extra is absent: nothing here is ever called then
    class RedisError(Exception):  # type: ignore[no-redef]
        """Stands in for redis-py's base error when redis-py is not installed."""

# A process counts as present for this long after its last call.
PRESENCE_SECONDS = 60.0
MICRO = 1_000_000

_NOW = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
"""

_PRESENT = """
local function present(key, process, span)
  redis.call('ZADD', key, now, process)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
  redis.call('PEXPIRE', key, math.ceil(span / 1000))
  return redis.call('ZCARD', key)
end
"""

# KEYS: the limit's TAT, the processes present. ARGV: now (us, or ""), process, presence (us),
# interval (us), burst, hold (us; 0 = book a slot, > 0 = nothing before now + hold).
BOOK = _NOW + _PRESENT + """
local interval = tonumber(ARGV[4])
local burst = tonumber(ARGV[5])
local hold = tonumber(ARGV[6])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local at = 0
if hold > 0 then
  tat = math.max(tat, now + hold + (burst - 1) * interval)
else
  at = math.max(now, tat - (burst - 1) * interval)
  tat = tat + interval
end
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
return {string.format('%.0f', at - now), present(KEYS[2], ARGV[2], tonumber(ARGV[3]))}
"""

# KEYS: the arrivals (sorted set), the "told" flag, the processes present. ARGV: now (us, or ""),
# process, presence (us), limit, window (us), arrival id.
ARRIVE = _NOW + _PRESENT + """
local limit = tonumber(ARGV[4])
local window = tonumber(ARGV[5])
local peers = present(KEYS[3], ARGV[2], tonumber(ARGV[3]))
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local seen = redis.call('ZCARD', KEYS[1])
if redis.call('ZSCORE', KEYS[1], ARGV[6]) then
  return {1, 0, seen, peers}  -- the same arrival again (a redelivery): counted once
end
if seen >= limit then
  local tell = redis.call('SET', KEYS[2], '1', 'PX', math.ceil(window / 1000), 'NX')
  return {0, tell and 1 or 0, seen, peers}
end
redis.call('ZADD', KEYS[1], now, ARGV[6])
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return {1, 0, seen + 1, peers}
"""


# KEYS: the sends counted (sorted set, score: the latest moment each may have arrived), the
# processes present. ARGV: now (us, or ""), process, presence (us), limit, window (us),
# transit (us), the send's id.
DEPART = _NOW + _PRESENT + """
local window = tonumber(ARGV[5])
local peers = present(KEYS[2], ARGV[2], tonumber(ARGV[3]))
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[6]), ARGV[7])
  redis.call('PEXPIRE', KEYS[1], math.ceil((window + tonumber(ARGV[6])) / 1000))
  return {'0', peers}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {string.format('%.0f', tonumber(first[2]) + window - now), peers}
"""

# KEYS: the sends counted. ARGV: now (us, or ""), the send's id.
LAND = _NOW + """
local latest = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[2]))
if latest and now < latest then
  redis.call('ZADD', KEYS[1], now, ARGV[2])
end
return 0
"""


@dataclass(frozen=True)
class Arrival:
    """What `RedisLimits.arrive` decided: counted (`admitted`) or over the limit; `tell`: the first
    one over it in this window; `seen`: arrivals in the window; `peers`: processes present."""

    admitted: bool
    tell: bool
    seen: int
    peers: int


def process_name() -> str:
    """This process as the others see it: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _micro(seconds: float) -> int:
    return max(0, math.ceil(seconds * MICRO))


class RedisLimits:
    """The limit scripts on one Redis client, their keys under `prefix` (one prefix per bot)."""

    def __init__(self, redis: Any, prefix: str, *, process: str | None = None) -> None:
        self.redis = redis
        self.prefix = prefix
        self.process = process or process_name()
        self._book = redis.register_script(BOOK)
        self._arrive = redis.register_script(ARRIVE)
        self._depart = redis.register_script(DEPART)
        self._land = redis.register_script(LAND)

    @classmethod
    def from_url(cls, url: str, prefix: str, *, timeout: float = 1.0) -> RedisLimits:
        """A client of its own that gives up quickly: a Redis that does not answer within
        `timeout` seconds is away, and the caller counts alone rather than waiting."""
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        client = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                retry=Retry(NoBackoff(), 0))
        return cls(client, prefix)

    async def close(self) -> None:
        await self.redis.aclose(close_connection_pool=True)

    def _presence(self) -> list[Any]:
        return [self.prefix + "processes"]

    async def book(self, key: str, interval: float, burst: int, *, now: int | None = None) -> tuple[float, int]:
        """Book the next slot of limit `key` (one per `interval` seconds, bursts of `burst`):
        (seconds until it opens, processes present). `now`: microseconds, for tests."""
        delay, peers = await self._book(
            keys=[self.prefix + key, *self._presence()],
            args=["" if now is None else now, self.process, _micro(PRESENCE_SECONDS),
                  _micro(interval), burst, 0])
        return int(delay) / MICRO, int(peers)

    async def hold(self, key: str, interval: float, burst: int, seconds: float, *,
                   now: int | None = None) -> int:
        """Nothing of limit `key` before `seconds` from now (after a 429); returns processes present."""
        _, peers = await self._book(
            keys=[self.prefix + key, *self._presence()],
            args=["" if now is None else now, self.process, _micro(PRESENCE_SECONDS),
                  _micro(interval), burst, max(1, _micro(seconds))])
        return int(peers)

    async def depart(self, key: str, send: str, limit: int, window: float, transit: float, *,
                     now: int | None = None) -> tuple[float, int]:
        """Count send `send` (an id, unique in this process) of `key` as departed if fewer than
        `limit` may have arrived in the last `window` seconds: (0, processes present); else
        (seconds to wait, processes present)."""
        delay, peers = await self._depart(
            keys=[self.prefix + key, *self._presence()],
            args=["" if now is None else now, self.process, _micro(PRESENCE_SECONDS), limit,
                  _micro(window), _micro(transit), f"{self.process}:{send}"])
        return int(delay) / MICRO, int(peers)

    async def land(self, key: str, send: str, *, now: int | None = None) -> None:
        """Send `send` of `key` came back: it arrived by now at the latest."""
        await self._land(keys=[self.prefix + key], args=["" if now is None else now, f"{self.process}:{send}"])

    async def arrive(self, key: str, arrival: str, limit: int, window: float, *,
                     now: int | None = None) -> Arrival:
        """Count arrival `arrival` (an id: the same id again is not counted twice) of `key` if
        fewer than `limit` were counted in the last `window` seconds."""
        admitted, tell, seen, peers = await self._arrive(
            keys=[self.prefix + key, self.prefix + key + ":told", *self._presence()],
            args=["" if now is None else now, self.process, _micro(PRESENCE_SECONDS),
                  limit, _micro(window), arrival])
        return Arrival(bool(admitted), bool(tell), int(seen), int(peers))


__all__ = ["PRESENCE_SECONDS", "Arrival", "RedisError", "RedisLimits", "process_name"]
