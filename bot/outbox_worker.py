"""The outbox worker: sends what the domain wrote to the outbox, one chat's rows in order.

Each row is claimed atomically (so two workers, even in two processes, never send one row
twice in the normal case), sent through the Bot API, and marked sent in one transaction with
what the send produced (a card's message id, a relayed message's id). A crash between the
send and that mark sends the row again: at least once, never lost.

Several processes: a live worker renews the claim of the rows it is sending every
`HEARTBEAT_EVERY`; a claim not renewed for `TAKEOVER_AFTER` belongs to a process that died, and
the next worker to look (each looks every `HEARTBEAT_EVERY`) puts the row back to pending and
sends it — within 25 s of the death. A long send of a live worker is never taken over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import desk_sends, sending
from bot.metrics import Metrics
from bot.settings import BotConfig
from desk import outbox
from desk.clock import Clock
from desk.desk_chat import DeskChat
from desk.reminders import FIRST_RESPONSE, RESOLUTION
from desk.sla import SLA
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
#: How often a worker renews its claims and looks for rows of a dead process (clock time).
HEARTBEAT_EVERY = timedelta(seconds=5)
#: A claim not renewed for this long is taken over. Processes' clocks must agree well within
#: TAKEOVER_AFTER - HEARTBEAT_EVERY (NTP does).
TAKEOVER_AFTER = timedelta(seconds=20)


# What the scheduler sends (reminders, escalations, notices, digests) yields to replies to people.
BULK_EVENTS = {*FIRST_RESPONSE, *RESOLUTION, "autoclosed"}


def is_bulk(row: OutboxMessage) -> bool:
    """Whether a row is bulk work rather than a reply someone is waiting for."""
    return row.kind in ("digest", "notify") or (
        row.kind == "desk_event" and (row.payload or {}).get("event") in BULK_EVENTS)


class OutboxWorker:
    def __init__(self, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, config: BotConfig,
                 sla: SLA, i18n: I18n, desk_chat: DeskChat, metrics: Metrics, *, tick: float = 0.25,
                 heartbeat_every: timedelta = HEARTBEAT_EVERY, takeover_after: timedelta = TAKEOVER_AFTER) -> None:
        self.metrics = metrics
        self.sends = desk_sends.DeskSends(bot, sessionmaker, clock, config, sla, i18n, desk_chat)
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.desk_chat = desk_chat
        self.tick = tick
        self.heartbeat_every = heartbeat_every
        self.takeover_after = takeover_after
        #: When this worker last renewed its claims and looked for rows of a dead process.
        self.heartbeat_at: datetime | None = None
        self._wake = asyncio.Event()
        self._busy: set[str] = set()
        #: The rows this worker is sending (claimed by it): their claims are renewed.
        self._held: set[int] = set()
        self._claiming = True
        self._failing = False
        # Held while rows are claimed and their sends started, so `finish` sees every send.
        self._claim_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()

    def sending(self) -> int:
        """How many rows this worker is sending right now."""
        return len(self._held)

    def wake(self) -> None:
        """Something was enqueued: look now rather than at the next tick."""
        self._wake.set()

    async def run(self) -> None:
        """Send until cancelled. Cancelling is an abrupt stop, as if the process died: the rows being
        sent stay claimed until another worker takes them over (`finish` stops gracefully)."""
        try:
            while True:
                # Cleared before looking, so a wake() while we look is not lost until the next tick.
                self._wake.clear()
                try:
                    now = self.clock.now()
                    if self.heartbeat_at is None or now >= self.heartbeat_at + self.heartbeat_every:
                        await self._heartbeat(now)
                    if self._claiming:
                        async with self.sessionmaker() as session:
                            heads = await outbox.due_heads(session, now, self._busy)
                        self.metrics.backlog.set(len(heads) + len(self._busy))
                        if heads:
                            await self._start(heads)
                    if self._failing:
                        log.warning("the outbox worker reads the outbox again")
                        self._failing = False
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # Once per outage (the database away for a while), not at every tick.
                    if not self._failing:
                        log.exception("the outbox worker could not read the outbox; trying again every %gs",
                                      self.tick)
                    self._failing = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.tick)
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _heartbeat(self, now: datetime) -> None:
        """Renew the claims of the rows this worker is sending; take over the rows of a dead process."""
        async with self.sessionmaker.begin() as session:
            await outbox.renew_claims(session, self._held, now)
            taken = await outbox.release_stale(session, now, self.takeover_after, keep=self._held)
        self.heartbeat_at = now
        if taken:
            log.warning("outbox: %d rows whose claim was not renewed for %s (their process stopped) "
                        "are sent again", taken, self.takeover_after)

    async def finish(self, timeout: float) -> bool:
        """A graceful stop: claim nothing more, let the rows being sent finish (up to `timeout`
        seconds), and give back those that did not, for another worker or the next start.
        True when every send finished. Cancel `run` afterwards."""
        self._claiming = False
        async with self._claim_lock:
            pending = set(self._tasks)
        if pending:
            _, pending = await asyncio.wait(pending, timeout=timeout)
        # The rows of the sends still running (a finished send has dropped its own).
        held = set(self._held)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if held:
            try:
                async with self.sessionmaker.begin() as session:
                    await outbox.release(session, held)
            except Exception:
                log.exception("outbox: could not give back rows %s; another process takes them over after %s",
                              sorted(held), self.takeover_after)
            else:
                log.warning("outbox: stopping before rows %s were sent; they go out again", sorted(held))
        return not pending

    async def _start(self, row_ids: list[int]) -> None:
        """Claim the rows in one transaction and send each in its own task."""
        async with self._claim_lock:
            if not self._claiming:
                return
            async with self.sessionmaker.begin() as session:
                now = self.clock.now()
                claimed = [row_id for row_id in row_ids if await outbox.claim(session, row_id, now)]
                rows = [await session.get(OutboxMessage, row_id) for row_id in claimed]
            for row in rows:
                self._busy.add(row.chat_key)
                self._held.add(row.id)
                task = asyncio.create_task(self._send(row), name=f"outbox-{row.id}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float = 10.0) -> None:
        """Send everything due now (for the demo and tests); returns when nothing is left."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            async with self.sessionmaker() as session:
                heads = await outbox.due_heads(session, self.clock.now(), set())
            if not heads and not self._tasks:
                return
            self.wake()
            await asyncio.sleep(0.05)

    async def _send(self, row: OutboxMessage) -> None:
        try:
            with sending.bulk() if is_bulk(row) else contextlib.nullcontext():
                await self.sends.send(row)
            self.metrics.sent.labels(row.kind).inc()
        except TelegramRetryAfter as error:
            await self._later(row, timedelta(seconds=error.retry_after), f"429: retry after {error.retry_after}s")
        except TelegramMigrateToChat as error:
            async with self.sessionmaker.begin() as session:
                if row.chat_key == outbox.DESK:
                    await self.desk_chat.migrated(session, error.migrate_to_chat_id)
                    log.warning("the agent group moved to %s; following it", error.migrate_to_chat_id)
                await outbox.retry_later(session, row.id, self.clock.now(), "chat migrated")
        except TelegramForbiddenError as error:
            await self.sends.forbidden(row, error)
        except TelegramBadRequest as error:
            log.error("outbox #%s (%s) refused by Telegram: %s", row.id, row.kind, error.message)
            async with self.sessionmaker.begin() as session:
                await outbox.give_up(session, row.id, f"400: {error.message}")
            self.metrics.failed.labels(row.kind).inc()
        except (TelegramNetworkError, TelegramServerError, ClientDecodeError) as error:
            await self._later(row, timedelta(seconds=min(2 ** row.attempts, 300)), str(error))
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.exception("outbox #%s (%s) failed", row.id, row.kind)
            await self._later(row, timedelta(seconds=min(2 ** row.attempts, 300)), repr(error))
        finally:
            self._busy.discard(row.chat_key)
            self._held.discard(row.id)
            self.wake()

    async def _later(self, row: OutboxMessage, delay: timedelta, error: str) -> None:
        async with self.sessionmaker.begin() as session:
            if row.attempts >= MAX_ATTEMPTS:
                log.error("outbox #%s (%s) given up after %d attempts: %s", row.id, row.kind, row.attempts, error)
                await outbox.give_up(session, row.id, error)
                self.metrics.failed.labels(row.kind).inc()
            else:
                log.warning("outbox #%s (%s) attempt %d failed: %s; again in %s", row.id, row.kind,
                            row.attempts, error, delay)
                await outbox.retry_later(session, row.id, self.clock.now() + delay, error)
