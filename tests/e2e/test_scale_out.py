"""The scale-out path: the same bot on PostgreSQL for data and Redis for conversation state."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis
from services import REDIS_URL, drop_postgres_database, fresh_postgres_database, need
from sqlalchemy import select
from world import Running, make_config

from storage.database import create_engine, create_sessionmaker
from storage.models import Ticket


@pytest.fixture
async def pg_url():
    url, name = await fresh_postgres_database()
    yield url
    await drop_postgres_database(name)


async def test_a_request_on_postgres_and_redis_survives_a_restart(emu, john, talk, tmp_path, pg_url):
    need("127.0.0.1", 6379, "Redis")
    (tmp_path / "faq").mkdir()
    redis = Redis.from_url(REDIS_URL)
    try:
        stale = [key async for key in redis.scan_iter(match=f"fsm:{emu.bot_user.id}:*")]
        if stale:
            await redis.delete(*stale)  # what an earlier run of this test left
    finally:
        await redis.aclose(close_connection_pool=True)
    config = make_config(emu, tmp_path, storage={"url": pg_url, "fsm_url": REDIS_URL})
    running = Running(config)
    await running.start()
    try:
        t = talk(john)
        await t.send("/new", expect="New request")
        step = await t.send("On PostgreSQL", expect="What kind of problem")
        await running.restart()  # the form's state is in Redis, not in the process
        step = await t.press(step, "Question", expect="Describe the problem")
        await t.send("Details survive a restart with Redis.", expect="Added")
        await running.restart()
        step = await t.press(t.view.last, "➡️ Continue", expect="How critical")
        preview = await t.press(step, "🟠 High", expect="Check your request")
        await t.press(preview, "✅ Send the request", expect="is registered")
    finally:
        await running.stop()
    engine = create_engine(pg_url)
    try:
        async with create_sessionmaker(engine)() as session:
            ticket = (await session.execute(select(Ticket))).scalar_one()
    finally:
        await engine.dispose()
    assert (ticket.title, ticket.criticality) == ("On PostgreSQL", "high")
