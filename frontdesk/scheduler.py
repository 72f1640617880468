"""The scheduler: APScheduler runs one periodic sweep; the reminders themselves live in the database.

APScheduler's own defaults would drop reminders after a restart (a misfire grace of one second,
one-off jobs deleted when submitted), and its job stores must not be shared between processes.
So it keeps a single interval job in memory — never a reminder — and every reminder is a row
that the sweep claims atomically (desk.reminders).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.metrics import Metrics
from desk import privacy, sweep
from desk.clock import Clock
from desk.settings import SchedulerConfig
from desk.sla import SLA
from storage import updates as processed_updates

log = logging.getLogger(__name__)
UPDATE_MEMORY = timedelta(days=2)


class Scheduler:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], sla: SLA, config: SchedulerConfig,
                 clock: Clock, metrics: Metrics | None = None,
                 retention_days: int = 0) -> None:
        self.metrics = metrics
        self.retention_days = retention_days
        self.sessionmaker = sessionmaker
        self.sla = sla
        self.config = config
        self.clock = clock
        self._scheduler: AsyncIOScheduler | None = None
        # Set while no sweep runs, so a graceful stop can wait for the one that does.
        self._idle = asyncio.Event()
        self._idle.set()

    async def sweep(self) -> int:
        """Do everything that has fallen due by now (also what fell due while the bot was down)."""
        self._idle.clear()
        try:
            done = await sweep.sweep(self.sessionmaker, self.sla, self.config, self.clock.now())
            async with self.sessionmaker.begin() as session:
                # Telegram keeps an undelivered update for 24 hours: older ids cannot come again.
                await processed_updates.forget_before(session, self.clock.now() - UPDATE_MEMORY)
            if self.retention_days:
                async with self.sessionmaker.begin() as session:
                    cutoff = self.clock.now() - timedelta(days=self.retention_days)
                    erased = await privacy.erase_closed_before(session, cutoff)
                if erased:
                    log.info("retention: erased the content of %d tickets closed before %s", erased, cutoff)
        except Exception:
            log.exception("scheduler sweep failed; the next one will try again")
            return 0
        finally:
            self._idle.set()
        if done and self.metrics is not None:
            self.metrics.reminders.inc(done)
        return done

    def start(self) -> None:
        self._scheduler = AsyncIOScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        )
        # The first sweep right away (APScheduler's own clock): catch up on what fell due while the
        # bot was down; then one every `sweep_seconds`.
        self._scheduler.add_job(self.sweep, "interval", seconds=self.config.sweep_seconds, id="sweep",
                                next_run_time=datetime.now(UTC))
        self._scheduler.start()

    async def finish(self, timeout: float) -> bool:
        """Start no more sweeps and wait up to `timeout` seconds for the one running; True if none
        is left running. (A sweep cut short loses nothing: each reminder is claimed in the
        transaction that does its work.)"""
        self.stop()
        if self._idle.is_set():
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None
