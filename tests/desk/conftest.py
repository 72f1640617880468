"""Fixtures of the desk's use-case tests: a migrated SQLite file in a temporary folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from desk_world import Desk

from desk.clock import ManualClock
from desk.intake import Intake
from desk.lifecycle import Policy
from desk.settings import DeskConfig, FormConfig, SchedulerConfig
from desk.sla import SLA
from desk.sla_config import SLAConfig
from storage import migrate
from storage.database import Sessions, create_engine, create_sessionmaker


@pytest.fixture
async def desk(tmp_path) -> AsyncIterator[Desk]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'frontdesk.db'}")
    try:
        await migrate.upgrade(engine)
        yield Desk(create_sessionmaker(engine), ManualClock(datetime(2026, 3, 10, 9, 0, tzinfo=UTC)),
                   SLA(SLAConfig()))
    finally:
        await engine.dispose()


@pytest.fixture
def sessions(desk: Desk) -> Sessions:
    """The desk's database: plain sessions read, `begin()` writes."""
    return desk.sessions


@pytest.fixture
def clock(desk: Desk) -> ManualClock:
    """The desk's clock (a Tuesday, 12:00 in Moscow: support is open)."""
    return desk.clock


@pytest.fixture
def policy(desk: Desk) -> Policy:
    return Policy(desk.sla, SchedulerConfig(), DeskConfig().reopen_days)


@pytest.fixture
def intake(desk: Desk) -> Intake:
    """The intake with the default request form."""
    return Intake(desk.sessions, desk.clock, desk.sla, FormConfig())
