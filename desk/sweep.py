"""The scheduler's sweep: every reminder that has fallen due is done, each in its own transaction.

A reminder is claimed (pending → sent) in the same transaction as what it does, so two sweepers, or
a sweep repeated after a restart, never do one twice (see `desk.reminders`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from desk import lifecycle, outbox
from desk.lifecycle import State
from desk.reminders import (
    BATCH,
    FIRST_RESPONSE,
    RESOLUTION,
    claim,
    due,
    plan_digest,
    plan_weekly_report,
)
from desk.settings import SchedulerConfig
from desk.sla import SLA
from desk.tickets import get_ticket
from storage.models import Reminder

log = logging.getLogger(__name__)


async def sweep(sessionmaker: async_sessionmaker[AsyncSession], sla: SLA, config: SchedulerConfig,
                now: datetime, *, batch: int = BATCH) -> int:
    """Do every reminder due by `now`, each in its own transaction, read `batch` at a time; returns
    how many were done."""
    done = 0
    try:
        async with sessionmaker.begin() as session:
            await plan_digest(session, sla, config.digest_time, now)
            await plan_weekly_report(session, sla, config, now)
    except IntegrityError:
        # Another process's sweep planned the same digest or report between our look and our insert
        # (their key is unique): it is planned, which is all this wanted.
        log.info("the digest and weekly report were planned by another sweep at the same moment")
    while True:
        # Batch after batch until what is due is done: a thousand reminders falling due at once go
        # out in this sweep, not a batch per sweep (minutes apart). Each claimed one leaves the
        # pending rows, so the loop ends; a batch another sweeper took entirely ends it too.
        async with sessionmaker() as session:
            ids = await due(session, now, batch)
        claimed = 0
        for reminder_id in ids:
            async with sessionmaker.begin() as session:
                reminder = await claim(session, reminder_id, now)
                if reminder is None:
                    continue
                await _act(session, reminder, sla, config, now)
            claimed += 1
        done += claimed
        if len(ids) < batch or not claimed:
            return done


async def _act(session: AsyncSession, reminder: Reminder, sla: SLA, config: SchedulerConfig, now: datetime) -> None:
    if reminder.kind == "digest":
        outbox.enqueue(session, "digest", outbox.DESK, now, payload={"at": reminder.due_at.isoformat()})
        await plan_digest(session, sla, config.digest_time, now)
        return
    if reminder.kind == "weekly_report":
        # The seven whole days before the report's day (in the desk's zone).
        day = reminder.due_at.astimezone(sla.calendar.tz).date()
        outbox.enqueue(session, "weekly_report", outbox.DESK, now, payload={"until": day.isoformat()})
        await plan_weekly_report(session, sla, config, now)
        return
    ticket = await get_ticket(session, reminder.ticket_id)
    if ticket is None or ticket.state == State.CLOSED:
        return
    late = now - reminder.due_at > timedelta(minutes=5)
    payload = {"event": reminder.kind, "late": late}
    if reminder.kind in FIRST_RESPONSE:
        if not lifecycle.owes_reply(ticket):
            return
        outbox.enqueue(session, "desk_event", outbox.DESK, now, ticket_id=ticket.id, payload=payload,
                       priority=reminder.priority)
    elif reminder.kind in RESOLUTION:
        if ticket.state == State.RESOLVED:
            return
        outbox.enqueue(session, "desk_event", outbox.DESK, now, ticket_id=ticket.id, payload=payload,
                       priority=reminder.priority)
    elif reminder.kind in ("customer_reminder", "autoclose_notice"):
        if ticket.state not in (State.WAITING, State.RESOLVED):
            return
        closing = (await session.execute(
            select(Reminder.due_at).where(Reminder.ticket_id == ticket.id, Reminder.kind == "autoclose",
                                          Reminder.state == "pending").order_by(Reminder.due_at)
        )).scalars().first()
        hours = (closing - now).total_seconds() / 3600 if closing else config.autoclose_hours
        outbox.enqueue(session, "notify", outbox.customer_key(ticket.customer.telegram_id), now,
                       ticket_id=ticket.id, payload={**payload, "hours_left": max(round(hours), 1)})
    elif reminder.kind == "autoclose":
        if ticket.state not in (State.WAITING, State.RESOLVED):
            return
        await lifecycle.close(session, ticket, lifecycle.Actor(0, "Frontdesk"), now, by_customer=False)
        outbox.enqueue(session, "desk_event", outbox.DESK, now, ticket_id=ticket.id,
                       payload={"event": "autoclosed", "hours": config.autoclose_hours})
    log.info("reminder %s for ticket #%s done%s", reminder.kind, ticket.id, " (late)" if late else "")
