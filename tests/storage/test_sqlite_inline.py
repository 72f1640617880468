"""SQLite on the event loop's thread (`storage.sqlite_inline`): no worker threads, errors as before,
and a write lock held by another process waited for off the loop, within the busy timeout."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage.database import create_engine, create_sessionmaker
from storage.sqlite_inline import SAFETY_NET_PAGES

pytestmark = pytest.mark.asyncio

WAIT = 10.0  # seconds any condition below may take before the test fails


async def test_statements_run_without_a_thread_per_connection(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    sessions = create_sessionmaker(engine)
    before = threading.active_count()
    async with sessions.begin() as session:
        await session.execute(text("CREATE TABLE t (n INTEGER)"))
        await session.execute(text("INSERT INTO t VALUES (1), (2)"))
    async with sessions() as session:
        assert (await session.execute(text("SELECT sum(n) FROM t"))).scalar() == 3
        assert threading.active_count() == before
    await engine.dispose()


async def test_a_bad_statement_fails_as_it_did_and_the_connection_goes_on(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    sessions = create_sessionmaker(engine)
    with pytest.raises(OperationalError, match="no such table"):
        async with sessions.begin() as session:
            await session.execute(text("SELECT * FROM missing"))
    async with sessions.begin() as session:
        assert (await session.execute(text("SELECT 7"))).scalar() == 7
    await engine.dispose()


def hold_write_lock(path) -> sqlite3.Connection:
    """Another process's writer, as far as SQLite can tell: its own connection in BEGIN IMMEDIATE."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("PRAGMA journal_mode=WAL")
    other.execute("BEGIN IMMEDIATE")
    return other


async def locked_out(path, busy_timeout_ms: int):
    """An engine over a database with a table `t`, whose write lock another writer then holds."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}", busy_timeout_ms=busy_timeout_ms)
    sessions = create_sessionmaker(engine)
    async with sessions.begin() as session:
        await session.execute(text("CREATE TABLE t (n INTEGER)"))
    return engine, sessions, hold_write_lock(path)


async def insert_one(sessions) -> None:
    async with sessions.begin() as session:
        await session.execute(text("INSERT INTO t VALUES (1)"))


async def test_a_write_lock_held_elsewhere_is_waited_for_while_the_loop_serves_others(tmp_path):
    engine, sessions, other = await locked_out(tmp_path / "a.db", 20_000)
    ticked = asyncio.Event()

    async def tick() -> None:
        for _ in range(50):
            await asyncio.sleep(0.001)
        ticked.set()

    writer, ticker = asyncio.create_task(insert_one(sessions)), asyncio.create_task(tick())
    try:
        async with asyncio.timeout(WAIT):  # the loop keeps serving others while the writer waits
            await ticked.wait()
        assert not writer.done()  # still waiting for the other writer
        async with sessions() as session:  # and reads go on beside it (WAL)
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 0
        other.commit()
        async with asyncio.timeout(WAIT):
            await writer
    finally:
        ticker.cancel()
        other.close()
    async with sessions() as session:
        assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 1
    await engine.dispose()


async def test_the_busy_timeout_still_bounds_that_wait(tmp_path):
    engine, sessions, other = await locked_out(tmp_path / "a.db", 50)
    try:
        with pytest.raises(OperationalError, match="locked"):
            await insert_one(sessions)
    finally:
        other.close()
    async with sessions.begin() as session:  # the timeout is back to 50 ms, not left at 0
        assert (await session.execute(text("PRAGMA busy_timeout"))).scalar() == 50
    await engine.dispose()


async def test_the_log_is_checkpointed_off_the_loop_and_stays_small(tmp_path):
    """SQLite's own checkpoint (inside a COMMIT, so on the loop) waits for 10,000 pages; ours keeps
    the log short: 2,000 commits, a millisecond apart, would leave ~2,000 pages in it otherwise."""
    path = tmp_path / "a.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    sessions = create_sessionmaker(engine)
    async with sessions.begin() as session:
        assert (await session.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == SAFETY_NET_PAGES
        await session.execute(text("CREATE TABLE t (n INTEGER, pad TEXT)"))
        page = (await session.execute(text("PRAGMA page_size"))).scalar()
    for n in range(2000):
        async with sessions.begin() as session:
            await session.execute(text("INSERT INTO t VALUES (:n, :pad)"), {"n": n, "pad": "x" * 200})
        await asyncio.sleep(0.001)  # a bot's commits come apart
    wal = path.with_name(path.name + "-wal")
    assert wal.stat().st_size < 1000 * page  # SQLite's own mark, for scale
    async with sessions() as session:
        assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 2000
    await engine.dispose()
