"""SQLite on the event loop's own thread, behind SQLAlchemy's aiosqlite dialect.

aiosqlite runs every call (a cursor, an execute, a fetch, a commit) on a worker thread of its own
and hands the result back through the event loop. A Frontdesk update makes ~60 such calls, and each
hop passes the GIL between two threads: under a burst of 200 questions that cost about half of the
process's CPU (load_bench, limits lifted: 15.9 → 8.0 ms of CPU per update, 64 → 93 answered/s).
Here the same calls run at once, on the caller's thread, and the awaitables are already done.

That is safe because SQLite is a library, not a server: a statement on a local file takes
microseconds, reads never wait under WAL, and the writers of this process already queue on an
asyncio lock (`storage.database.Sessions`) before BEGIN IMMEDIATE. The one call that can wait is
that BEGIN IMMEDIATE, when *another process* (an admin's command, a second bot) holds the write
lock: it is tried at once without waiting, and only if the lock is taken does it wait — up to the
busy timeout, as before — on a thread, so the event loop keeps serving everyone else meanwhile.
What still runs on the loop: a long statement (a full-text `/find` over 100,000 tickets, ~50 ms)
holds up other updates for that long, as a CPU-bound handler would.

SQLite's automatic WAL checkpoint runs inside the COMMIT that finds the log past 1,000 pages: on
the loop's thread that COMMIT would stall every update for the copy and its fsync. `Checkpointer`
moves it to 10,000 pages (a safety net) and checkpoints on a thread instead, every
`CHECKPOINT_EVERY` commits.

This reuses aiosqlite's `Connection`, whose API SQLAlchemy's dialect speaks, replacing its worker
thread and job queue (aiosqlite 0.22's `_tx`, which the dialect also uses directly).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

# Commits between two checkpoints of the WAL (a FAQ answer's commit writes a few pages: about
# SQLite's own 1,000-page mark).
CHECKPOINT_EVERY = 200
# SQLite's own checkpoint, kept as a safety net far above its default 1,000 pages (should ours fail).
SAFETY_NET_PAGES = 10_000
# How long a checkpoint waits for the writer and the readers of the moment (holding up new writers
# meanwhile, off the loop) before it copies what it can without them, as a PASSIVE one would.
CHECKPOINT_WAIT = 0.05


class _RunAtOnce:
    """aiosqlite's job queue, each job run as it is put (a job: a future and a function)."""

    def put_nowait(self, job: tuple[asyncio.Future | None, Callable[[], Any]]) -> None:
        future, function = job
        try:
            result = function()
        except BaseException as error:  # handed to whoever awaits it, as aiosqlite does
            if future is not None and not future.done():
                future.set_exception(error)
        else:
            if future is not None and not future.done():
                future.set_result(result)


def _takes_the_write_lock(args: tuple[Any, ...]) -> bool:
    return bool(args) and isinstance(args[0], str) and args[0].lstrip()[:15].upper() == "BEGIN IMMEDIATE"


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection without a worker thread (see the module)."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int = 64) -> None:
        super().__init__(connector, iter_chunk_size)
        self._tx = _RunAtOnce()  # type: ignore[assignment]

    def __await__(self):
        return self._connect().__await__()  # no thread to start

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        if _takes_the_write_lock(args):
            return await self._begin_immediate(fn, args, kwargs)
        return fn(*args, **kwargs)

    async def _begin_immediate(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """BEGIN IMMEDIATE at once if the write lock is free; else waiting for it on a thread."""
        connection = self._conn
        (timeout_ms,) = connection.execute("PRAGMA busy_timeout").fetchone()
        connection.execute("PRAGMA busy_timeout=0")
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
        finally:
            connection.execute(f"PRAGMA busy_timeout={int(timeout_ms)}")
        return await asyncio.to_thread(fn, *args, **kwargs)


def inline_connector(database: str, **kwargs: Any) -> Callable[[], Awaitable[InlineConnection]]:
    """For `create_async_engine(async_creator=...)`: opens `sqlite3.connect(database, **kwargs)`
    (usable from the thread a contended BEGIN IMMEDIATE waits on) as an `InlineConnection`."""
    kwargs["check_same_thread"] = False

    async def connect() -> InlineConnection:
        return await InlineConnection(lambda: sqlite3.connect(database, **kwargs))

    return connect


class Checkpointer:
    """Checkpoints the WAL of a database file on a thread, every `every` commits (`committed`
    counts them), one checkpoint at a time; `connect` opens a connection of its own to the file."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], every: int = CHECKPOINT_EVERY) -> None:
        self._connect = connect
        self._every = every
        self._commits = 0
        self._running: asyncio.Future | None = None
        self.completed = 0

    def committed(self) -> None:
        self._commits += 1
        if self._commits < self._every or (self._running is not None and not self._running.done()):
            return
        self._commits = 0
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop to keep free
            self.checkpoint()
            return
        self._running = loop.run_in_executor(None, self.checkpoint)

    def checkpoint(self) -> None:
        """A RESTART checkpoint: it waits (on its thread, at most `CHECKPOINT_WAIT`: `connect` sets
        the timeout) for the writer and readers of the moment, copies the whole log and has the next
        writer start it afresh; meanwhile this process's writers wait for the lock on a thread too
        (`InlineConnection._begin_immediate`), never on the loop. A long reader (a read transaction
        held across a slow call) only makes it copy less, never holds writers up for longer."""
        try:
            with closing(self._connect()) as connection:
                connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
        except sqlite3.Error as error:
            log.warning("checkpointing the SQLite log failed: %s; the next checkpoint tries again", error)
            return
        self.completed += 1
