"""The customer's intake: a request form checked, its coupon spent and its ticket opened, in one
transaction; a coupon checked before it is attached; the language a customer chooses.

Each use case owns its transaction and returns what the bot shows, or raises `Refused`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from desk import coupons
from desk.clock import Clock
from desk.customers import LANGUAGES, Person, set_language
from desk.forms import Draft, missing_for_submit
from desk.lifecycle import Refused
from desk.searches import set_outcome
from desk.settings import FormConfig
from desk.sla import SLA
from desk.tickets import Opened, find_by_form, open_ticket
from storage.models import Ticket

# Refused reasons of a coupon, as `coupons.Check.problem` names them.
COUPON_PROBLEMS = ("unknown", "voided", "expired", "spent")


async def sent_as(sessionmaker: async_sessionmaker[AsyncSession], form_id: str, telegram_id: int) -> int | None:
    """The number of the ticket this customer's form became, or None if it was never sent."""
    async with sessionmaker() as session:
        ticket = await find_by_form(session, form_id, telegram_id)
    return ticket.id if ticket is not None else None


@dataclass(frozen=True)
class CouponAccepted:
    """A code that can be attached to the form: normalized, with the requests it has left."""

    code: str
    uses_left: int


async def check_coupon(sessionmaker: async_sessionmaker[AsyncSession], code: str, telegram_id: int,
                       now: datetime) -> CouponAccepted:
    """Whether the customer may attach `code` now; nothing is spent until the form is sent.

    Raises Refused with a reason from COUPON_PROBLEMS."""
    async with sessionmaker() as session:
        checked = await coupons.check(session, code, telegram_id, now)
    if checked.problem is not None:
        raise Refused(checked.problem)
    return CouponAccepted(checked.coupon.code, checked.coupon.uses_left)


@dataclass(frozen=True)
class Submitted:
    """A sent form: its ticket (customer not loaded), whether this submit created it (False for a
    double press or a redelivered update), and whether support is closed now for its plan."""

    ticket: Ticket
    created: bool
    support_closed: bool


async def submit_form(sessionmaker: async_sessionmaker[AsyncSession], form: FormConfig, person: Person,
                      draft: Draft, *, sla: SLA, clock: Clock) -> Submitted:
    """Open the ticket of a filled-in form, in one write transaction.

    The draft's coupon (if any) is spent once, by the submit that opens the ticket, and makes it a
    special request; the FAQ search the form came from is marked "ticket_opened". Submitting one
    form again returns the same ticket and spends nothing.

    Raises Refused("incomplete", missing=[steps]) while a step is unanswered (nothing is written),
    or Refused(coupon problem, see COUPON_PROBLEMS) when the coupon cannot be used any more (then
    no ticket is opened and the coupon is untouched).
    """
    missing = missing_for_submit(form, draft)
    if missing:
        raise Refused("incomplete", missing=missing)
    # Nothing but the database inside the write transaction: the bot answers Telegram after it.
    async with sessionmaker.begin() as session:
        opened = await _open(session, person, draft, sla, clock)
    now = clock.now()
    closed = not sla.plan(opened.ticket.plan).around_the_clock and not sla.calendar.is_open(now)
    return Submitted(opened.ticket, opened.created, closed)


async def _open(session: AsyncSession, person: Person, draft: Draft, sla: SLA, clock: Clock) -> Opened:
    plan = None
    if draft.coupon and await find_by_form(session, draft.form_id, person.telegram_id) is None:
        used = await coupons.use(session, draft.coupon, person.telegram_id, clock.now())
        if used.problem is not None:
            raise Refused(used.problem)  # rolls the transaction back: nothing was written
        plan = coupons.SPECIAL_PLAN
    opened = await open_ticket(session, person, draft, sla=sla, clock=clock, plan=plan)
    if draft.search_id is not None:
        await set_outcome(session, draft.search_id, person.telegram_id, "ticket_opened", ticket_id=opened.ticket.id)
    return opened


async def choose_language(sessionmaker: async_sessionmaker[AsyncSession], telegram_id: int, language: str) -> None:
    """Remember the language the customer reads; Refused("unsupported") for one we do not have."""
    if language not in LANGUAGES:
        raise Refused("unsupported")
    async with sessionmaker.begin() as session:
        await set_language(session, telegram_id, language)
