"""The scheduler's sweep: whatever has fallen due is done in one sweep, however many batches it takes."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from desk import sweep
from desk.clock import ManualClock
from desk.customers import Person
from desk.forms import Draft
from desk.settings import SchedulerConfig
from desk.sla import SLA
from desk.sla_config import SLAConfig
from desk.tickets import open_ticket
from storage import migrate
from storage.database import create_engine, create_sessionmaker
from storage.models import OutboxMessage, Reminder

# A Tuesday, 10:00 in Moscow: inside working hours of the default calendar.
START = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)


@pytest.fixture
async def sessions(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}")
    await migrate.upgrade(engine)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def test_reminders_falling_due_together_are_all_done_by_one_sweep(sessions):
    sla, clock = SLA(SLAConfig()), ManualClock(START)
    for n in range(5):
        draft = Draft(title=f"Printer {n}", problem_type="question", details="It jams", criticality="normal")
        async with sessions.begin() as session:
            await open_ticket(session, Person(telegram_id=600 + n, first_name="Anna"), draft, sla=sla, clock=clock)
    clock.advance(timedelta(days=30))  # every first-response and resolution reminder is due

    done = await sweep.sweep(sessions, sla, SchedulerConfig(digest_time="", report_time=""), clock.now(), batch=3)

    async with sessions() as session:
        pending = (await session.execute(
            select(func.count(Reminder.id)).where(Reminder.state == "pending"))).scalar_one()
        events = (await session.execute(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "desk_event"))).scalar_one()
    assert (done, pending, events) == (20, 0, 20)  # 5 tickets × (2 first-response + 2 resolution)


async def test_a_report_planned_by_another_sweep_at_the_same_moment_stops_nothing(sessions, monkeypatch, caplog):
    """Two processes' sweeps both look for the next weekly report's row, find none, and both add it:
    the second insert breaks the key's uniqueness. The sweep goes on with what is due."""
    sla, clock = SLA(SLAConfig()), ManualClock(START)
    draft = Draft(title="Printer", problem_type="question", details="It jams", criticality="normal")
    async with sessions.begin() as session:
        await open_ticket(session, Person(telegram_id=600, first_name="Anna"), draft, sla=sla, clock=clock)
    clock.advance(timedelta(days=30))
    config = SchedulerConfig(digest_time="")
    await sweep.sweep(sessions, sla, config, clock.now())  # plans the next report (and does the due ones)
    async with sessions.begin() as session:  # one more reminder falls due
        draft = Draft(title="Scanner", problem_type="question", details="Stuck", criticality="normal")
        await open_ticket(session, Person(telegram_id=601, first_name="Boris"), draft, sla=sla, clock=clock)
    clock.advance(timedelta(days=1))

    def blind_select(*args, **kwargs):  # the look that found nothing: the other sweep had not committed
        query = select(*args, **kwargs)
        return query.where(Reminder.id < 0) if args and args[0] is Reminder else query

    monkeypatch.setattr("desk.reminders.select", blind_select)
    with caplog.at_level(logging.INFO, logger="desk.sweep"):
        done = await sweep.sweep(sessions, sla, config, clock.now())

    assert done == 2  # the scanner's first-response reminders, despite the clash
    assert "planned by another sweep" in caplog.text
