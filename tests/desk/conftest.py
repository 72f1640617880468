"""Fixtures of the use-case tests: a migrated SQLite database in a temporary file, the desk's
default configuration, and a clock the tests move. No Telegram and no emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from desk_moments import WORKING_HOURS

from desk.clock import ManualClock
from desk.intake import Intake
from desk.lifecycle import Policy
from desk.sla import SLA
from frontdesk.config import Config, parse_config
from storage import migrate
from storage.database import Sessions, create_engine, create_sessionmaker


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'desk.sqlite3'}")
    await migrate.upgrade(engine)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def config() -> Config:
    return parse_config({}, source="test", require_token=False)


@pytest.fixture
def sla(config: Config) -> SLA:
    return SLA(config.sla)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(WORKING_HOURS)


@pytest.fixture
def intake(sessions: Sessions, clock: ManualClock, sla: SLA, config: Config) -> Intake:
    return Intake(sessions, clock, sla, config.form)


@pytest.fixture
def policy(config: Config, sla: SLA) -> Policy:
    return Policy(sla, config.scheduler, config.desk.reopen_days)
