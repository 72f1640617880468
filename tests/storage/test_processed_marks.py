"""Processed-update marks are committed in batches; a batch that cannot be stored (another process
holds the SQLite write lock past every retry) is logged and let go, never failing the updates whose
effects are already committed."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from datetime import UTC, datetime

from sqlalchemy import select

from storage import migrate
from storage.database import create_engine, create_sessionmaker
from storage.models import ProcessedUpdate
from storage.updates import ATTEMPTS, ProcessedMarks


async def test_marks_are_stored_and_a_lost_batch_is_logged_not_raised(tmp_path, caplog):
    path = tmp_path / "frontdesk.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}", busy_timeout_ms=50)
    try:
        await migrate.upgrade(engine)
        sessions = create_sessionmaker(engine)
        marks = ProcessedMarks(sessions, lambda: datetime.now(UTC))
        await marks.mark(1)
        with closing(sqlite3.connect(path)) as other:
            other.execute("BEGIN IMMEDIATE")  # another process holds the write lock throughout
            await marks.mark(2)  # returns: the update was handled; only its mark is lost
            other.rollback()
        assert any(f"could not record 1 update ids as handled after {ATTEMPTS} attempts" in r.getMessage()
                   for r in caplog.records if r.levelno == logging.ERROR)
        await marks.mark(3)
        async with sessions() as session:
            stored = set((await session.execute(select(ProcessedUpdate.update_id))).scalars())
        assert stored == {1, 3}
    finally:
        await engine.dispose()
