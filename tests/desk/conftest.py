"""Fixtures of the desk's use-case tests: a migrated SQLite file in a temporary folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from desk_world import Desk

from desk.clock import ManualClock
from desk.sla import SLA
from desk.sla_config import SLAConfig
from storage import migrate
from storage.database import create_engine, create_sessionmaker


@pytest.fixture
async def desk(tmp_path) -> AsyncIterator[Desk]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'frontdesk.db'}")
    try:
        await migrate.upgrade(engine)
        yield Desk(create_sessionmaker(engine), ManualClock(datetime(2026, 3, 10, 9, 0, tzinfo=UTC)),
                   SLA(SLAConfig()))
    finally:
        await engine.dispose()
