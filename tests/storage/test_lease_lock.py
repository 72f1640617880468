"""Per-chat locks in Redis are leases: a killed process's lock expires within its lease (not
aiogram's 60 s), a live holder keeps its lock however long it works, and a wait gives up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey
from redis.asyncio import Redis
from services import REDIS_URL

from storage.redis_isolation import ChatBusy, LeaseEventIsolation

ROOT = Path(__file__).resolve().parents[2]
GUARD = 15  # seconds: a failure guard, far above any lease here and far below aiogram's 60 s



def a_chat() -> StorageKey:
    """A chat no other test (or earlier run) has locked: its id is random."""
    chat_id = 10**6 + uuid.uuid4().int % 10**9
    return StorageKey(bot_id=42, chat_id=chat_id, user_id=chat_id)


def lock_name(key: StorageKey) -> str:
    return LeaseEventIsolation(None).key_builder.build(key, "lock")


HOLDER = textwrap.dedent("""
    import asyncio, sys
    from aiogram.fsm.storage.base import StorageKey
    from redis.asyncio import Redis
    from storage.redis_isolation import LeaseEventIsolation

    async def main():
        chat_id, lease = int(sys.argv[1]), float(sys.argv[2])
        isolation = LeaseEventIsolation(Redis.from_url(sys.argv[3]), lease=lease, process="doomed")
        async with isolation.lock(StorageKey(bot_id=42, chat_id=chat_id, user_id=chat_id)):
            print("held", flush=True)
            await asyncio.Event().wait()  # handling an update until it is killed

    asyncio.run(main())
""")


async def test_a_killed_holders_lock_expires_within_its_lease_and_the_next_update_runs(redis):
    key, lease = a_chat(), 3.0
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, str(key.chat_id), str(lease), REDIS_URL,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    try:
        async with asyncio.timeout(GUARD):
            assert await holder.stdout.readline() == b"held\n"
        dead_token = await redis.get(lock_name(key))
        assert dead_token.startswith(b"doomed:")

        other_process = LeaseEventIsolation(redis, lease=lease, wait=GUARD)
        entered = asyncio.Event()
        token_seen_inside: list[bytes] = []

        async def next_update() -> None:
            async with other_process.lock(key):
                token_seen_inside.append(await redis.get(lock_name(key)))
                entered.set()

        waiting = asyncio.create_task(next_update())
        async with asyncio.timeout(GUARD):
            await renewals_seen(redis, lock_name(key), 1)
        # While the holder lives (and renews), the next update of its chat waits.
        assert not entered.is_set()
        assert await redis.get(lock_name(key)) == dead_token
        holder.kill()  # SIGKILL: no release, no more renewals
        await holder.wait()
        async with asyncio.timeout(GUARD):  # aiogram's lock would hold it for 60 s
            await waiting
        assert token_seen_inside and token_seen_inside[0] != dead_token  # its own lease, after expiry
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()
    assert await redis.get(lock_name(key)) is None  # released at the end


async def renewals_seen(redis: Redis, name: str, count: int) -> None:
    """Wait until the lock's time to live has gone back up `count` times (each a renewal); fails
    if the lock disappears first."""
    seen, last = 0, await redis.pttl(name)
    while seen < count:
        await asyncio.sleep(0.02)
        ttl = await redis.pttl(name)
        assert ttl > 0, f"the lock {name} expired while held"
        seen += ttl > last
        last = ttl


async def test_a_live_holder_keeps_its_lock_past_the_lease_and_the_next_update_runs_after(redis):
    # A lease of 3 s is renewed every second: only a renewal over 2 s late (a machine far past its
    # load) loses it; four renewals take longer than the lease.
    key, lease = a_chat(), 3.0
    first_process = LeaseEventIsolation(Redis.from_url(REDIS_URL), lease=lease, wait=GUARD)
    second_process = LeaseEventIsolation(redis, lease=lease, wait=GUARD)
    order: list[str] = []
    first_inside = asyncio.Event()

    async def long_update() -> None:
        async with first_process.lock(key):
            order.append("first starts")
            first_inside.set()
            await renewals_seen(redis, lock_name(key), 4)  # renewed every third: longer than the lease
            order.append("first ends")

    async def next_update() -> None:
        await first_inside.wait()
        async with second_process.lock(key):
            order.append("second starts")

    try:
        async with asyncio.timeout(GUARD):
            await asyncio.gather(long_update(), next_update())
    finally:
        await first_process.redis.aclose(close_connection_pool=True)
    assert order == ["first starts", "first ends", "second starts"]


async def test_a_wait_for_a_busy_chat_gives_up_with_an_error_that_gets_the_update_sent_again(redis, caplog):
    key = a_chat()
    holder = LeaseEventIsolation(redis, lease=5.0)
    impatient = LeaseEventIsolation(redis, lease=5.0, wait=0.3)
    async with holder.lock(key):
        with pytest.raises(ChatBusy):
            async with impatient.lock(key):
                pytest.fail("entered a chat another update holds")
        assert (await redis.get(lock_name(key))).startswith(holder.process.encode())
    assert "still held by another update after 0.3 s; this update fails and Telegram delivers it again" \
        in caplog.text


async def test_updates_of_one_chat_in_one_process_run_in_arrival_order(redis):
    key = a_chat()
    isolation = LeaseEventIsolation(redis)
    order: list[int] = []
    first_inside, release_first = asyncio.Event(), asyncio.Event()

    async def update(number: int) -> None:
        async with isolation.lock(key):
            order.append(number)
            if number == 0:
                first_inside.set()
                await release_first.wait()

    tasks = [asyncio.create_task(update(0))]
    await first_inside.wait()
    for number in range(1, 6):  # queued while the first is handled
        tasks.append(asyncio.create_task(update(number)))
        await asyncio.sleep(0)
    release_first.set()
    async with asyncio.timeout(GUARD):
        await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4, 5]
    assert isolation._local == {}  # nothing kept for a chat at rest


async def test_an_update_in_hand_too_long_is_logged_once_with_where_it_waits(redis, caplog):
    key = a_chat()
    isolation = LeaseEventIsolation(redis, lease=0.3, long_held=0.5)
    never = asyncio.Event()

    async def a_step_that_waits_forever() -> None:
        await never.wait()

    async def stuck_update() -> None:
        async with isolation.lock(key):
            await a_step_that_waits_forever()

    told = asyncio.Event()

    class Told(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "has been in hand for" in record.getMessage():
                told.set()

    watcher = Told()
    logging.getLogger("storage.redis_isolation").addHandler(watcher)
    stuck = asyncio.create_task(stuck_update())
    try:
        async with asyncio.timeout(GUARD):
            await told.wait()
            await renewals_seen(redis, lock_name(key), 3)  # and it goes on renewing, saying nothing more
    finally:
        stuck.cancel()
        logging.getLogger("storage.redis_isolation").removeHandler(watcher)
    lines = [r.getMessage() for r in caplog.records if "has been in hand for" in r.getMessage()]
    assert len(lines) == 1
    # Where it waits: the update's own step, then the event it awaits.
    assert "in a_step_that_waits_forever\n" in lines[0] and "locks.py" in lines[0]


class DeafLease:
    """A lease whose renewal swallows its cancellation (as a Redis client may, caught mid-command)."""

    def __init__(self) -> None:
        self.renewing = asyncio.Event()
        self.released = False

    async def acquire(self, token: str) -> bool:
        return True

    async def reacquire(self) -> None:
        self.renewing.set()
        with contextlib.suppress(asyncio.CancelledError):  # the cancellation is lost here
            await asyncio.sleep(3600)

    async def release(self) -> None:
        self.released = True

    async def owned(self) -> bool:
        return True


class DeafRedis:
    def __init__(self) -> None:
        self.lease = DeafLease()

    def lock(self, name: str, **options) -> DeafLease:
        return self.lease


async def test_a_renewal_that_loses_its_cancellation_still_ends_with_its_update():
    redis = DeafRedis()
    isolation = LeaseEventIsolation(redis, lease=0.3)
    async with asyncio.timeout(GUARD):
        async with isolation.lock(a_chat()):
            await redis.lease.renewing.wait()  # the update ends while its renewal is inside Redis
        assert redis.lease.released
    renewals = [t for t in asyncio.all_tasks() if t.get_name().startswith("lease ")]
    assert all(t.done() for t in renewals)
