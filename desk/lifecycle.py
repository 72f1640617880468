"""A ticket's life: agents take, escalate, answer and close it; the customer writes, closes,
rates and reopens it. Each change writes what must be sent to the outbox in the same transaction.

The states and the moves between them are one table (`MOVES`); every change of state goes through
`_move`, which also plans or cancels the reminders the new state needs:

    new ──take/answer──▶ open ◀──customer writes── waiting, resolved
    any active ──wait──▶ waiting     any active ──resolve──▶ resolved     any active ──close──▶ closed
    closed ──reopen (within desk.reopen_days)──▶ open

Reopening, and the customer writing to a resolved ticket ("un-resolving" it), start a new reply
clock by the ticket's plan from that moment: its due time is on the card, in the customer's notice,
and drives the same reminders and breach escalation as the first response.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from desk import outbox, reminders
from desk.outbox import DESK, customer_key
from desk.settings import SchedulerConfig
from desk.sla import SLA
from storage.models import Attachment, OutboxMessage, Ticket, TicketMessage


class State(StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Move(StrEnum):
    TAKE = "take"
    ANSWER = "answer"
    CUSTOMER_WRITES = "customer_writes"
    WAIT = "wait"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"


STATES = tuple(State)
ACTIVE = (State.NEW, State.OPEN, State.WAITING, State.RESOLVED)
MAX_LEVEL = 3

#: (state, move) → the state it leads to. A pair that is not here is refused.
MOVES: dict[tuple[State, Move], State] = {
    (State.NEW, Move.TAKE): State.OPEN,
    (State.NEW, Move.ANSWER): State.OPEN,
    (State.NEW, Move.CUSTOMER_WRITES): State.NEW,
    (State.OPEN, Move.TAKE): State.OPEN,
    (State.OPEN, Move.ANSWER): State.OPEN,
    (State.OPEN, Move.CUSTOMER_WRITES): State.OPEN,
    (State.WAITING, Move.TAKE): State.WAITING,
    (State.WAITING, Move.ANSWER): State.WAITING,
    (State.WAITING, Move.CUSTOMER_WRITES): State.OPEN,
    (State.RESOLVED, Move.TAKE): State.RESOLVED,
    (State.RESOLVED, Move.ANSWER): State.RESOLVED,
    (State.RESOLVED, Move.CUSTOMER_WRITES): State.OPEN,
    **{(state, Move.WAIT): State.WAITING for state in ACTIVE},
    **{(state, Move.RESOLVE): State.RESOLVED for state in ACTIVE},
    **{(state, Move.CLOSE): State.CLOSED for state in ACTIVE},
    (State.CLOSED, Move.REOPEN): State.OPEN,
}


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


@dataclass(frozen=True)
class Policy:
    """The desk's rules a move may need: the SLA (reply clocks), the scheduler's silence timings and
    how long a closed ticket may be reopened."""

    sla: SLA
    scheduler: SchedulerConfig
    reopen_days: int


def reply_due(ticket: Ticket) -> datetime | None:
    """When support must answer by now: the reopened clock's due, else the first response's."""
    return ticket.reply_due if ticket.reply_clock_since is not None else ticket.first_response_due


def owes_reply(ticket: Ticket) -> bool:
    """Whether support has yet to answer since the current reply clock started."""
    if ticket.reply_clock_since is not None:
        return ticket.reply_due is not None
    return ticket.first_response_at is None


async def _move(session: AsyncSession, ticket: Ticket, move: Move, now: datetime, policy: Policy | None) -> State:
    """Take the ticket from its state by `move` (see MOVES), with the reminders the move needs planned
    or cancelled. Taking and answering change no reminder here (an answer stops the reply clock)."""
    before = State(ticket.state)
    after = MOVES.get((before, move))
    if after is None:
        raise Refused("not_closed" if move is Move.REOPEN else "closed")
    ticket.state = after
    _touch(ticket, now)
    if move is Move.CLOSE:
        ticket.closed_at = now
        await reminders.cancel(session, ticket.id, reminders.FIRST_RESPONSE + reminders.RESOLUTION
                               + reminders.CUSTOMER_SILENCE)
    elif move is Move.RESOLVE:
        ticket.resolved_at = now
        await reminders.cancel(session, ticket.id, reminders.RESOLUTION)
        await reminders.plan_silence(session, ticket, _needs(policy).scheduler, now)
    elif move is Move.WAIT:
        await reminders.plan_silence(session, ticket, _needs(policy).scheduler, now)
    elif move in (Move.CUSTOMER_WRITES, Move.REOPEN):
        await reminders.cancel(session, ticket.id, reminders.CUSTOMER_SILENCE)
        if before in (State.RESOLVED, State.CLOSED):
            ticket.closed_at = None
            ticket.resolved_at = None
            await _start_reply_clock(session, ticket, now, _needs(policy).sla)
    return after


def _needs(policy: Policy | None) -> Policy:
    if policy is None:
        raise TypeError("this move needs the desk's policy")
    return policy


async def _start_reply_clock(session: AsyncSession, ticket: Ticket, now: datetime, sla: SLA) -> None:
    """Support owes an answer again, by the ticket's plan from now; its reminders replace any old ones."""
    await reminders.cancel(session, ticket.id, reminders.FIRST_RESPONSE)
    ticket.reply_clock_since = now
    ticket.reply_due = sla.first_response_due(now, ticket.plan)
    await reminders.plan_reply(session, ticket, sla, now)


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
    if ticket.state == State.CLOSED:
        raise Refused("closed")


async def take(session: AsyncSession, ticket: Ticket, agent: Actor, now: datetime) -> None:
    _active(ticket)
    if ticket.assignee_id is not None and ticket.assignee_id != agent.telegram_id:
        raise Refused("taken_by", name=ticket.assignee_name)
    ticket.assignee_id = agent.telegram_id
    ticket.assignee_name = agent.name
    before = ticket.state
    await _move(session, ticket, Move.TAKE, now, None)
    if before == State.NEW:
        _notify(session, ticket, "taken", now)
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


async def set_waiting(session: AsyncSession, ticket: Ticket, now: datetime, policy: Policy) -> None:
    """The ball is in the customer's court: they are reminded, then the ticket closes by itself."""
    await _move(session, ticket, Move.WAIT, now, policy)
    _notify(session, ticket, "waiting", now)
    await refresh_card(session, ticket, now)


async def resolve(session: AsyncSession, ticket: Ticket, now: datetime, policy: Policy) -> None:
    await _move(session, ticket, Move.RESOLVE, now, policy)
    _notify(session, ticket, "resolved", now)
    await refresh_card(session, ticket, now)


async def close(session: AsyncSession, ticket: Ticket, actor: Actor, now: datetime, *, by_customer: bool) -> None:
    await _move(session, ticket, Move.CLOSE, now, None)
    if by_customer:
        _desk_event(session, ticket, "closed_by_customer", now)
    else:
        _notify(session, ticket, "closed", now)
    await refresh_card(session, ticket, now)


async def close_quietly(session: AsyncSession, ticket: Ticket, now: datetime) -> None:
    """Close without telling anybody (the customer asked to be forgotten); closed already is fine."""
    if ticket.state != State.CLOSED:
        await _move(session, ticket, Move.CLOSE, now, None)
    await refresh_card(session, ticket, now)


async def reopen(session: AsyncSession, ticket: Ticket, now: datetime, policy: Policy) -> None:
    """The customer reopens a closed ticket (within `reopen_days`); a new reply clock starts."""
    if ticket.state != State.CLOSED:
        raise Refused("not_closed")
    if ticket.closed_at is None or now - ticket.closed_at > timedelta(days=policy.reopen_days):
        raise Refused("too_late", days=policy.reopen_days)
    await _move(session, ticket, Move.REOPEN, now, policy)
    ticket.last_message_from = "customer"
    _desk_event(session, ticket, "reopened", now, due=_iso(ticket.reply_due))
    await refresh_card(session, ticket, now)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


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
                          now: datetime, policy: Policy) -> TicketMessage:
    """The customer adds to the discussion; it is relayed to the ticket's thread in the group.

    Writing to a resolved ticket opens it again, with a new reply clock (see `_move`)."""
    _active(ticket)
    message = _message(ticket, "customer", customer, incoming, now)
    message.customer_message_id = incoming.message_id
    session.add(message)
    await session.flush()
    ticket.last_message_from = "customer"
    ticket.last_activity_at = now
    await _move(session, ticket, Move.CUSTOMER_WRITES, now, policy)
    outbox.enqueue(session, "to_desk", DESK, now, ticket_id=ticket.id, ticket_message_id=message.id,
                   payload={"from_chat_id": incoming.chat_id, "message_id": incoming.message_id,
                            "html": incoming.html, "has_media": bool(incoming.attachments)})
    await refresh_card(session, ticket, now)
    return message


async def support_writes(session: AsyncSession, ticket: Ticket, agent: Actor, incoming: Incoming,
                         now: datetime, *, signature: str) -> TicketMessage:
    """An agent answers; the answer is relayed to the customer with reply/close/rate buttons."""
    _active(ticket)
    message = _message(ticket, "support", agent, incoming, now)
    message.desk_message_id = incoming.message_id
    session.add(message)
    await session.flush()
    ticket.last_message_from = "support"
    ticket.last_activity_at = now
    if owes_reply(ticket):
        await reminders.cancel(session, ticket.id, reminders.FIRST_RESPONSE)
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    ticket.reply_due = None
    await _move(session, ticket, Move.ANSWER, now, None)
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
