"""A ticket's life: agents take, escalate, answer and close it; the customer writes, closes,
rates and reopens it. Each change writes what must be sent to the outbox in the same transaction.

States: new → open (taken or answered) ⇄ waiting (for the customer) → resolved → closed;
a closed ticket can be reopened within `desk.reopen_days`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from desk import outbox, reminders
from desk.outbox import DESK, customer_key
from desk.settings import SchedulerConfig
from storage.models import Attachment, OutboxMessage, Ticket, TicketMessage

STATES = ("new", "open", "waiting", "resolved", "closed")
ACTIVE = ("new", "open", "waiting", "resolved")
MAX_LEVEL = 3


class Refused(Exception):
    """The action does not apply to the ticket now; `reason` is a key the bot turns into a text."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class Actor:
    """Who acts: an agent in the group, or the customer."""

    telegram_id: int
    name: str


def _touch(ticket: Ticket, now: datetime) -> None:
    ticket.updated_at = now


async def refresh_card(session: AsyncSession, ticket: Ticket, now: datetime) -> None:
    """Have the card edited to show the ticket as it is now (one pending refresh is enough)."""
    pending = await session.execute(
        select(OutboxMessage.id).where(
            OutboxMessage.ticket_id == ticket.id,
            OutboxMessage.kind == "card_refresh",
            OutboxMessage.state == "pending",
        )
    )
    if pending.first() is None:
        outbox.enqueue(session, "card_refresh", DESK, now, ticket_id=ticket.id)


def _notify(session: AsyncSession, ticket: Ticket, event: str, now: datetime, **payload: object) -> None:
    outbox.enqueue(
        session, "notify", customer_key(ticket.customer.telegram_id), now,
        ticket_id=ticket.id, payload={"event": event, **payload},
    )


def _desk_event(session: AsyncSession, ticket: Ticket, event: str, now: datetime, **payload: object) -> None:
    outbox.enqueue(session, "desk_event", DESK, now, ticket_id=ticket.id, payload={"event": event, **payload})


def _active(ticket: Ticket) -> None:
    if ticket.state == "closed":
        raise Refused("closed")


async def take(session: AsyncSession, ticket: Ticket, agent: Actor, now: datetime) -> None:
    _active(ticket)
    if ticket.assignee_id is not None and ticket.assignee_id != agent.telegram_id:
        raise Refused("taken_by", name=ticket.assignee_name)
    ticket.assignee_id = agent.telegram_id
    ticket.assignee_name = agent.name
    if ticket.state == "new":
        ticket.state = "open"
        _notify(session, ticket, "taken", now)
    _touch(ticket, now)
    await refresh_card(session, ticket, now)


async def release(session: AsyncSession, ticket: Ticket, agent: Actor, now: datetime) -> None:
    if ticket.assignee_id is None:
        raise Refused("not_taken")
    if ticket.assignee_id != agent.telegram_id:
        raise Refused("taken_by", name=ticket.assignee_name)
    ticket.assignee_id = None
    ticket.assignee_name = None
    _touch(ticket, now)
    await refresh_card(session, ticket, now)


async def toggle_priority(session: AsyncSession, ticket: Ticket, now: datetime) -> None:
    _active(ticket)
    ticket.priority = 0 if ticket.priority else 1
    _touch(ticket, now)
    await refresh_card(session, ticket, now)


async def escalate(session: AsyncSession, ticket: Ticket, agent: Actor, now: datetime) -> None:
    _active(ticket)
    if ticket.support_level >= MAX_LEVEL:
        raise Refused("top_level")
    ticket.support_level += 1
    _touch(ticket, now)
    _desk_event(session, ticket, "escalated", now, level=ticket.support_level, by=agent.name)
    await refresh_card(session, ticket, now)


async def set_waiting(session: AsyncSession, ticket: Ticket, now: datetime, silence: SchedulerConfig) -> None:
    _active(ticket)
    ticket.state = "waiting"
    _touch(ticket, now)
    await reminders.plan_silence(session, ticket, silence, now)
    _notify(session, ticket, "waiting", now)
    await refresh_card(session, ticket, now)


async def resolve(session: AsyncSession, ticket: Ticket, now: datetime, silence: SchedulerConfig) -> None:
    _active(ticket)
    ticket.state = "resolved"
    ticket.resolved_at = now
    _touch(ticket, now)
    await reminders.cancel(session, ticket.id, reminders.RESOLUTION)
    await reminders.plan_silence(session, ticket, silence, now)
    _notify(session, ticket, "resolved", now)
    await refresh_card(session, ticket, now)


async def close(session: AsyncSession, ticket: Ticket, actor: Actor, now: datetime, *, by_customer: bool) -> None:
    _active(ticket)
    ticket.state = "closed"
    ticket.closed_at = now
    _touch(ticket, now)
    await reminders.cancel(session, ticket.id, reminders.FIRST_RESPONSE + reminders.RESOLUTION
                           + reminders.CUSTOMER_SILENCE)
    if by_customer:
        _desk_event(session, ticket, "closed_by_customer", now)
    else:
        _notify(session, ticket, "closed", now)
    await refresh_card(session, ticket, now)


async def reopen(session: AsyncSession, ticket: Ticket, now: datetime, reopen_days: int) -> None:
    if ticket.state != "closed":
        raise Refused("not_closed")
    if ticket.closed_at is None or now - ticket.closed_at > timedelta(days=reopen_days):
        raise Refused("too_late", days=reopen_days)
    ticket.state = "open"
    ticket.closed_at = None
    ticket.resolved_at = None
    ticket.last_message_from = "customer"
    _touch(ticket, now)
    _desk_event(session, ticket, "reopened", now)
    await refresh_card(session, ticket, now)


async def rate(session: AsyncSession, ticket: Ticket, score: int, now: datetime) -> None:
    if not 1 <= score <= 5:
        raise Refused("bad_score")
    if ticket.first_response_at is None and ticket.state not in ("resolved", "closed"):
        raise Refused("nothing_to_rate")
    ticket.rating = score
    _touch(ticket, now)
    _desk_event(session, ticket, "rated", now, score=score)
    await refresh_card(session, ticket, now)


async def comment_rating(session: AsyncSession, ticket: Ticket, comment: str, now: datetime) -> None:
    ticket.rating_comment = comment
    _touch(ticket, now)
    _desk_event(session, ticket, "rating_comment", now)


@dataclass(frozen=True)
class Incoming:
    """A message that belongs to a ticket's discussion, as Telegram delivered it."""

    chat_id: int
    message_id: int
    text: str
    # The text with the writer's formatting as safe HTML (their typed markup escaped).
    html: str
    attachments: tuple[tuple[str, str, str | None, str | None, str | None], ...] = ()
    media_group_id: str | None = None


def _message(ticket: Ticket, kind: str, actor: Actor, incoming: Incoming, now: datetime) -> TicketMessage:
    message = TicketMessage(
        ticket=ticket,
        author_kind=kind,
        author_telegram_id=actor.telegram_id,
        author_name=actor.name,
        text=incoming.text,
        created_at=now,
    )
    message.attachments = [
        Attachment(kind=a[0], file_id=a[1], file_unique_id=a[2], file_name=a[3], media_group_id=a[4])
        for a in incoming.attachments
    ]
    return message


async def customer_writes(session: AsyncSession, ticket: Ticket, customer: Actor, incoming: Incoming,
                          now: datetime) -> TicketMessage:
    """The customer adds to the discussion; it is relayed to the ticket's thread in the group."""
    _active(ticket)
    message = _message(ticket, "customer", customer, incoming, now)
    message.customer_message_id = incoming.message_id
    session.add(message)
    await session.flush()
    ticket.last_message_from = "customer"
    ticket.last_activity_at = now
    if ticket.state in ("waiting", "resolved"):
        ticket.state = "open"
        ticket.resolved_at = None
    await reminders.cancel(session, ticket.id, reminders.CUSTOMER_SILENCE)
    _touch(ticket, now)
    outbox.enqueue(session, "to_desk", DESK, now, ticket_id=ticket.id, ticket_message_id=message.id,
                   payload={"from_chat_id": incoming.chat_id, "message_id": incoming.message_id,
                            "html": incoming.html, "has_media": bool(incoming.attachments)})
    await refresh_card(session, ticket, now)
    return message


async def support_writes(session: AsyncSession, ticket: Ticket, agent: Actor, incoming: Incoming,
                         now: datetime, *, signature: str) -> TicketMessage:
    """An agent answers; the answer is relayed to the customer with reply/close/rate buttons."""
    if ticket.state == "closed":
        raise Refused("closed")
    message = _message(ticket, "support", agent, incoming, now)
    message.desk_message_id = incoming.message_id
    session.add(message)
    await session.flush()
    ticket.last_message_from = "support"
    ticket.last_activity_at = now
    if ticket.first_response_at is None:
        ticket.first_response_at = now
        await reminders.cancel(session, ticket.id, reminders.FIRST_RESPONSE)
    if ticket.state == "new":
        ticket.state = "open"
    if ticket.assignee_id is None:
        ticket.assignee_id = agent.telegram_id
        ticket.assignee_name = agent.name
    _touch(ticket, now)
    outbox.enqueue(session, "to_customer", customer_key(ticket.customer.telegram_id), now,
                   ticket_id=ticket.id, ticket_message_id=message.id,
                   payload={"from_chat_id": incoming.chat_id, "message_id": incoming.message_id,
                            "html": incoming.html, "has_media": bool(incoming.attachments),
                            "signature": signature})
    await refresh_card(session, ticket, now)
    return message


async def note(session: AsyncSession, ticket: Ticket, agent: Actor, incoming: Incoming, now: datetime) -> TicketMessage:
    """An internal note: stored with the ticket, never relayed to the customer."""
    message = _message(ticket, "note", agent, incoming, now)
    message.desk_message_id = incoming.message_id
    session.add(message)
    _touch(ticket, now)
    return message
