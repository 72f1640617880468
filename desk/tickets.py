"""Tickets: opening one from a submitted form, and reading them back."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from desk import assignment, outbox, reminders
from desk.clock import Clock
from desk.coupons import SPECIAL_PLAN
from desk.customers import Person, touch_customer
from desk.forms import CRITICALITIES, Draft
from desk.lifecycle import State
from desk.outbox import DESK
from desk.sla import SLA
from storage.models import Attachment, Customer, Ticket, TicketMessage


@dataclass(frozen=True)
class Opened:
    ticket: Ticket
    # False when this submit was seen before (a double press or a redelivered update).
    created: bool


async def open_ticket(
    session: AsyncSession, person: Person, draft: Draft, *, sla: SLA, clock: Clock, plan: str | None = None,
    assign_cap: int = 0,
) -> Opened:
    """Create the ticket, its first message and every attachment, in the caller's transaction.

    The ticket gets the customer's plan (or the default) and both SLA deadlines. The draft's form
    id is the ticket's source key, so submitting one form twice opens one ticket. With an
    `assign_cap` above 0 it goes round-robin to an agent on duty (`assignment.auto_assign`).
    """
    source_key = f"form:{draft.form_id}"
    existing = await _by_source_key(session, source_key)
    if existing is not None:
        return Opened(existing, created=False)
    customer = await touch_customer(session, person, clock)
    now = clock.now()
    if plan is None:
        plan = customer.plan if customer.plan in sla.config.plans else sla.config.default_plan
    ticket = Ticket(
        customer=customer,
        title=draft.title,
        problem_type=draft.problem_type,
        fields=dict(draft.fields),
        details=draft.details,
        criticality=draft.criticality,
        state=State.NEW,
        plan=plan,
        coupon_code=draft.coupon if plan == SPECIAL_PLAN else None,
        first_response_due=sla.first_response_due(now, plan),
        resolution_due=sla.resolution_due(now, plan, draft.criticality),
        last_message_from="customer",
        created_at=now,
        updated_at=now,
        source_key=source_key,
    )
    first = TicketMessage(
        ticket=ticket,
        author_kind="customer",
        author_telegram_id=person.telegram_id,
        author_name=person.first_name,
        text=draft.details,
        created_at=now,
    )
    first.attachments = [
        Attachment(
            kind=item.kind,
            file_id=item.file_id,
            file_unique_id=item.file_unique_id,
            file_name=item.file_name,
            media_group_id=item.media_group_id,
        )
        for item in draft.attachments
    ]
    ticket.last_activity_at = now
    session.add_all([ticket, first])
    await session.flush()
    await assignment.auto_assign(session, ticket, assign_cap, now)
    outbox.enqueue(session, "ticket_card", DESK, now, ticket_id=ticket.id,
                   priority=CRITICALITIES.index(ticket.criticality))
    await reminders.plan_ticket(session, ticket, sla, now)
    return Opened(ticket, created=True)


async def _by_source_key(session: AsyncSession, source_key: str) -> Ticket | None:
    return (
        await session.execute(select(Ticket).where(Ticket.source_key == source_key))
    ).scalar_one_or_none()


async def find_by_form(session: AsyncSession, form_id: str, customer_telegram_id: int) -> Ticket | None:
    """The ticket a customer's form became, if it was sent (another customer's is never found)."""
    if not form_id:
        return None
    ticket = await _by_source_key(session, f"form:{form_id}")
    if ticket is None:
        return None
    customer = await ticket.awaitable_attrs.customer
    return ticket if customer.telegram_id == customer_telegram_id else None


async def get_ticket(session: AsyncSession, number: int, *, for_update: bool = False) -> Ticket | None:
    """The ticket with its customer, tags, messages and attachments loaded; `for_update` locks its row
    until the transaction ends (PostgreSQL: two agents pressing one button at once go one after
    the other; SQLite's write transactions are serial already)."""
    query = select(Ticket).where(Ticket.id == number)
    if for_update:
        query = query.with_for_update(of=Ticket)
    return (
        await session.execute(
            query
            .options(*_loaded())
        )
    ).scalar_one_or_none()


def _loaded():
    # The card is rendered after the session is gone: everything it shows is loaded here.
    return (
        selectinload(Ticket.customer),
        selectinload(Ticket.tags),
        selectinload(Ticket.messages).selectinload(TicketMessage.attachments),
    )


async def by_topic(session: AsyncSession, chat_id: int, thread_id: int) -> Ticket | None:
    """The ticket whose forum topic this is."""
    return (
        await session.execute(
            select(Ticket).where(Ticket.card_chat_id == chat_id, Ticket.topic_thread_id == thread_id)
            .options(*_loaded())
        )
    ).scalar_one_or_none()


async def by_desk_message(session: AsyncSession, chat_id: int, message_id: int) -> Ticket | None:
    """The ticket of a card or of a message relayed to (or written in) the agent group."""
    ticket = (
        await session.execute(
            select(Ticket).where(Ticket.card_chat_id == chat_id, Ticket.card_message_id == message_id)
            .options(*_loaded())
        )
    ).scalar_one_or_none()
    if ticket is not None:
        return ticket
    return (
        await session.execute(
            select(Ticket).join(TicketMessage)
            .where(Ticket.card_chat_id == chat_id, TicketMessage.desk_message_id == message_id)
            .options(*_loaded())
        )
    ).scalars().first()


async def by_customer_message(session: AsyncSession, telegram_id: int, message_id: int) -> Ticket | None:
    """The customer's ticket that a message in their chat belongs to (an answer relayed to them)."""
    return (
        await session.execute(
            select(Ticket).join(TicketMessage).join(Customer, Ticket.customer_id == Customer.id)
            .where(Customer.telegram_id == telegram_id, TicketMessage.customer_message_id == message_id)
            .options(*_loaded())
        )
    ).scalars().first()


async def own_ticket(session: AsyncSession, number: int, telegram_id: int, *,
                     for_update: bool = False) -> Ticket | None:
    """The ticket if it belongs to this customer; another customer's ticket is never found."""
    ticket = await get_ticket(session, number, for_update=for_update)
    if ticket is None or ticket.customer.telegram_id != telegram_id:
        return None
    return ticket
