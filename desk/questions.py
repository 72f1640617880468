"""A customer's question to the FAQ: searched and recorded; an answer picked from suggestions;
"helped" or "did not help"; the question turned into a request or added to one in progress.

Each use case owns its transaction and returns what the bot shows, or raises `Refused`. Refusal
reasons: "stale" (a search or ticket not this customer's), "gone" (a suggestion that cannot be
shown), "closed" (details: number, a ticket that takes no messages now).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from desk.clock import Clock
from desk.customer_tickets import list_page
from desk.lifecycle import Actor, Incoming, Policy, Refused, customer_writes
from desk.searches import own_search, record_search, set_outcome
from desk.tickets import own_ticket
from kb.base import KnowledgeBase
from kb.entries import Entry
from storage.models import Ticket

# Requests in progress offered for an unanswered question, newest activity first.
MAX_APPEND_CHOICES = 2
# Suggestions shown for a question the FAQ is not sure about.
MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class Asked:
    """What the FAQ made of a question, as recorded (`search_id`).

    `decision` "answer": `entries` holds the answer (empty if the entry vanished meanwhile);
    "suggest": the entries to choose from, best first; "none": no entries, and `active` holds the
    customer's requests in progress the question could be added to.
    """

    search_id: int
    decision: str
    entries: tuple[Entry, ...] = ()
    active: tuple[Ticket, ...] = ()


@dataclass(frozen=True)
class Deflection:
    """An answer offered inside the request form, before the request is sent."""

    search_id: int
    entry: Entry


@dataclass(frozen=True)
class Picked:
    search_id: int
    entry: Entry


@dataclass(frozen=True)
class RequestStart:
    """A request form to start, titled with the question, remembering the search it came from."""

    search_id: int
    title: str


class Questions:
    """The FAQ question use cases, bound to the database, the clock, the FAQ and the desk's rules
    for a ticket written to."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, kb: KnowledgeBase,
                 policy: Policy) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.kb = kb
        self.policy = policy

    async def ask(self, telegram_id: int, text: str) -> Asked:
        """Search the FAQ for `text` and record the search (outcome "shown", or "none")."""
        result = self.kb.search(text)
        async with self.sessionmaker.begin() as session:
            search = await record_search(session, telegram_id, result, self.clock.now())
        if result.decision == "answer":
            entry = self.kb.get(result.matches[0].id)
            return Asked(search.id, result.decision, (entry,) if entry else ())
        if result.decision == "suggest":
            entries = tuple(entry for match in result.matches[:MAX_SUGGESTIONS] if (entry := self.kb.get(match.id)))
            return Asked(search.id, result.decision, entries)
        async with self.sessionmaker() as session:
            active = (await list_page(session, telegram_id, "open", 0, MAX_APPEND_CHOICES)).tickets
        return Asked(search.id, result.decision, active=tuple(active))

    async def deflect(self, telegram_id: int, text: str, offered: list[str],
                      question: int | None = None) -> Deflection | None:
        """If the FAQ answers `text` confidently with an entry not in `offered` (those already shown
        in this form) nor the one the customer's `question` (the search the form started from)
        was answered with, record the search (source "form") and return the answer; else None,
        and nothing is recorded."""
        result = self.kb.search(text)
        if result.decision != "answer" or result.matches[0].id in offered:
            return None
        entry = self.kb.get(result.matches[0].id)
        if entry is None:
            return None
        async with self.sessionmaker.begin() as session:
            asked = await own_search(session, question, telegram_id) if question else None
            if asked is not None and asked.entry_id == entry.id:
                return None  # the answer they have just been given, and came here past
            search = await record_search(session, telegram_id, result, self.clock.now(), source="form")
        return Deflection(search.id, entry)

    async def deflection_outcome(self, search_id: int, telegram_id: int, solved: bool) -> None:
        """The customer says whether the answer offered in the form solved it ("helped" or
        "not_helped"); a search not theirs is left alone."""
        async with self.sessionmaker.begin() as session:
            await set_outcome(session, search_id, telegram_id, "helped" if solved else "not_helped")

    async def pick(self, search_id: int, position: int, telegram_id: int) -> Picked:
        """The customer picks suggestion number `position` (0-based): it becomes the search's entry.

        Raises Refused("gone") when the search is not theirs, the position was never offered, or
        the entry is no longer in the FAQ."""
        entry_id = None
        async with self.sessionmaker.begin() as session:
            search = await own_search(session, search_id, telegram_id)
            if search is not None and 0 <= position < len(search.offered):
                entry_id = search.offered[position]
                search.entry_id = entry_id
        entry = self.kb.get(entry_id) if entry_id else None
        if entry is None:
            raise Refused("gone")
        return Picked(search.id, entry)

    async def helped(self, search_id: int, telegram_id: int) -> None:
        """The answer helped. Raises Refused("stale") for a search not this customer's."""
        async with self.sessionmaker.begin() as session:
            search = await set_outcome(session, search_id, telegram_id, "helped")
        if search is None:
            raise Refused("stale")

    async def wants_request(self, search_id: int, telegram_id: int, *, not_helped: bool) -> RequestStart:
        """The customer wants a request for their question ("did not help" marks the search
        "not_helped"; "none of these" and "open a request" leave it). Raises Refused("stale")."""
        async with self.sessionmaker.begin() as session:
            search = await own_search(session, search_id, telegram_id)
            if search is not None and not_helped:
                search.outcome = "not_helped"
        if search is None:
            raise Refused("stale")
        return RequestStart(search.id, search.query)

    async def add_to_ticket(self, search_id: int, number: int, customer: Actor, message_id: int) -> int:
        """The question of search `search_id` goes to the customer's ticket `number` (relayed to the
        desk like any message of theirs; `message_id` is the bot's message with the button, in
        their chat). Returns the ticket's number.

        Raises Refused("stale") for a search or ticket not theirs, Refused("closed", number=N) when
        the ticket takes no messages now."""
        async with self.sessionmaker.begin() as session:
            search = await own_search(session, search_id, customer.telegram_id)
            ticket = await own_ticket(session, number, customer.telegram_id, for_update=True) if search else None
            if ticket is None:
                raise Refused("stale")
            incoming = Incoming(chat_id=customer.telegram_id, message_id=message_id, text=search.query,
                                html=escape(search.query))
            try:
                await customer_writes(session, ticket, customer, incoming, self.clock.now(), self.policy)
            except Refused:
                raise Refused("closed", number=ticket.id) from None
        return ticket.id
