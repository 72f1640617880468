"""The outbox with several processes on one PostgreSQL database: a worker renews the claim of the
row it is sending (its heartbeat); a row whose worker died is taken over and sent within 30
seconds; a live worker's long send is never taken over. The clock is the workers' own (moved by
the test); the sends are real, through the emulator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from services import drop_postgres_database, fresh_postgres_database
from sqlalchemy import select
from world import DESK_CHAT, eventually, make_config

from bot.factory import build_bot
from bot.i18n import build_i18n
from bot.metrics import Metrics
from bot.outbox_worker import HEARTBEAT_EVERY, TAKEOVER_AFTER, OutboxWorker
from desk import outbox
from desk.clock import ManualClock
from desk.desk_chat import DeskChat
from desk.sla import SLA
from storage import migrate
from storage.database import create_engine, create_sessionmaker
from storage.models import OutboxMessage


class Workers:
    """Outbox workers as separate processes would run them: each its own Bot API session, all on
    one database and one (test-moved) clock."""

    def __init__(self, emu, folder, url: str) -> None:
        self.config = make_config(emu, folder, storage={"url": url})
        self.engine = create_engine(url)
        self.sessions = create_sessionmaker(self.engine)
        self.clock = ManualClock(datetime.now(UTC))
        self.running: list[tuple[OutboxWorker, asyncio.Task]] = []

    def start(self) -> OutboxWorker:
        bot = build_bot(self.config)
        worker = OutboxWorker(bot, self.sessions, self.clock, self.config, SLA(self.config.sla),
                              build_i18n("en"), DeskChat(DESK_CHAT), Metrics())
        self.running.append((worker, asyncio.create_task(worker.run())))
        return worker

    async def die(self, worker: OutboxWorker) -> None:
        """Stop a worker the way a killed process stops: nothing given back, nothing marked."""
        for index, (candidate, task) in enumerate(self.running):
            if candidate is worker:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await worker.sends.bot.session.close()
                del self.running[index]
                return

    async def queue_digest(self) -> int:
        async with self.sessions.begin() as session:
            row = outbox.enqueue(session, "digest", outbox.DESK, self.clock.now(), payload={"at": "test"})
            await session.flush()
            return row.id

    async def row(self, row_id: int) -> OutboxMessage:
        async with self.sessions() as session:
            return (await session.execute(select(OutboxMessage).where(OutboxMessage.id == row_id))).scalar_one()

    async def tick(self, step: timedelta, *looking: OutboxWorker) -> None:
        """Move the clock by `step`, then wait until each of `looking` has renewed its claims and
        looked for rows of dead workers at the new time."""
        self.clock.advance(step)
        now = self.clock.now()
        await eventually(lambda: all(worker.heartbeat_at == now for worker in looking),
                         f"the workers' heartbeat at {now:%H:%M:%S}")

    async def close(self) -> None:
        for worker, task in self.running:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await worker.sends.bot.session.close()
        await self.engine.dispose()


@pytest.fixture
async def workers(emu, tmp_path, plain_desk):
    (tmp_path / "faq").mkdir(exist_ok=True)
    url, name = await fresh_postgres_database()
    world = Workers(emu, tmp_path, url)
    await migrate.upgrade(world.engine)
    yield world
    await world.close()
    await drop_postgres_database(name)


def digests(emu) -> list:
    return [m for m in emu.chat(DESK_CHAT).messages if "Daily digest" in m.shown_text]


async def test_a_row_claimed_by_a_dead_worker_is_sent_by_another_within_30_seconds(workers, emu):
    row_id = await workers.queue_digest()
    hold = emu.hold("sendMessage", chat_id=DESK_CHAT)
    first = workers.start()
    await hold.arrived()
    claimed_at = (await workers.row(row_id)).claimed_at
    await workers.die(first)
    assert (await workers.row(row_id)).state == "sending"  # the dead worker gave nothing back

    second = workers.start()
    waited = timedelta(0)
    while (await workers.row(row_id)).state != "sent":
        assert waited <= timedelta(seconds=30), "the row of the dead worker was not taken over within 30 s"
        await workers.tick(HEARTBEAT_EVERY, second)
        waited += HEARTBEAT_EVERY
        await eventually(lambda: not second.sending(), "the second worker's send")

    assert TAKEOVER_AFTER < workers.clock.now() - claimed_at <= timedelta(seconds=30)
    row = await workers.row(row_id)
    assert row.attempts == 2
    await eventually(lambda: len(digests(emu)) == 1, "the digest in the agents' group")


async def test_a_live_workers_long_send_is_not_taken_over(workers, emu):
    row_id = await workers.queue_digest()
    hold = emu.hold("sendMessage", chat_id=DESK_CHAT)
    sender = workers.start()
    await hold.arrived()
    other = workers.start()

    for _ in range(8):  # 40 s of the clock, twice the takeover window
        await workers.tick(HEARTBEAT_EVERY, sender, other)
        row = await workers.row(row_id)
        assert (row.state, row.attempts, row.claimed_at) == ("sending", 1, workers.clock.now())
    assert len(emu.calls_to("sendMessage")) == 1

    hold.release()
    await eventually(lambda: len(digests(emu)) == 1, "the digest in the agents' group")
    await eventually(lambda: not sender.sending(), "the sender's send")
    assert (await workers.row(row_id)).state == "sent"
    assert len(emu.calls_to("sendMessage")) == 1


async def test_a_worker_stopping_gracefully_gives_its_row_back_at_once(workers, emu):
    row_id = await workers.queue_digest()
    hold = emu.hold("sendMessage", chat_id=DESK_CHAT)
    leaving = workers.start()
    await hold.arrived()

    assert await leaving.finish(timeout=0) is False
    assert (await workers.row(row_id)).state == "pending"
    workers.start()
    await eventually(lambda: len(digests(emu)) == 1, "the digest sent by the other worker")
