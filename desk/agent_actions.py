"""What agents do from the group: answer a ticket's customer, write an internal note, send an FAQ
answer, press a card's buttons, ask for the queue, a ticket, a search, the numbers, the report.

`AgentDesk` holds the use cases, bound to what they need. Each opens its own session (plain to
read, `begin()` to write) and raises `lifecycle.Refused` when the ticket does not allow the action;
the reason is a key the bot turns into text. Reasons besides the life cycle's: "no_ticket" (the
message or button belongs to no ticket of this group), "no_entry" (no FAQ entry with that id;
`details["id"]`), "unknown_change" (a button this version no longer knows), "not_suggested" (a
suggestion button whose entry the card no longer suggests), "bad_tag" (not a tag; `details["name"]`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from desk import lifecycle, outbox, reports, suggestions, tags
from desk.clock import Clock
from desk.customer_context import CustomerContext, CustomerHistory, context_of, history
from desk.desk_chat import DeskChat
from desk.lifecycle import Actor, Incoming, Policy, Refused
from desk.settings import DeskConfig
from desk.tickets import by_desk_message, by_topic, get_ticket
from kb.base import KnowledgeBase
from kb.entries import Entry
from kb.render import markdown_to_html
from storage.models import Ticket


def signature(desk: DeskConfig, agent_name: str | None) -> str:
    """The name an agent's answer is signed with for the customer: the agent's first name, or the
    team's name (`desk.agent_signature`; also when the agent has no name)."""
    if desk.agent_signature == "first_name" and agent_name:
        return agent_name
    return desk.team_name


def is_note(text: str, desk: DeskConfig) -> bool:
    """An internal note: the note prefix or /note; a note is never relayed to the customer."""
    return text.startswith((desk.note_prefix, "/note"))


@dataclass(frozen=True)
class Place:
    """Where a message sits in the agent group, as much as tells which ticket it is about."""

    chat_id: int
    message_id: int
    # The forum topic the message is in (None outside topics).
    thread_id: int | None = None
    # The message it replies to (None when none, or when that is only its topic's opening).
    reply_to: int | None = None
    # The number a card of the bot's that it replies to shows: a card sent a moment ago may not
    # have its message id saved yet.
    card_number: int | None = None


async def ticket_at(session: AsyncSession, place: Place) -> Ticket | None:
    """The ticket a group message belongs to: its topic, or the card or relayed message it replies
    to; a ticket of another group is never found."""
    if place.thread_id is not None:
        ticket = await by_topic(session, place.chat_id, place.thread_id)
        if ticket is not None:
            return ticket
    if place.reply_to is None:
        return None
    ticket = await by_desk_message(session, place.chat_id, place.reply_to)
    if ticket is None and place.card_number is not None:
        ticket = await get_ticket(session, place.card_number)
        if ticket is not None and ticket.card_chat_id not in (None, place.chat_id):
            ticket = None
    return ticket


@dataclass(frozen=True)
class Written:
    """An agent's message stored with its ticket: relayed to the customer, or a note (kept here)."""

    ticket_id: int
    note: bool


@dataclass(frozen=True)
class FaqSent:
    """An FAQ entry's answer is on its way to the ticket's customer as support's answer."""

    ticket_id: int
    title: str


@dataclass(frozen=True)
class Tagged:
    """A ticket's tags after `/tag` or `/untag`; `changed` is False when nothing was to change."""

    ticket_id: int
    tags: list[str]
    changed: bool


@dataclass(frozen=True)
class Changed:
    """A card button changed its ticket; the card is redrawn and the customer told via the outbox."""

    ticket_id: int
    state: str


@dataclass(frozen=True)
class TicketCard:
    """A ticket with everything its card shows: the ticket (customer, messages loaded) and who the
    customer is to the desk."""

    ticket: Ticket
    context: CustomerContext


Change = Callable[[AsyncSession, Ticket, Actor, datetime, Policy], Awaitable[None]]

#: What each card button does, by the button's action (the values of the bot's CardAction).
CHANGES: dict[str, Change] = {
    "take": lambda session, ticket, agent, now, _: lifecycle.take(session, ticket, agent, now),
    "release": lambda session, ticket, agent, now, _: lifecycle.release(session, ticket, agent, now),
    "priority": lambda session, ticket, agent, now, _: lifecycle.toggle_priority(session, ticket, now),
    "escalate": lambda session, ticket, agent, now, _: lifecycle.escalate(session, ticket, agent, now),
    "waiting": lambda session, ticket, agent, now, policy: lifecycle.set_waiting(session, ticket, now, policy),
    "resolve": lambda session, ticket, agent, now, policy: lifecycle.resolve(session, ticket, now, policy),
    "close": lambda session, ticket, agent, now, _: lifecycle.close(session, ticket, agent, now, by_customer=False),
}


class AgentDesk:
    """The agents' use cases: the database, the clock, the desk's settings, the life cycle's policy,
    the FAQ and the agents' group they need, given once. Whatever they queue in the outbox goes out
    when their transaction commits (the worker is woken after the commit)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, desk: DeskConfig,
                 policy: Policy, kb: KnowledgeBase, desk_chat: DeskChat) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.desk = desk
        self.policy = policy
        self.kb = kb
        self.desk_chat = desk_chat

    async def write(self, place: Place, agent: Actor, incoming: Incoming) -> Written | None:
        """An agent writes in the group. A note stays with the ticket; anything else goes to the
        customer, signed. None when the message is nobody's answer: a service message, a command,
        or a message about no ticket. Refused("closed"): an answer to a closed ticket."""
        if not incoming.text and not incoming.attachments:
            return None  # service messages (topic created, members joined, ...) are nobody's answer
        note = is_note(incoming.text, self.desk)
        if incoming.text.startswith("/") and not note:
            return None  # a command for some other bot, or a typo: never relayed to a customer
        now = self.clock.now()
        async with self.sessionmaker.begin() as session:
            ticket = await ticket_at(session, place)
            if ticket is None:
                return None
            if note:
                await lifecycle.note(session, ticket, agent, incoming, now)
            else:
                await lifecycle.support_writes(session, ticket, agent, incoming, now,
                                               signature=signature(self.desk, agent.name))
            return Written(ticket.id, note)

    async def send_faq(self, place: Place, agent: Actor, entry_id: str) -> FaqSent:
        """`/faq ID` about a ticket: the entry's answer goes to the customer as the agent's answer.
        Refused: "no_ticket", "no_entry" (details: id), or the life cycle's ("closed")."""
        entry = self.kb.get(entry_id) if entry_id else None
        now = self.clock.now()
        async with self.sessionmaker.begin() as session:
            ticket = await ticket_at(session, place)
            if ticket is None:
                raise Refused("no_ticket")
            if entry is None:
                raise Refused("no_entry", id=entry_id)
            await self._answer_with(session, ticket, agent, entry, place.chat_id, place.message_id, now)
            return FaqSent(ticket.id, entry.title)

    async def send_suggestion(self, chat_id: int, card_message_id: int, number: int, entry_id: str, position: int,
                              agent: Actor) -> FaqSent:
        """A suggestion button on ticket `number`'s card in group `chat_id`: the entry's answer goes
        to the customer as the agent's answer, and the use is recorded for the FAQ report.
        Refused: "no_ticket" (no such ticket, or its card is in another group), "no_entry" (the
        entry is gone from the FAQ), "not_suggested" (the card no longer suggests it), or the life
        cycle's ("closed")."""
        now = self.clock.now()
        async with self.sessionmaker.begin() as session:
            ticket = await get_ticket(session, number, for_update=True)
            if ticket is None or ticket.card_chat_id != chat_id:
                raise Refused("no_ticket")
            if ticket.state == lifecycle.State.CLOSED:
                raise Refused("closed")  # before the FAQ is asked: a closed card suggests nothing
            entry = self.kb.get(entry_id)
            if entry is None:
                raise Refused("no_entry", id=entry_id)
            if entry not in suggestions.suggested_answers(self.kb, ticket):
                raise Refused("not_suggested")
            await self._answer_with(session, ticket, agent, entry, chat_id, card_message_id, now)
            suggestions.record_use(session, ticket, entry.id, position, agent.telegram_id, now)
            return FaqSent(ticket.id, entry.title)

    async def _answer_with(self, session: AsyncSession, ticket: Ticket, agent: Actor, entry: Entry, chat_id: int,
                           message_id: int, now: datetime) -> None:
        """The entry's answer goes to the ticket's customer as `agent`'s answer, signed as theirs."""
        html = f"<b>{escape(entry.title)}</b>\n\n{markdown_to_html(entry.answer)}"
        incoming = Incoming(chat_id=chat_id, message_id=message_id, text=entry.answer, html=html)
        await lifecycle.support_writes(session, ticket, agent, incoming, now,
                                       signature=signature(self.desk, agent.name))

    async def press(self, chat_id: int, number: int, change: str, agent: Actor) -> Changed:
        """A button of ticket `number`'s card in group `chat_id`. Refused: "unknown_change",
        "no_ticket" (no such ticket, or its card is in another group), or the life cycle's
        ("closed", "taken_by", "not_taken", "top_level")."""
        apply = CHANGES.get(change)
        if apply is None:
            raise Refused("unknown_change")
        now = self.clock.now()
        async with self.sessionmaker.begin() as session:
            ticket = await get_ticket(session, number, for_update=True)
            if ticket is None or ticket.card_chat_id != chat_id:
                raise Refused("no_ticket")
            await apply(session, ticket, agent, now, self.policy)
            return Changed(ticket.id, ticket.state)

    async def _taggable(self, session: AsyncSession, place: Place) -> Ticket:
        ticket = await ticket_at(session, place)
        if ticket is None:
            raise Refused("no_ticket")
        if ticket.state == lifecycle.State.CLOSED:
            raise Refused("closed")
        return ticket

    async def tag(self, place: Place, written: list[str]) -> Tagged:
        """`/tag NAME…` about a ticket: the tags are put on it (its card is redrawn).
        Refused: "no_ticket", "closed", "bad_tag" (details: name; also when no name is given)."""
        names = [tags.normalize(word) for word in written]
        if not names or None in names:
            bad = next((word for word, name in zip(written, names, strict=True) if name is None), "")
            raise Refused("bad_tag", name=bad)
        async with self.sessionmaker.begin() as session:
            ticket = await self._taggable(session, place)
            before = {tag.name for tag in ticket.tags}
            after = await tags.tag(session, ticket, names, self.clock.now())
            return Tagged(ticket.id, after, changed=set(after) != before)

    async def untag(self, place: Place, written: str) -> Tagged:
        """`/untag NAME` about a ticket: the tag is taken off (its card is redrawn).
        Refused: "no_ticket", "closed", "bad_tag" (details: name)."""
        name = tags.normalize(written)
        if name is None:
            raise Refused("bad_tag", name=written)
        async with self.sessionmaker.begin() as session:
            ticket = await self._taggable(session, place)
            left = sorted(tag.name for tag in ticket.tags if tag.name != name)
            removed = await tags.untag(session, ticket, name, self.clock.now())
            return Tagged(ticket.id, left, changed=removed)

    async def queue(self, tag: str | None = None) -> list[Ticket]:
        """`/queue [#TAG]`: the open tickets (only those tagged, given) in `reports.queue`'s order,
        their customers loaded. Refused("bad_tag") for a tag that is not one."""
        name = None
        if tag:
            name = tags.normalize(tag)
            if name is None:
                raise Refused("bad_tag", name=tag)
        async with self.sessionmaker() as session:
            return await reports.queue(session, name)

    async def ticket(self, number: int) -> Ticket | None:
        """`/ticket N`: the ticket with all its card shows loaded, or None."""
        async with self.sessionmaker() as session:
            return await get_ticket(session, number)

    async def ticket_card(self, number: int) -> TicketCard | None:
        """`/ticket N`: the ticket and its customer's context, or None."""
        async with self.sessionmaker() as session:
            ticket = await get_ticket(session, number)
            if ticket is None:
                return None
            return TicketCard(ticket, await context_of(session, ticket, self.clock.now()))

    async def customer(self, telegram_id: int, page: int = 1) -> CustomerHistory | None:
        """`/customer ID [PAGE]`: the customer's history with the desk, a page of it, or None for a
        stranger."""
        async with self.sessionmaker() as session:
            return await history(session, telegram_id, self.clock.now(), page)

    async def find(self, needle: str) -> list[Ticket]:
        """`/find TEXT`: the tickets `reports.find` finds."""
        async with self.sessionmaker() as session:
            return await reports.find(session, needle)

    async def stats(self) -> reports.Stats:
        """`/stats`: the desk's counts now."""
        async with self.sessionmaker() as session:
            return await reports.stats(session)

    async def order_report(self) -> None:
        """`/report`: the weekly report's album for the seven days up to now (today included, days
        in the SLA calendar's zone), queued in the outbox like the scheduled one."""
        now = self.clock.now()
        tomorrow = now.astimezone(self.policy.sla.calendar.tz).date() + timedelta(days=1)
        async with self.sessionmaker.begin() as session:
            outbox.enqueue(session, "weekly_report", outbox.DESK, now, payload={"until": tomorrow.isoformat()})

    async def follow_migration(self, new_id: int) -> None:
        """The agents' group became a supergroup with a new id: follow it, now and after restarts."""
        async with self.sessionmaker.begin() as session:
            await self.desk_chat.migrated(session, new_id)
