"""The outbox: what must reach a customer or the agent group is written here first, in the same
transaction as the change that caused it, and sent by the worker afterwards (at least once)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.database import Sessions
from storage.models import OutboxMessage

DESK = "desk"
# Set in a session's info when it queued a row: its commit wakes the worker.
_QUEUED = "frontdesk_outbox_queued"


def wake_after_commit(sessionmaker: Sessions, wake: Callable[[], None]) -> None:
    """Call `wake()` after each commit that queued something to send, so it goes out at once
    (use cases never wake the sender themselves, and nothing is woken for a rolled-back row)."""

    def committed(session: Session) -> None:
        if session.info.pop(_QUEUED, False):
            wake()

    def rolled_back(session: Session) -> None:
        session.info.pop(_QUEUED, None)

    sessionmaker.after_commit(committed, after_rollback=rolled_back)


def customer_key(telegram_id: int) -> str:
    return f"user:{telegram_id}"


def enqueue(
    session: AsyncSession,
    kind: str,
    chat_key: str,
    now: datetime,
    *,
    ticket_id: int | None = None,
    ticket_message_id: int | None = None,
    payload: dict[str, Any] | None = None,
    priority: int = 0,
) -> OutboxMessage:
    """Add a row to send; it goes out after the caller's transaction commits (see `wake_after_commit`)."""
    session.info[_QUEUED] = True
    row = OutboxMessage(
        kind=kind,
        chat_key=chat_key,
        ticket_id=ticket_id,
        ticket_message_id=ticket_message_id,
        payload=payload or {},
        state="pending",
        priority=priority,
        attempts=0,
        not_before=now,
        created_at=now,
    )
    session.add(row)
    return row


async def due_heads(session: AsyncSession, now: datetime, busy: set[str], limit: int = 50) -> list[int]:
    """Ids of rows ready to send: for each chat, its oldest unsent row if it is due and pending.

    A chat's rows go out in order: while its oldest row waits for a retry (or is being sent),
    the later ones wait too. Higher priority chats (critical tickets) come first.
    """
    heads = (
        select(OutboxMessage.chat_key, func.min(OutboxMessage.id).label("head"))
        .where(OutboxMessage.state.in_(("pending", "sending")))
        .group_by(OutboxMessage.chat_key)
        .subquery()
    )
    rows = await session.execute(
        select(OutboxMessage.id, OutboxMessage.chat_key)
        .join(heads, OutboxMessage.id == heads.c.head)
        .where(OutboxMessage.state == "pending", OutboxMessage.not_before <= now)
        .order_by(OutboxMessage.priority.desc(), OutboxMessage.id)
        .limit(limit)
    )
    return [row_id for row_id, chat_key in rows if chat_key not in busy]


async def claim(session: AsyncSession, row_id: int, now: datetime) -> bool:
    """Take a row for sending; False if another worker (or process) took it first."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.state == "pending")
        .values(state="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
    )
    return result.rowcount == 1


async def mark_sent(session: AsyncSession, row: OutboxMessage, now: datetime) -> None:
    row.state = "sent"
    row.sent_at = now
    row.error = None


async def retry_later(session: AsyncSession, row_id: int, not_before: datetime, error: str) -> None:
    """Back to pending, due again at `not_before`. Only a row still being sent: one that another
    process took over and has sent meanwhile stays sent."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.state == "sending")
        .values(state="pending", not_before=not_before, error=error[:500])
    )


async def give_up(session: AsyncSession, row_id: int, error: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.state != "sent")
        .values(state="failed", error=error[:500])
    )


async def renew_claims(session: AsyncSession, row_ids: Collection[int], now: datetime) -> int:
    """The heartbeat of a live worker: the rows it is sending are still claimed, as of `now`."""
    if not row_ids:
        return 0
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(row_ids)), OutboxMessage.state == "sending")
        .values(claimed_at=now)
    )
    return result.rowcount or 0


async def release_stale(session: AsyncSession, now: datetime, older_than: timedelta,
                        keep: Collection[int] = ()) -> int:
    """Rows whose claim was not renewed for `older_than` belong to a process that died: back to
    pending, so a live worker sends them (again). `keep`: the caller's own rows, never released."""
    stale = (OutboxMessage.state == "sending") & (OutboxMessage.claimed_at < now - older_than)
    if keep:
        stale = stale & OutboxMessage.id.not_in(list(keep))
    result = await session.execute(update(OutboxMessage).where(stale).values(state="pending"))
    return result.rowcount or 0


async def release(session: AsyncSession, row_ids: Collection[int]) -> int:
    """A worker that stops while sending gives its rows back (to pending) for another to send."""
    if not row_ids:
        return 0
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(row_ids)), OutboxMessage.state == "sending")
        .values(state="pending")
    )
    return result.rowcount or 0


async def release_all_sending(session: AsyncSession) -> int:
    """At start of the only process: whatever was being sent when it stopped goes out again."""
    result = await session.execute(
        update(OutboxMessage).where(OutboxMessage.state == "sending").values(state="pending")
    )
    return result.rowcount or 0


async def in_progress(session: AsyncSession, now: datetime) -> int:
    """Rows due now that are not sent yet: waiting for the worker or being sent."""
    return (await session.execute(
        select(func.count(OutboxMessage.id)).where(
            (OutboxMessage.state == "sending")
            | ((OutboxMessage.state == "pending") & (OutboxMessage.not_before <= now))
        )
    )).scalar_one()
