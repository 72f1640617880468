"""The customer's intake: a request form checked, its coupon spent and its ticket opened, in one
transaction; a coupon checked before it is attached; the language a customer chooses.

Each use case owns its transaction and returns what the bot shows, or raises `Refused`. Refusal
reasons: "incomplete" (details: missing, the unanswered steps in order), a coupon's problem (one of
COUPON_PROBLEMS), "unsupported" (a language the desk does not speak).
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class CouponAccepted:
    """A code that can be attached to the form: normalized, with the requests it has left."""

    code: str
    uses_left: int


@dataclass(frozen=True)
class Submitted:
    """A sent form: its ticket (customer not loaded), whether this submit created it (False for a
    double press or a redelivered update), and whether support is closed now for its plan."""

    ticket: Ticket
    created: bool
    support_closed: bool


class Intake:
    """The customer's intake use cases, bound to the database, the clock, the SLA and the form's settings."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, sla: SLA,
                 form: FormConfig, assign_cap: int = 0) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.sla = sla
        self.form = form
        # `desk.assign_cap`: a new ticket goes round-robin to an agent on duty below it (0: to nobody).
        self.assign_cap = assign_cap

    async def sent_as(self, form_id: str, telegram_id: int) -> int | None:
        """The number of the ticket this customer's form became, or None if it was never sent."""
        async with self.sessionmaker() as session:
            ticket = await find_by_form(session, form_id, telegram_id)
        return ticket.id if ticket is not None else None

    async def check_coupon(self, code: str, telegram_id: int) -> CouponAccepted:
        """Whether the customer may attach `code` now; nothing is spent until the form is sent.

        Raises Refused with a reason from COUPON_PROBLEMS."""
        async with self.sessionmaker() as session:
            checked = await coupons.check(session, code, telegram_id, self.clock.now())
        if checked.problem is not None:
            raise Refused(checked.problem)
        return CouponAccepted(checked.coupon.code, checked.coupon.uses_left)

    async def submit(self, person: Person, draft: Draft) -> Submitted:
        """Open the ticket of a filled-in form, in one write transaction.

        The draft's coupon (if any) is spent once, by the submit that opens the ticket, and makes it
        a special request; the FAQ search the form came from is marked "ticket_opened". Submitting
        one form again returns the same ticket and spends nothing.

        Raises Refused("incomplete", missing=[steps]) while a step is unanswered (nothing is
        written), or Refused(coupon problem, see COUPON_PROBLEMS) when the coupon cannot be used any
        more (then no ticket is opened and the coupon is untouched).
        """
        missing = missing_for_submit(self.form, draft)
        if missing:
            raise Refused("incomplete", missing=missing)
        # Nothing but the database inside the write transaction: the bot answers Telegram after it.
        async with self.sessionmaker.begin() as session:
            opened = await self._open(session, person, draft)
        now = self.clock.now()
        closed = not self.sla.plan(opened.ticket.plan).around_the_clock and not self.sla.calendar.is_open(now)
        return Submitted(opened.ticket, opened.created, closed)

    async def _open(self, session: AsyncSession, person: Person, draft: Draft) -> Opened:
        plan = None
        if draft.coupon and await find_by_form(session, draft.form_id, person.telegram_id) is None:
            used = await coupons.use(session, draft.coupon, person.telegram_id, self.clock.now())
            if used.problem is not None:
                raise Refused(used.problem)  # rolls the transaction back: nothing was written
            plan = coupons.SPECIAL_PLAN
        opened = await open_ticket(session, person, draft, sla=self.sla, clock=self.clock, plan=plan,
                                   assign_cap=self.assign_cap)
        if draft.search_id is not None:
            await set_outcome(session, draft.search_id, person.telegram_id, "ticket_opened",
                              ticket_id=opened.ticket.id)
        return opened

    async def choose_language(self, telegram_id: int, language: str) -> None:
        """Remember the language the customer reads; Refused("unsupported") for one we do not have."""
        if language not in LANGUAGES:
            raise Refused("unsupported")
        async with self.sessionmaker.begin() as session:
            await set_language(session, telegram_id, language)
