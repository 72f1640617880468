"""One update per chat at a time across every bot process, with locks that die with their process.

aiogram's `RedisEventIsolation` holds a chat's lock for up to 60 s: when the process holding it is
killed, every update of that chat waits that long (issue #12). Here the lock is a short lease
(`lease` seconds) renewed every third of it while the update is handled, and released at the end;
a dead process stops renewing, so its locks expire within one lease.

Waiting is bounded too: an update that cannot have its chat's lock within `wait` seconds fails
(`ChatBusy`), so the webhook answers 500 and Telegram delivers it again later; it is never
handled beside another update of its chat. Within one process, updates of one chat queue on a
local lock first, in arrival order, and only the first of them polls Redis.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from aiogram.fsm.storage.base import BaseEventIsolation, DefaultKeyBuilder, KeyBuilder, StorageKey

from storage.redis_limits import RedisError, process_name

log = logging.getLogger(__name__)

# Defaults of `storage.chat_lock_lease` and `storage.chat_lock_wait` (seconds).
LEASE = 5.0
WAIT = 20.0
# How often a waiting update asks Redis whether the chat is free (seconds).
POLL = 0.05


# An update holding its chat's lock this long (seconds) is logged with where it waits.
LONG_HELD = 60.0


def _where(task: asyncio.Task) -> str:
    """The chain of awaits `task` is suspended in, outermost first (a line per coroutine or async
    generator), ending with what the innermost one waits for."""
    lines, awaited, frame = [], task.get_coro(), None
    while awaited is not None:
        inner = next((getattr(awaited, a) for a in ("cr_frame", "ag_frame", "gi_frame") if getattr(awaited, a, None)),
                     None)
        if inner is None:
            # An async generator's asend() (an `async with` of an @asynccontextmanager): its
            # generator is the context manager's `gen`.
            generator = getattr((frame.f_locals.get("self") if frame else None), "gen", None)
            if type(awaited).__name__ == "async_generator_asend" and getattr(generator, "ag_frame", None):
                awaited = generator
                continue
            lines.append(f"  waiting for a {type(awaited).__name__}")  # a future, or a C coroutine
            break
        frame = inner
        lines.append(f"  {frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}")
        awaited = next((getattr(awaited, a) for a in ("cr_await", "ag_await", "gi_yieldfrom")
                        if getattr(awaited, a, None) is not None), None)
    return "\n".join(lines)


class ChatBusy(Exception):
    """The chat's lock could not be had in time; the update is to be delivered again."""


class LeaseEventIsolation(BaseEventIsolation):
    """Per-chat locks in Redis with a lease of `lease` seconds renewed while held; a wait for
    one gives up after `wait` seconds with `ChatBusy`."""

    def __init__(self, redis: Any, key_builder: KeyBuilder | None = None, *, lease: float = LEASE,
                 wait: float = WAIT, poll: float = POLL, process: str | None = None,
                 long_held: float = LONG_HELD) -> None:
        self.redis = redis
        self.key_builder = key_builder or DefaultKeyBuilder()
        self.lease = lease
        self.wait = wait
        self.poll = poll
        self.long_held = long_held
        self.process = process or process_name()
        self._local: dict[str, tuple[asyncio.Lock, int]] = {}  # name -> (lock, users)

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        name = self.key_builder.build(key, "lock")
        deadline = asyncio.get_running_loop().time() + self.wait
        async with self._in_process(name, deadline), self._in_redis(name, deadline):
            yield

    @asynccontextmanager
    async def _in_process(self, name: str, deadline: float) -> AsyncGenerator[None, None]:
        """Updates of one chat in this process queue here in arrival order (asyncio's lock is fair)."""
        lock, users = self._local.get(name) or (asyncio.Lock(), 0)
        self._local[name] = (lock, users + 1)
        try:
            try:
                async with asyncio.timeout_at(deadline):
                    await lock.acquire()
            except TimeoutError:
                raise self._busy(name) from None
            try:
                yield
            finally:
                lock.release()
        finally:
            lock, users = self._local[name]
            if users == 1:
                del self._local[name]
            else:
                self._local[name] = (lock, users - 1)

    @asynccontextmanager
    async def _in_redis(self, name: str, deadline: float) -> AsyncGenerator[None, None]:
        lease = self.redis.lock(name, timeout=self.lease, sleep=self.poll, thread_local=False,
                                blocking_timeout=max(0.0, deadline - asyncio.get_running_loop().time()))
        try:
            acquired = await lease.acquire(token=f"{self.process}:{uuid.uuid4().hex[:8]}")
        except RedisError as error:
            log.error("chat lock %s: Redis did not answer (%s); this update fails and Telegram delivers "
                      "it again", name, error)
            raise
        if not acquired:
            raise self._busy(name)
        done = asyncio.Event()
        renewal = asyncio.create_task(self._renew(lease, name, asyncio.current_task(), done), name=f"lease {name}")
        try:
            yield
        finally:
            await self._end(lease, name, renewal, done)

    async def _end(self, lease: Any, name: str, renewal: asyncio.Task, done: asyncio.Event) -> None:
        """Stop renewing and release, in bounded time whatever the Redis client does: a renewal
        that outlived its update (its cancellation lost) kept a chat locked for minutes (issue #12)."""
        done.set()  # the renewal stops at its next turn even if the cancellation is lost
        renewal.cancel()
        finished, _ = await asyncio.wait({renewal}, timeout=self.lease)
        if finished and not renewal.cancelled() and renewal.exception() is not None:
            log.warning("chat lock %s: its renewal failed: %r", name, renewal.exception())
        if not finished:
            log.error("chat lock %s: its renewal did not stop within %.0f s of the update's end; released "
                      "anyway. The renewal waits at:\n%s", name, self.lease, _where(renewal))
        try:
            async with asyncio.timeout(self.lease):
                await lease.release()
        except (RedisError, TimeoutError) as error:
            # Lost (expired after renewals failed), or Redis is away or slow: it expires by itself.
            log.warning("chat lock %s: not released (%s); it expires within %.0f s", name,
                        error or type(error).__name__, self.lease)

    def _busy(self, name: str) -> ChatBusy:
        log.error("chat lock %s: still held by another update after %.1f s; this update fails and "
                  "Telegram delivers it again", name, self.wait)
        return ChatBusy(f"{name} busy for {self.wait:.1f} s")

    async def _renew(self, lease: Any, name: str, holder: asyncio.Task | None, done: asyncio.Event) -> None:
        """Renew every third of the lease; a renewal that fails is tried again until the lease
        is gone, and then said loudly: from then on another update of the chat may run too. An
        update still in hand after `long_held` seconds is logged with where it waits, once."""
        started = asyncio.get_running_loop().time()
        told = False
        while True:
            await asyncio.sleep(self.lease / 3)
            if done.is_set():
                return
            held = asyncio.get_running_loop().time() - started
            if not told and held >= self.long_held and holder is not None:
                told = True
                log.warning("chat lock %s: its update has been in hand for %.0f s (every later update of the "
                            "chat waits); it waits at:\n%s", name, held, _where(holder))
            try:
                await lease.reacquire()
            except RedisError as error:
                if done.is_set():
                    return  # the update ended (and released the lock) while this renewal was out
                if not await self._still_ours(lease):
                    log.error("chat lock %s: lease lost (%s) while its update is still being handled; "
                              "another update of this chat may now run beside it", name, error)
                    return
                log.warning("chat lock %s: renewal failed (%s); trying again", name, error)

    @staticmethod
    async def _still_ours(lease: Any) -> bool:
        try:
            return await lease.owned()
        except RedisError:
            return True  # Redis is away: nobody else can take the lock either

    async def close(self) -> None:
        """Nothing of its own to close: the Redis client belongs to the FSM storage."""
