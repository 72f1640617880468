"""The scheduler's work as data: reminders are rows with a due time (`desk.sweep` does what is due).

Kinds, per ticket: `fr_reminder` / `fr_breach` (first response), `res_reminder` / `res_breach`
(resolution), `customer_reminder`, `autoclose_notice`, `autoclose`; and `digest` (daily, none).
Each row is claimed by a conditional UPDATE (pending → sent) checked by its row count, in the
same transaction as the outbox rows it writes: two sweepers, or a sweep repeated after a
restart, can never send one reminder twice; one that fell due while the bot was down is sent
by the first sweep after it comes back.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from desk.forms import CRITICALITIES
from desk.settings import SchedulerConfig
from desk.sla import SLA
from storage.models import Reminder, Ticket

FIRST_RESPONSE = ("fr_reminder", "fr_breach")
RESOLUTION = ("res_reminder", "res_breach")
CUSTOMER_SILENCE = ("customer_reminder", "autoclose_notice", "autoclose")
BATCH = 100


def _priority(ticket: Ticket) -> int:
    return CRITICALITIES.index(ticket.criticality) if ticket.criticality in CRITICALITIES else 0


async def _schedule(session: AsyncSession, kind: str, due: datetime, now: datetime, *,
                    ticket: Ticket | None = None) -> None:
    key = f"{kind}:{ticket.id if ticket else '-'}:{int(due.timestamp())}"
    existing = (await session.execute(select(Reminder).where(Reminder.key == key))).scalar_one_or_none()
    if existing is None:
        session.add(Reminder(key=key, kind=kind, ticket_id=ticket.id if ticket else None, due_at=due,
                             priority=_priority(ticket) if ticket else 0, state="pending", created_at=now))
    elif existing.state == "cancelled":
        # Planned again in the same second it was cancelled (a double press): it is wanted after all.
        existing.state = "pending"


async def cancel(session: AsyncSession, ticket_id: int, kinds: tuple[str, ...]) -> None:
    await session.execute(
        update(Reminder)
        .where(Reminder.ticket_id == ticket_id, Reminder.kind.in_(kinds), Reminder.state == "pending")
        .values(state="cancelled")
    )


async def plan_ticket(session: AsyncSession, ticket: Ticket, sla: SLA, now: datetime) -> None:
    """The SLA reminders of a new (or reopened) ticket: before each deadline, and at it."""
    opened = ticket.created_at
    if ticket.first_response_at is None and ticket.first_response_due is not None:
        await _schedule(session, "fr_reminder", sla.reminder_at(opened, ticket.first_response_due, ticket.plan),
                        now, ticket=ticket)
        await _schedule(session, "fr_breach", ticket.first_response_due, now, ticket=ticket)
    if ticket.resolution_due is not None:
        await _schedule(session, "res_reminder", sla.reminder_at(opened, ticket.resolution_due, ticket.plan),
                        now, ticket=ticket)
        await _schedule(session, "res_breach", ticket.resolution_due, now, ticket=ticket)


async def plan_reply(session: AsyncSession, ticket: Ticket, sla: SLA, now: datetime) -> None:
    """The reminders of a reply clock started again (a reopened or un-resolved ticket)."""
    since, due = ticket.reply_clock_since, ticket.reply_due
    if since is not None and due is not None:
        await _schedule(session, "fr_reminder", sla.reminder_at(since, due, ticket.plan), now, ticket=ticket)
        await _schedule(session, "fr_breach", due, now, ticket=ticket)


async def plan_silence(session: AsyncSession, ticket: Ticket, config: SchedulerConfig, now: datetime) -> None:
    """The ball is in the customer's court: remind them, warn them, then close the ticket."""
    await cancel(session, ticket.id, CUSTOMER_SILENCE)
    closing = now + timedelta(hours=config.autoclose_hours)
    await _schedule(session, "customer_reminder", now + timedelta(hours=config.customer_reminder_hours), now,
                    ticket=ticket)
    if config.autoclose_notice_hours:
        await _schedule(session, "autoclose_notice", closing - timedelta(hours=config.autoclose_notice_hours),
                        now, ticket=ticket)
    await _schedule(session, "autoclose", closing, now, ticket=ticket)


def _at(day: date, hh_mm: str, sla: SLA) -> datetime:
    """`hh_mm` ("09:30") on `day`, in the desk's time zone."""
    hour, minute = (int(part) for part in hh_mm.split(":"))
    return datetime.combine(day, time(hour, minute), sla.calendar.tz)


def next_digest(now: datetime, sla: SLA, digest_time: str) -> datetime | None:
    """The next digest moment: `digest_time` local on the next working day at or after now."""
    if not digest_time:
        return None
    calendar = sla.calendar
    day = now.astimezone(calendar.tz).date()
    for _ in range(400):
        moment = _at(day, digest_time, sla)
        if moment > now and calendar.is_working_day(day):
            return moment
        day += timedelta(days=1)
    return None


async def plan_digest(session: AsyncSession, sla: SLA, digest_time: str, now: datetime) -> None:
    moment = next_digest(now, sla, digest_time)
    if moment is not None:
        await _schedule(session, "digest", moment, now)


def next_weekly_report(now: datetime, sla: SLA, weekday: int, report_time: str) -> datetime | None:
    """The next weekly report moment: `report_time` local on ISO `weekday`, after now."""
    if not report_time:
        return None
    local = now.astimezone(sla.calendar.tz)
    day = local.date() + timedelta(days=(weekday - local.isoweekday()) % 7)
    moment = _at(day, report_time, sla)
    return moment if moment > now else _at(day + timedelta(days=7), report_time, sla)


async def plan_weekly_report(session: AsyncSession, sla: SLA, config: SchedulerConfig, now: datetime) -> None:
    """The next weekly report; one planned for another moment (the config changed) is cancelled."""
    moment = next_weekly_report(now, sla, config.report_day, config.report_time)
    # Only future ones: a report already due (not yet swept) still goes.
    stale = update(Reminder).where(Reminder.kind == "weekly_report", Reminder.state == "pending",
                                   Reminder.due_at > now)
    if moment is not None:
        stale = stale.where(Reminder.due_at != moment)
    await session.execute(stale.values(state="cancelled"))
    if moment is not None:
        await _schedule(session, "weekly_report", moment, now)


async def due(session: AsyncSession, now: datetime, limit: int = BATCH) -> list[int]:
    """Ids of up to `limit` pending reminders due by `now`: critical tickets first, then the oldest due."""
    query = (
        select(Reminder.id)
        .where(Reminder.state == "pending", Reminder.due_at <= now)
        .order_by(Reminder.priority.desc(), Reminder.due_at, Reminder.id)
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        # Another sweeper's rows are skipped rather than waited for; the claim below decides anyway.
        query = query.with_for_update(skip_locked=True)
    return list((await session.execute(query)).scalars())


async def claim(session: AsyncSession, reminder_id: int, now: datetime) -> Reminder | None:
    """Take the reminder (pending → sent); None if another sweeper has it already."""
    result = await session.execute(
        update(Reminder).where(Reminder.id == reminder_id, Reminder.state == "pending")
        .values(state="sent", sent_at=now)
    )
    if result.rowcount != 1:
        return None
    return await session.get(Reminder, reminder_id)
