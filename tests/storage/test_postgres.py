"""The same schema, migrations and atomic claims on PostgreSQL (the scale-out path)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from aiogram.fsm.storage.base import StorageKey
from services import drop_postgres_database, fresh_postgres_database
from sqlalchemy import func, select
from test_migrations import _diff, _tables

from desk import coupons, outbox, sweep
from desk.clock import ManualClock
from desk.customers import Person
from desk.forms import Draft
from desk.settings import SchedulerConfig
from desk.sla import SLA
from desk.sla_config import SLAConfig
from desk.tickets import open_ticket
from storage import migrate
from storage.database import create_engine, create_sessionmaker
from storage.fsm import SQLAlchemyStorage
from storage.models import OutboxMessage, Reminder

NOW = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)


@pytest.fixture
async def pg_url():
    url, name = await fresh_postgres_database()
    yield url
    await drop_postgres_database(name)


async def test_migrations_up_down_up_on_postgres(pg_url):
    engine = create_engine(pg_url)
    try:
        await migrate.upgrade(engine)
        assert await _diff(engine) == []
        await migrate.downgrade(engine, "base")
        assert await _tables(engine) <= {"alembic_version"}
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
    finally:
        await engine.dispose()


async def test_fsm_state_on_postgres(pg_url):
    engine = create_engine(pg_url)
    try:
        await migrate.upgrade(engine)
        storage = SQLAlchemyStorage(create_sessionmaker(engine), lambda: NOW)
        key = StorageKey(bot_id=1, chat_id=5, user_id=5)
        await storage.set_state(key, "Form:details")
        await storage.set_data(key, {"draft": {"title": "x"}})
        state, data = await storage.get_state(key), await storage.get_data(key)
        assert (state, data) == ("Form:details", {"draft": {"title": "x"}})
    finally:
        await engine.dispose()


async def _ticket(sessionmaker, sla, clock, title="Down"):
    draft = Draft(title=title, problem_type="question", details="d", criticality="critical")
    async with sessionmaker.begin() as session:
        return (await open_ticket(session, Person(1002, "John"), draft, sla=sla, clock=clock)).ticket


async def test_two_sweepers_on_postgres_do_each_reminder_once(pg_url):
    clock = ManualClock(NOW)
    sla = SLA(SLAConfig())
    engines = [create_engine(pg_url) for _ in range(2)]
    try:
        await migrate.upgrade(engines[0])
        makers = [create_sessionmaker(engine) for engine in engines]
        for index in range(5):
            await _ticket(makers[0], sla, clock, title=f"t{index}")
        clock.advance(timedelta(days=10))
        config = SchedulerConfig(digest_time="")
        done = await asyncio.gather(*(sweep.sweep(maker, sla, config, clock.now()) for maker in makers))
        async with makers[0]() as session:
            sent = (await session.execute(select(func.count(Reminder.id)).where(Reminder.state == "sent"))).scalar_one()
            events = (await session.execute(select(func.count(OutboxMessage.id)).where(
                OutboxMessage.kind == "desk_event"))).scalar_one()
        assert sum(done) == sent == events == 20  # 5 tickets × (2 first-response + 2 resolution)
    finally:
        for engine in engines:
            await engine.dispose()


async def test_outbox_claim_and_coupon_use_are_atomic_on_postgres(pg_url):
    engine = create_engine(pg_url)
    try:
        await migrate.upgrade(engine)
        maker = create_sessionmaker(engine)
        async with maker.begin() as session:
            row = outbox.enqueue(session, "notify", "user:1", NOW, payload={"event": "x"})
            coupon = await coupons.issue(session, 1002, uses=1, valid_days=30, now=NOW)
        await asyncio.sleep(0)

        async def claim() -> bool:
            async with maker.begin() as session:
                return await outbox.claim(session, row.id, NOW)

        async def use() -> str | None:
            async with maker.begin() as session:
                return (await coupons.use(session, coupon.code, 1002, NOW)).problem

        assert sorted(await asyncio.gather(claim(), claim(), claim())) == [False, False, True]
        assert sorted(await asyncio.gather(use(), use()), key=str) == [None, "spent"]
    finally:
        await engine.dispose()
