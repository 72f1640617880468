"""Processed update ids."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import ProcessedUpdate

log = logging.getLogger(__name__)
ATTEMPTS = 3
# Update ids a process that alone serves the database keeps in memory (about 1 MB): a redelivery
# comes soon after, and one of an id let go of is still found in the database.
REMEMBERED = 10_000


async def was_processed(session: AsyncSession, update_id: int) -> bool:
    found = await session.execute(
        select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == update_id)
    )
    return found.first() is not None


class ProcessedMarks:
    """Marks updates processed, many in one transaction: `mark` returns once its id is committed.

    While one batch commits, the ids that arrive meanwhile gather for the next; so a burst of
    updates costs a few write transactions instead of one each, and nothing is acknowledged before
    it is stored.
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], now: Callable[[], datetime]) -> None:
        self._sessionmaker = sessionmaker
        self._now = now
        self._pending: dict[int, asyncio.Future[None]] = {}
        self._flushing: asyncio.Task | None = None

    async def mark(self, update_id: int) -> None:
        future = self._pending.get(update_id)
        if future is None:
            future = self._pending[update_id] = asyncio.get_running_loop().create_future()
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush(), name="processed-updates")
        await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, {}
            try:
                await self._store(batch)
            except Exception:
                # The updates were handled and their effects committed; only the marks are lost, so
                # a redelivery of one of them is handled again (at least once, as after a crash).
                # Failing them instead would answer a webhook 500 and make that redelivery certain.
                log.exception("could not record %d update ids as handled after %d attempts; a redelivery "
                              "of one of them would be handled again", len(batch), ATTEMPTS)
            except BaseException:
                for future in batch.values():
                    future.cancel()
                raise
            for future in batch.values():
                if not future.done():
                    future.set_result(None)

    async def _store(self, batch: dict[int, asyncio.Future[None]]) -> None:
        """One transaction for the batch, tried again on a passing error (a lock held by another process)."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with self._sessionmaker.begin() as session:
                    known = set((await session.execute(
                        select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id.in_(batch))
                    )).scalars())
                    now = self._now()
                    session.add_all(ProcessedUpdate(update_id=update_id, processed_at=now)
                                    for update_id in batch if update_id not in known)
                return
            except Exception:
                if attempt == ATTEMPTS:
                    raise
                log.warning("recording handled update ids failed (attempt %d); trying again", attempt)
                await asyncio.sleep(0.2 * attempt)


class HandledUpdates:
    """Whether an update was handled already, and marking it so (`ProcessedMarks`).

    `only_process`: no other process handles this bot's updates with this database (the embedded
    default). Telegram's update ids grow, so the ids this process marks are kept in memory (the
    last `remembered`), and the database is asked only about an id no greater than the highest
    it held at start, or than the ids memory let go of: one query less for nearly every update.
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], now: Callable[[], datetime], *,
                 only_process: bool = False, remembered: int = REMEMBERED) -> None:
        self._sessionmaker = sessionmaker
        self._marks = ProcessedMarks(sessionmaker, now)
        self._only_process = only_process
        self._remembered = remembered
        self._marked: OrderedDict[int, None] = OrderedDict()
        self._asked_up_to: int | None = None  # ids up to this one are asked in the database

    async def seen(self, update_id: int) -> bool:
        if self._only_process:
            if self._asked_up_to is None:
                async with self._sessionmaker() as session:
                    highest = (await session.execute(select(func.max(ProcessedUpdate.update_id)))).scalar()
                if self._asked_up_to is None:
                    self._asked_up_to = highest if highest is not None else -1
            if update_id > self._asked_up_to:
                return update_id in self._marked
        async with self._sessionmaker() as session:
            return await was_processed(session, update_id)

    async def mark(self, update_id: int) -> None:
        await self._marks.mark(update_id)
        if self._only_process:
            self._marked[update_id] = None
            while len(self._marked) > self._remembered:
                forgotten, _ = self._marked.popitem(last=False)
                self._asked_up_to = max(self._asked_up_to or -1, forgotten)


async def forget_before(session: AsyncSession, moment: datetime) -> int:
    """Drop ids older than `moment` (Telegram keeps undelivered updates for 24 hours at most)."""
    result = await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < moment))
    return result.rowcount or 0
