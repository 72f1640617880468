"""The database schema: customers, tickets, their messages and attachments, and bookkeeping tables.

Times are stored as timezone-aware UTC datetimes. Every table runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite keeps no zone, so it is added back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (the clock gives UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(AsyncAttrs, DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, datetime: UTCDateTime}


class Customer(Base):
    """A person who writes to the bot in a private chat."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    first_name: Mapped[str] = mapped_column(String(256), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    telegram_language: Mapped[str | None] = mapped_column(String(16))
    # Chosen from the menu; wins over the Telegram language when set.
    language: Mapped[str | None] = mapped_column(String(8))
    plan: Mapped[str | None] = mapped_column(String(32))
    # Set when the customer blocked the bot (a 403 on send, or my_chat_member "kicked").
    blocked_bot: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]

    tickets: Mapped[list[Ticket]] = relationship(back_populates="customer")


class Ticket(Base):
    """One request: one problem of one customer."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    title: Mapped[str] = mapped_column(String(256))
    problem_type: Mapped[str] = mapped_column(String(64))
    # Answers to the problem type's own steps, by step key.
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    details: Mapped[str] = mapped_column(Text, default="")
    criticality: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(24), default="new", index=True)
    plan: Mapped[str] = mapped_column(String(32))
    support_level: Mapped[int] = mapped_column(default=1)
    priority: Mapped[int] = mapped_column(default=0)
    assignee_id: Mapped[int | None] = mapped_column(BigInteger)
    assignee_name: Mapped[str | None] = mapped_column(String(256))
    # Set by `/assign @username` or the round-robin (a username mentions them in SLA messages).
    assignee_username: Mapped[str | None] = mapped_column(String(64))
    # Why the round-robin left a new ticket to nobody: "nobody_on_duty" or "all_full" (None otherwise).
    unassigned_reason: Mapped[str | None] = mapped_column(String(16))
    coupon_code: Mapped[str | None] = mapped_column(String(32))
    # Who wrote last: "customer" or "support"; drives the list's colour indicator.
    last_message_from: Mapped[str] = mapped_column(String(16), default="customer")
    first_response_due: Mapped[datetime | None] = mapped_column(index=True)
    resolution_due: Mapped[datetime | None] = mapped_column(index=True)
    first_response_at: Mapped[datetime | None]
    # A reopened (or un-resolved) ticket starts a new reply clock: when it started, and when support
    # must answer by (None once answered). The first response above stays as it was, for the reports.
    reply_clock_since: Mapped[datetime | None]
    reply_due: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    # When the customer or support last wrote; drives reminders and auto-close.
    last_activity_at: Mapped[datetime | None]
    topic_thread_id: Mapped[int | None] = mapped_column(BigInteger)
    card_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # The update that submitted it: a redelivered submit finds this ticket instead of making another.
    source_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    customer: Mapped[Customer] = relationship(back_populates="tickets")
    tags: Mapped[list[TicketTag]] = relationship(order_by="TicketTag.name", cascade="all, delete-orphan")
    messages: Mapped[list[TicketMessage]] = relationship(
        back_populates="ticket", order_by="TicketMessage.id"
    )


class AgentDuty(Base):
    """An agent as the round-robin knows them (`/duty on 2`): on duty or not, at which support level,
    and when they were last given a ticket."""

    __tablename__ = "agent_duty"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    on_duty: Mapped[bool] = mapped_column(default=False)
    level: Mapped[int] = mapped_column(default=1)
    last_assigned_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class TicketTag(Base):
    """A label agents put on a ticket (`/tag billing`), lowercase without the "#"."""

    __tablename__ = "ticket_tags"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class TicketMessage(Base):
    """One message of a ticket's discussion, in either direction, or an agents' internal note."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    # "customer", "support" or "note".
    author_kind: Mapped[str] = mapped_column(String(16))
    author_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    author_name: Mapped[str] = mapped_column(String(256), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    # Where the message stands in Telegram: the customer's chat and the agent group.
    customer_message_id: Mapped[int | None] = mapped_column(BigInteger)
    desk_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", order_by="Attachment.id"
    )


class Attachment(Base):
    """A file of a ticket message, kept as its Telegram file id."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("ticket_messages.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[str] = mapped_column(String(256))
    file_unique_id: Mapped[str | None] = mapped_column(String(128))
    file_name: Mapped[str | None] = mapped_column(String(256))
    media_group_id: Mapped[str | None] = mapped_column(String(64))

    message: Mapped[TicketMessage] = relationship(back_populates="attachments")


class ProcessedUpdate(Base):
    """Update ids already handled, so a redelivered update is skipped, across restarts too."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(index=True)


class FSMRecord(Base):
    """The bot's conversation state (aiogram FSM) for one chat and user."""

    __tablename__ = "fsm_states"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class Search(Base):
    """One FAQ search by a customer and what came of it."""

    __tablename__ = "searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_telegram_id: Mapped[int] = mapped_column(BigInteger, index=True)
    query: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[str | None] = mapped_column(String(128))
    score: Mapped[float | None]
    # The entry ids offered (best first), so a suggestion button names an entry by position.
    offered: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Where the search ran: "chat" (a question) or "form" (deflection inside the request form).
    source: Mapped[str] = mapped_column(String(8), default="chat")
    # "shown", "helped", "not_helped", "ticket_opened"; "none" when nothing was found.
    outcome: Mapped[str] = mapped_column(String(16), default="shown")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_searches_outcome_created", "outcome", "created_at"),)


class OutboxMessage(Base):
    """Something that must reach a customer or the agent group, written before it is sent.

    The worker claims a row (pending → sending), makes the Bot API calls, and marks it sent in
    one transaction with what the send produced, so a crash in between resends it at start.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What to do: "ticket_card", "card_refresh", "to_customer", "to_desk", "notify", ...
    kind: Mapped[str] = mapped_column(String(24))
    # Rows of one chat go out in id order; a row still failing holds back the later ones.
    chat_key: Mapped[str] = mapped_column(String(32), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    ticket_message_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_messages.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # "pending", "sending", "sent", "failed" (given up: the reason is in `error`).
    state: Mapped[str] = mapped_column(String(12), default="pending")
    priority: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_outbox_state_not_before", "state", "not_before"),)


class Setting(Base):
    """Small facts the desk learns while running, e.g. the agent group's id after a migration."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Reminder(Base):
    """Something the scheduler must do once at `due_at`: remind, escalate, close, report.

    `key` makes scheduling idempotent; a sweep claims a row with a conditional update
    (pending → sent) in the same transaction as the outbox rows it writes, so it happens once,
    also with two sweepers at a time and across restarts.
    """

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(96), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    due_at: Mapped[datetime]
    # Higher goes first when several are due: critical tickets before the rest.
    priority: Mapped[int] = mapped_column(default=0)
    # "pending", "sent", "cancelled".
    state: Mapped[str] = mapped_column(String(12), default="pending")
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_reminders_state_due_at", "state", "due_at"),)


class Coupon(Base):
    """A code for special requests (1 h, around the clock), issued by an admin to one customer."""

    __tablename__ = "coupons"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    customer_telegram_id: Mapped[int] = mapped_column(BigInteger, index=True)
    uses_total: Mapped[int]
    uses_left: Mapped[int]
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    # Set when a newer code was issued to the same customer: the unused rest is void.
    voided_at: Mapped[datetime | None]


class Ban(Base):
    """One ban of a person by an agent, kept after it is lifted: who, why, when, and who lifted it."""

    __tablename__ = "bans"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    banned_by: Mapped[int] = mapped_column(BigInteger)
    banned_by_name: Mapped[str] = mapped_column(String(256))
    banned_at: Mapped[datetime]
    # The ticket it was given on, if any.
    ticket_id: Mapped[int | None]
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[int | None] = mapped_column(BigInteger)
    # The last polite notice the person got (one a day at most).
    noticed_at: Mapped[datetime | None]


class SuggestionUse(Base):
    """An FAQ answer an agent sent from the suggestions on a ticket's card (for the FAQ report)."""

    __tablename__ = "suggestion_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    entry_id: Mapped[str] = mapped_column(String(128))
    # The suggestion's place on the card when it was pressed (1 = the best match).
    position: Mapped[int]
    agent_telegram_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(index=True)
