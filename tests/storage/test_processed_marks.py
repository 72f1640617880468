"""Processed-update marks are committed in batches; a batch that cannot be stored (another process
holds the SQLite write lock past every retry) is logged and let go, never failing the updates whose
effects are already committed."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from datetime import UTC, datetime

from sqlalchemy import event, select

from storage import migrate
from storage.database import create_engine, create_sessionmaker
from storage.models import ProcessedUpdate
from storage.updates import ATTEMPTS, HandledUpdates, ProcessedMarks


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


async def test_one_process_asks_the_database_only_about_ids_it_cannot_know(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'frontdesk.db'}")
    try:
        await migrate.upgrade(engine)
        sessions = create_sessionmaker(engine)
        now = lambda: datetime.now(UTC)  # noqa: E731
        before = HandledUpdates(sessions, now)
        for update_id in (10, 12):
            await before.mark(update_id)  # handled before this process started
        statements = []
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

        handled = HandledUpdates(sessions, now, only_process=True, remembered=2)
        assert [await handled.seen(n) for n in (10, 11, 12)] == [True, False, True]  # asked: up to 12
        asked = len(statements)
        assert not await handled.seen(13)
        await handled.mark(13)
        await handled.mark(14)
        writes = len(statements)
        assert await handled.seen(13) and await handled.seen(14) and not await handled.seen(15)
        assert len(statements) == writes > asked  # known from memory
        await handled.mark(15)  # 13 is let go of memory: asked in the database again
        assert await handled.seen(13) and len(statements) > writes + 2

        # Without `only_process`, every question goes to the database.
        shared = HandledUpdates(sessions, now)
        counted = len(statements)
        assert await shared.seen(14) and not await shared.seen(99)
        assert len(statements) == counted + 2 * 2  # BEGIN and SELECT each
    finally:
        await engine.dispose()
