"""Engine and sessions: SQLite (the embedded default) or PostgreSQL, from one SQLAlchemy URL.

SQLite runs in WAL mode with a busy timeout, on the event loop's own thread
(`storage.sqlite_inline`). A write transaction (`sessionmaker.begin()`) starts with BEGIN
IMMEDIATE, so two writers queue for the lock instead of one failing later with "database is
locked"; and the writers of one process queue on an asyncio lock first, so they wait in turn
rather than in SQLite's busy handler, which sleeps and polls. A plain session (`sessionmaker()`)
only reads: it starts with a deferred BEGIN and, under WAL, reads beside a writer instead of
behind it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from storage.sqlite_inline import CHECKPOINT_WAIT, SAFETY_NET_PAGES, Checkpointer, inline_connector


class DatabaseError(Exception):
    """The database cannot be opened; the message is one line for the operator."""


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, *, busy_timeout_ms: int = 5000) -> AsyncEngine:
    """An async engine for `url`, with SQLite tuned for one file shared by several writers."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"storage.url: not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed.render_as_string(hide_password=False), busy_timeout_ms)
    try:
        return create_async_engine(url, pool_pre_ping=True)
    except Exception as error:
        raise DatabaseError(f"storage.url: cannot use {parsed.get_backend_name()}: {error}") from None


def _sqlite_engine(url: str, busy_timeout_ms: int) -> AsyncEngine:
    parsed = make_url(url)
    database = parsed.database
    in_file = bool(database) and database != ":memory:" and "mode=memory" not in url
    if in_file:
        folder = Path(database).expanduser().resolve().parent
        if not folder.is_dir():
            raise DatabaseError(f"storage.url: folder {folder} does not exist")
    # Connected the way SQLAlchemy's aiosqlite dialect would, but run on the event loop's thread.
    args, options = SQLiteDialect_aiosqlite().create_connect_args(parsed)
    options["timeout"] = busy_timeout_ms / 1000
    engine = create_async_engine(parsed, async_creator=inline_connector(*args, **options))
    # A file's log is checkpointed on a thread, not inside a COMMIT on the loop (storage.sqlite_inline).
    checkpoint_options = {**options, "timeout": CHECKPOINT_WAIT}
    checkpointer = Checkpointer(lambda: sqlite3.connect(*args, **checkpoint_options)) if in_file else None

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if checkpointer is not None:
            cursor.execute(f"PRAGMA wal_autocheckpoint={SAFETY_NET_PAGES}")
        cursor.close()
        # SQLite's own lower() knows only ASCII; searches must fold Cyrillic too, like PostgreSQL.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    if checkpointer is not None:
        event.listen(engine.sync_engine, "commit", lambda _connection: checkpointer.committed())

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN" if connection.get_execution_options().get(READ) else "BEGIN IMMEDIATE")

    return engine


def _lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


# An execution option of the engine plain sessions read through (SQLite: a deferred BEGIN).
READ = "frontdesk_read"


async def ping(engine: AsyncEngine) -> None:
    """`SELECT 1` in a read transaction (never SQLite's write lock); raises what the driver raises
    when the database does not answer."""
    async with engine.execution_options(**{READ: True}).connect() as connection:
        await connection.execute(text("SELECT 1"))


class Sessions(async_sessionmaker[AsyncSession]):
    """Plain sessions read, `begin()` sessions write (see the module's docstring).

    `after_commit(callback)` calls `callback(session)` after each commit of one of these sessions
    (the outbox uses it to wake its worker when a transaction queued something to send)."""

    def __init__(self, engine: AsyncEngine) -> None:
        # A session class of our own, so commit listeners hear only this maker's sessions.
        session_class = type("FrontdeskSession", (Session,), {})
        super().__init__(engine, expire_on_commit=False, sync_session_class=session_class)
        self._committed: list[Callable[[Session], None]] = []
        self._rolled_back: list[Callable[[Session], None]] = []
        event.listen(session_class, "after_commit", lambda session: self._tell(self._committed, session))
        event.listen(session_class, "after_soft_rollback",
                     lambda session, _transaction: self._tell(self._rolled_back, session))
        self._writer = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._reader = engine.execution_options(**{READ: True}) if self._sqlite else engine
        self._write_lock = asyncio.Lock()
        self._writer_task: asyncio.Task | None = None

    def after_commit(self, callback: Callable[[Session], None], *,
                     after_rollback: Callable[[Session], None] | None = None) -> None:
        """Call `callback(session)` after every commit (and `after_rollback` after every rollback)."""
        self._committed.append(callback)
        if after_rollback is not None:
            self._rolled_back.append(after_rollback)

    @staticmethod
    def _tell(callbacks: list[Callable[[Session], None]], session: Session) -> None:
        for callback in callbacks:
            callback(session)

    def __call__(self, **local_kw) -> AsyncSession:
        local_kw.setdefault("bind", self._reader)
        return super().__call__(**local_kw)

    def begin(self):
        """A session in a write transaction, committed at the end of the block (or rolled back)."""
        return self._writing()

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        if not self._sqlite:
            async with super().__call__(bind=self._writer)._maker_context_manager() as session:
                yield session
            return
        me = asyncio.current_task()
        if self._writer_task is me:
            # A write inside this task's own write would wait for itself forever.
            raise OperationalError("BEGIN IMMEDIATE", {}, Exception("nested write transaction in one task"))
        # Writers of this process wait their turn here, in order; only another process's writer
        # makes BEGIN IMMEDIATE wait (up to the busy timeout).
        await self._write_lock.acquire()
        self._writer_task = me
        try:
            async with super().__call__(bind=self._writer)._maker_context_manager() as session:
                yield session
        finally:
            self._writer_task = None
            self._write_lock.release()


def create_sessionmaker(engine: AsyncEngine) -> Sessions:
    return Sessions(engine)
