"""The customer's conversation with their own tickets: the list, one ticket, writing to it,
closing, rating and commenting, reopening, and a reply to a relayed answer.

Each use case owns its transaction (a plain session reads, `begin()` writes) and returns what the
bot shows, or raises `Refused` with a reason the bot turns into a text. Every ticket is looked up
with `own_ticket`, so another customer's ticket (a forged button) is never found nor changed: it
is refused as "not_yours".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from desk import lifecycle
from desk.clock import Clock
from desk.customer_tickets import FILTERS, Page, can_rate, can_reopen, can_write, list_page
from desk.lifecycle import Actor, Incoming, Policy, Refused
from desk.tickets import by_customer_message, own_ticket
from storage.models import Ticket

# Characters a rating's comment may have.
RATING_COMMENT_LIMIT = 1000


@dataclass(frozen=True)
class TicketShown:
    """One of the customer's tickets (customer, messages and attachments loaded) and what they
    may do with it now."""

    ticket: Ticket
    can_write: bool
    can_rate: bool
    can_reopen: bool


@dataclass(frozen=True)
class Closed:
    """The customer closed ticket `number`; `can_rate`: the stars may be offered right away."""

    number: int
    can_rate: bool


@dataclass(frozen=True)
class Written:
    """The customer's message is in the ticket; `reopened_due`: the ticket was resolved, is open
    again, and support owes an answer by then (None otherwise)."""

    reopened_due: datetime | None = None


class Conversation:
    """The customer's use cases on their tickets, over one database, one clock and the desk's
    `policy` (reply clocks, reopening window); `page_size`: tickets per page of the list."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, policy: Policy, *,
                 page_size: int) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._policy = policy
        self._page_size = page_size

    # --- reading ---------------------------------------------------------------------------------

    async def requests(self, telegram_id: int, show: str, page: int) -> Page:
        """One page of the customer's list; `show` is one of FILTERS, else Refused("out_of_date")
        (a button drawn by another version of the bot)."""
        if show not in FILTERS:
            raise Refused("out_of_date")
        async with self._sessionmaker() as session:
            return await list_page(session, telegram_id, show, page, self._page_size)

    async def ticket(self, telegram_id: int, number: int) -> TicketShown:
        """The customer's ticket `number` as they see it now."""
        async with self._sessionmaker() as session:
            ticket = await self._own(session, telegram_id, number)
        return self._shown(ticket, self._clock.now())

    async def confirm(self, telegram_id: int, number: int) -> None:
        """Nothing changes; Refused("not_yours") unless ticket `number` is the customer's (for the
        buttons that only end a mode: «Done», «Skip», «No, keep it open»)."""
        async with self._sessionmaker() as session:
            await self._own(session, telegram_id, number)

    async def replied_ticket(self, telegram_id: int, message_id: int) -> int | None:
        """The number of the customer's ticket that the message `message_id` in their chat belongs to
        (an answer relayed to them), or None."""
        async with self._sessionmaker() as session:
            ticket = await by_customer_message(session, telegram_id, message_id)
        return ticket.id if ticket is not None else None

    # --- writing ---------------------------------------------------------------------------------

    async def start_writing(self, telegram_id: int, number: int) -> None:
        """May the customer write to ticket `number`? Refused("closed") when it is closed."""
        async with self._sessionmaker() as session:
            ticket = await self._own(session, telegram_id, number)
        if not can_write(ticket):
            raise Refused("closed")

    async def write(self, customer: Actor, number: int, incoming: Incoming) -> Written:
        """The message goes into ticket `number`'s discussion and on to the agents; on a resolved
        ticket it opens the ticket again with a new reply clock.

        Refused("closed") when the ticket is closed.
        """
        async with self._sessionmaker.begin() as session:
            ticket = await self._own(session, customer.telegram_id, number, for_update=True)
            was = ticket.state
            await lifecycle.customer_writes(session, ticket, customer, incoming, self._clock.now(), self._policy)
        return Written(ticket.reply_due if was == lifecycle.State.RESOLVED else None)

    # --- closing ---------------------------------------------------------------------------------

    async def ask_to_close(self, telegram_id: int, number: int) -> None:
        """May the customer close ticket `number`? Refused("closed") when it already is."""
        await self.start_writing(telegram_id, number)

    async def close(self, customer: Actor, number: int) -> Closed:
        """The customer closes ticket `number` (the agents are told). Refused("closed") when it is."""
        async with self._sessionmaker.begin() as session:
            ticket = await self._own(session, customer.telegram_id, number, for_update=True)
            await lifecycle.close(session, ticket, customer, self._clock.now(), by_customer=True)
        return Closed(number, can_rate(ticket))

    # --- rating ----------------------------------------------------------------------------------

    async def ask_to_rate(self, telegram_id: int, number: int) -> None:
        """May the customer rate ticket `number`? Refused("already_rated"), or ("nothing_to_rate")
        before support has answered."""
        async with self._sessionmaker() as session:
            ticket = await self._own(session, telegram_id, number)
        self._not_rated(ticket)
        if not can_rate(ticket):
            raise Refused("nothing_to_rate")

    async def rate(self, telegram_id: int, number: int, score: int) -> None:
        """The customer rates ticket `number` 1..5 stars, once: Refused("already_rated") after that,
        ("bad_score") out of 1..5, ("nothing_to_rate") before support has answered."""
        async with self._sessionmaker.begin() as session:
            ticket = await self._own(session, telegram_id, number, for_update=True)
            self._not_rated(ticket)
            await lifecycle.rate(session, ticket, score, self._clock.now())

    async def comment_rating(self, telegram_id: int, number: int, comment: str) -> None:
        """The comment on the customer's rating of ticket `number`.

        Refused("too_long", actual=, limit=) past RATING_COMMENT_LIMIT characters, before anything
        is read: the customer may shorten it and send it again.
        """
        if len(comment) > RATING_COMMENT_LIMIT:
            raise Refused("too_long", actual=len(comment), limit=RATING_COMMENT_LIMIT)
        async with self._sessionmaker.begin() as session:
            ticket = await self._own(session, telegram_id, number, for_update=True)
            await lifecycle.comment_rating(session, ticket, comment, self._clock.now())

    # --- reopening -------------------------------------------------------------------------------

    async def reopen(self, telegram_id: int, number: int) -> TicketShown:
        """The customer reopens ticket `number`, closed at most `policy.reopen_days` days ago; a new
        reply clock starts.

        Refused("not_closed"), or ("too_late", days=) after the window.
        """
        async with self._sessionmaker.begin() as session:
            ticket = await self._own(session, telegram_id, number, for_update=True)
            await lifecycle.reopen(session, ticket, self._clock.now(), self._policy)
        return self._shown(ticket, self._clock.now())

    # --- the rules -------------------------------------------------------------------------------

    @staticmethod
    async def _own(session: AsyncSession, telegram_id: int, number: int, *, for_update: bool = False) -> Ticket:
        ticket = await own_ticket(session, number, telegram_id, for_update=for_update)
        if ticket is None:
            raise Refused("not_yours")
        return ticket

    @staticmethod
    def _not_rated(ticket: Ticket) -> None:
        if ticket.rating is not None:
            raise Refused("already_rated")

    def _shown(self, ticket: Ticket, now: datetime) -> TicketShown:
        return TicketShown(ticket, can_write(ticket), can_rate(ticket),
                           can_reopen(ticket, now, self._policy.reopen_days))
