"""The bot's limits shared by its processes through Redis: the Lua scripts with injected time; two
processes' pacers together never over Telegram's limits (the emulator's strict limits); a person
flooding through two processes counted once; Redis away: each counts alone at half, warns once,
and shares again when Redis is back."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import uuid

import pytest
from aiogram import Bot
from aiogram.types import Update
from services import REDIS_URL

from bot.i18n import build_i18n
from bot.middlewares.throttle import ThrottleMiddleware
from bot.sending import Pacer, Rate, SendingMiddleware, SharedPacer
from bot.shared_limits import SharedLimits
from emulator import BotAPIEmulator
from storage.redis_limits import MICRO, RedisLimits

GUARD = 30  # seconds: a failure guard for whole sending runs
# The bot-wide rate of the processes here: a little further under Telegram's 30/s than the default
# 3 %, so that what is measured is the sharing, not how late this busy machine wakes a sleeper
# (the emulator counts arrivals in the same event loop; the pacer's own figures: tests/test_pacer.py).
OVERALL = Rate(27, 1, 1)
# Groups get 120 a minute here (the emulator's limit too), so twenty take ten seconds, not a minute.
GROUP_PER_MINUTE = 120
GROUP = Rate(GROUP_PER_MINUTE * 0.97, 60, 1)



@pytest.fixture
def prefix() -> str:
    """Keys of one bot that no other test (or earlier run) uses."""
    return f"test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
async def emu():
    emulator = BotAPIEmulator(token="777:SHARED", bot_username="shared_bot")
    await emulator.start()
    emulator.enforce_rate_limits(strict=True, group_per_minute=GROUP_PER_MINUTE)
    yield emulator
    await emulator.stop()


def micro(seconds: float) -> int:
    return round(seconds * MICRO)


# --- the scripts, with injected time ---------------------------------------------------------

async def test_a_chat_gets_a_burst_of_three_then_one_a_second_in_redis(redis, prefix):
    limits = RedisLimits(redis, prefix)
    delays = [(await limits.book("chat", 1.0, 3, now=micro(100)))[0] for _ in range(6)]
    assert delays == [0, 0, 0, 1, 2, 3]
    # Long idle: no burst saved up beyond three.
    delays = [(await limits.book("chat", 1.0, 3, now=micro(200)))[0] for _ in range(4)]
    assert delays == [0, 0, 0, 1]


async def test_the_script_books_exactly_as_the_in_process_pacer(redis, prefix):
    limits = RedisLimits(redis, prefix)
    moments = random.Random(12)
    for rate in (Rate(30 * 0.97, 1, 1), Rate(0.97, 1, 3), Rate(20 * 0.97, 60, 20)):
        clock = [1000.0]
        here = Pacer(clock=lambda clock=clock: clock[0])
        key = f"rate{rate.interval}"
        for _ in range(300):
            clock[0] += moments.choice([0, 0, 0, 0.01, 0.3, 1.7, 5])
            in_redis, _ = await limits.book(key, rate.interval, rate.burst, now=micro(clock[0]))
            assert in_redis == pytest.approx(here._book_here(key, rate), abs=1e-3)  # intervals in whole microseconds


async def test_a_hold_after_429_delays_the_next_slot_by_exactly_retry_after(redis, prefix):
    limits = RedisLimits(redis, prefix)
    await limits.hold("chat", 1.0, 3, 3, now=micro(50))
    assert (await limits.book("chat", 1.0, 3, now=micro(50)))[0] == 3
    assert (await limits.book("chat", 1.0, 3, now=micro(53)))[0] == 1  # then one a second


async def test_each_process_is_counted_once_among_those_present(redis, prefix):
    first, second = RedisLimits(redis, prefix, process="a"), RedisLimits(redis, prefix, process="b")
    assert (await first.book("x", 1, 1))[1] == 1
    assert (await second.book("x", 1, 1))[1] == 2
    assert (await first.book("x", 1, 1))[1] == 2


async def test_arrivals_beyond_the_limit_are_not_counted_and_the_first_is_told(redis, prefix):
    limits = RedisLimits(redis, prefix)
    at = micro(1000)
    first = [await limits.arrive("flood:1", str(n), 3, 10, now=at + n) for n in range(6)]
    assert [a.admitted for a in first] == [True, True, True, False, False, False]
    assert [a.tell for a in first] == [False, False, False, True, False, False]
    assert (await limits.arrive("flood:1", "1", 3, 10, now=at + 7)).admitted  # a redelivery
    later = await limits.arrive("flood:1", "9", 3, 10, now=at + micro(10) + 3)
    assert later.admitted and later.seen == 1  # the first three left the window


async def test_a_send_counts_from_departing_until_a_window_after_it_landed_whoever_sent_it(redis, prefix):
    first, second = RedisLimits(redis, prefix, process="a"), RedisLimits(redis, prefix, process="b")
    at = micro(2000)

    async def depart(limits: RedisLimits, send: str, seconds: float) -> float:
        return (await limits.depart("out", send, 3, 1.0, 5.0, now=at + micro(seconds)))[0]

    assert [await depart(first, "1", 0), await depart(second, "1", 0), await depart(first, "2", 0.1)] == [0, 0, 0]
    # Three in flight: the first may arrive as late as 5 s on (its transit), and counts a window more.
    assert await depart(second, "2", 0.2) == pytest.approx(5.8)
    await first.land("out", "9", now=at + micro(0.3))  # no such send: nothing lands
    await second.land("out", "1", now=at + micro(0.3))  # b's "1", not a's
    assert await depart(second, "2", 0.4) == pytest.approx(0.9)  # a window after it landed
    assert await depart(second, "2", 1.3) == 0
    # A send that never lands counts until a window after its transit.
    assert await depart(second, "3", 5.9) == pytest.approx(0.1)
    assert await depart(second, "3", 6.0) == 0


# --- two processes against Telegram's strict limits ------------------------------------------

def process_bot(emu: BotAPIEmulator, pacer: Pacer) -> Bot:
    """The bot of one process: its own HTTP session and pacer, as `build_bot` makes them."""
    session = emu.aiogram_session()
    session.middleware(SendingMiddleware(pacer))
    return Bot(emu.token, session=session)


def shared_limits(url: str, prefix: str, **kwargs) -> SharedLimits:
    return SharedLimits(RedisLimits.from_url(url, prefix), **kwargs)


async def close(bots: list[Bot], shared: list[SharedLimits]) -> None:
    for bot in bots:
        await bot.session.close()
    for limits in shared:
        await limits.close()


async def send_each(bot: Bot, chats: list[int], tag: str) -> None:
    for n, chat in enumerate(chats):
        await bot.send_message(chat, f"{tag} {n}")


def refusals(emu: BotAPIEmulator) -> list[str]:
    """Each 429 the emulator gave, with what had arrived in the second before it."""
    calls = emu.calls_to("sendMessage")
    found = []
    for refused in (c for c in calls if c.error_code == 429):
        before = [c for c in calls if refused.at - 1 < c.at <= refused.at and c.result_ok]
        chat = refused.params.get("chat_id")
        to_chat = [round(c.at - refused.at, 3) for c in before if c.params.get("chat_id") == chat]
        found.append(f"429 to {refused.params.get('chat_id')}: {len(before)} sends in the second before, "
                     f"to that chat at {to_chat}")
    return found


def people(emu: BotAPIEmulator, first: int, count: int) -> list[int]:
    return [emu.add_user(first + n, f"Customer {n}").id for n in range(count)]


async def test_two_processes_sharing_redis_keep_telegrams_limits_together(emu, redis, prefix):
    group = emu.add_group(-100777, "Agents").id
    mine, theirs = people(emu, 2000, 45), people(emu, 3000, 45)
    shared_chat = emu.add_user(4000, "Talked to by both").id
    shared = [shared_limits(REDIS_URL, prefix), shared_limits(REDIS_URL, prefix)]
    bots = [process_bot(emu, SharedPacer(limits, OVERALL, group=GROUP)) for limits in shared]
    try:
        async with asyncio.timeout(GUARD):
            await asyncio.gather(*(
                send_each(bot, chats + [shared_chat] * 3 + [group] * 10, f"process {n}")
                for n, (bot, chats) in enumerate(zip(bots, (mine, theirs), strict=True))))
    finally:
        await close(bots, shared)
    # 116 sends, more than either process's budget and 30/s if each kept its own: not one 429.
    assert refusals(emu) == []
    assert all(len(emu.chat(chat).bot_messages) == 1 for chat in mine + theirs)
    assert len(emu.chat(shared_chat).bot_messages) == 6
    assert len(emu.chat(group).bot_messages) == 20
    # The group's messages were counted together: one after another, never two at once from the two
    # processes (each keeping its own count would send them in pairs).
    arrived = sorted(c.at for c in emu.calls_to("sendMessage")
                     if c.result_ok and str(c.params.get("chat_id")) == str(group))
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrived)]
    assert min(gaps) > GROUP.interval / 2, gaps


async def test_two_processes_each_with_its_own_pacer_get_429s(emu):
    """The strict emulator sees what sharing prevents: two pacers of 27/s send 54/s."""
    bots = [process_bot(emu, Pacer(OVERALL)), process_bot(emu, Pacer(OVERALL))]
    chats = people(emu, 2000, 40), people(emu, 3000, 40)
    try:
        async with asyncio.timeout(GUARD):
            await asyncio.gather(*(send_each(bot, c, "alone") for bot, c in zip(bots, chats, strict=True)))
    finally:
        await close(bots, [])
    assert emu.world.flood.refused > 0


# --- flood control across two processes ------------------------------------------------------

def message_update(bot: Bot, update_id: int, user_id: int) -> Update:
    person = {"id": user_id, "is_bot": False, "first_name": "Flo", "language_code": "en"}
    return Update.model_validate({"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "chat": {"id": user_id, "type": "private"},
        "from": person, "text": f"message {update_id}"}}, context={"bot": bot})


async def test_a_person_flooding_through_two_processes_is_counted_once(emu, redis, prefix):
    flooder = emu.add_user(5000, "Flo").id
    shared = [shared_limits(REDIS_URL, prefix), shared_limits(REDIS_URL, prefix)]
    i18n = build_i18n("en")
    throttles = [ThrottleMiddleware(5, 60, i18n, "en", shared=limits) for limits in shared]
    bot = process_bot(emu, Pacer())
    handled: list[int] = []

    async def handler(update, data):
        handled.append(update.update_id)

    try:
        for update_id in range(1, 13):  # the load balancer alternates between the two processes
            update = message_update(bot, update_id, flooder)
            await throttles[update_id % 2](handler, update, {"event_from_user": update.message.from_user})
    finally:
        await close([bot], shared)
    assert handled == [1, 2, 3, 4, 5]
    notices = [m.text for m in emu.chat(flooder).bot_messages]
    assert notices == ["You are sending messages too fast. I will read on in a few seconds."]


# --- Redis away and back ---------------------------------------------------------------------

class Cable:
    """A TCP relay to the real Redis that can be cut (open connections reset, new ones refused)
    and mended, standing in for a Redis that goes away and comes back."""

    def __init__(self) -> None:
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def mend(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()

    async def _relay(self, client_reader, client_writer) -> None:
        redis_reader, redis_writer = await asyncio.open_connection("127.0.0.1", 6379)
        self._writers |= {client_writer, redis_writer}

        async def pipe(reader, writer) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except ConnectionError:
                pass
            finally:
                writer.transport.abort()
                self._writers.discard(writer)

        await asyncio.gather(pipe(client_reader, redis_writer), pipe(redis_reader, client_writer))


@pytest.fixture
async def cable(redis):
    relay = Cable()
    await relay.mend()
    yield relay
    await relay.cut()


async def test_without_redis_each_process_sends_at_half_and_sharing_resumes_when_it_is_back(
        emu, redis, prefix, cable, caplog):
    caplog.set_level(logging.WARNING, logger="bot.shared_limits")
    shared = [shared_limits(cable.url, prefix, retry_every=0.2) for _ in range(2)]
    bots = [process_bot(emu, SharedPacer(limits, OVERALL)) for limits in shared]
    chats = people(emu, 2000, 80), people(emu, 3000, 80)
    both = list(zip(bots, chats, strict=True))
    try:
        async with asyncio.timeout(GUARD):
            # Both processes at work, seen by Redis.
            await asyncio.gather(*(send_each(bot, c[:5], "shared") for bot, c in both))
            for bot, c in both:
                await bot.send_message(c[5], "both seen")
            assert [limits.peers for limits in shared] == [2, 2]
            await cable.cut()
            await asyncio.gather(*(send_each(bot, c[6:36], "alone") for bot, c in zip(bots, chats, strict=True)))
            assert not any(limits.shared for limits in shared)
            await cable.mend()
            sent = 36
            while not all(limits.shared for limits in shared):
                await asyncio.gather(*(bot.send_message(c[sent], "again") for bot, c in both))
                sent += 1
            await asyncio.gather(*(bot.send_message(c[sent], "shared again") for bot, c in both))
            booked_again = await redis.exists(*(f"{prefix}pace:leaves:{c[sent]}" for c in chats))
            sent += 1
    finally:
        await close(bots, shared)
    assert refusals(emu) == []  # half each: within 30/s together
    assert all(len(emu.chat(chat).bot_messages) == 1 for c in chats for chat in c[:sent])
    assert booked_again == 2  # the last sends of both were booked in Redis
    away = [r for r in caplog.records if "Redis is away" in r.getMessage()]
    assert len(away) == 2  # once per process, however many sends went without it
    assert all("at 1/2 of each limit" in r.getMessage() for r in away)
    assert len([r for r in caplog.records if "Redis answers again" in r.getMessage()]) == 2
