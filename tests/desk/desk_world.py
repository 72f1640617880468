"""The world of the desk's use-case tests: the database, a clock that stands still, two customers,
and helpers that play what the form and the agents do, straight in the database."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from itertools import count

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from desk import lifecycle
from desk.clock import ManualClock
from desk.customers import Person
from desk.forms import Draft
from desk.lifecycle import Actor, Incoming
from desk.sla import SLA
from desk.tickets import get_ticket, open_ticket
from storage.models import OutboxMessage, Ticket

DESK_CHAT = -100500
AGENT = Actor(777, "Olga")
ANNA = Person(1001, "Анна", "anna", "ru")
JOHN = Person(1002, "John", "john", "en")


@dataclass
class Desk:
    """The database, the clock, and what the form and the agents do to it."""

    sessions: async_sessionmaker[AsyncSession]
    clock: ManualClock
    sla: SLA

    def __post_init__(self) -> None:
        self._message_ids = count(1)

    async def ticket_of(self, person: Person, title: str = "VPN does not connect") -> int:
        """A ticket as the form opens it; its number."""
        draft = Draft(title=title, problem_type="question", details="It fails since the morning.",
                      criticality="normal")
        async with self.sessions.begin() as session:
            opened = await open_ticket(session, person, draft, sla=self.sla, clock=self.clock)
        return opened.ticket.id

    def incoming(self, chat_id: int, text: str) -> Incoming:
        return Incoming(chat_id=chat_id, message_id=next(self._message_ids), text=text, html=escape(text))

    async def support_answers(self, number: int, text: str = "Restart the router, please.") -> None:
        async with self.sessions.begin() as session:
            ticket = await get_ticket(session, number)
            message = await lifecycle.support_writes(session, ticket, AGENT, self.incoming(DESK_CHAT, text),
                                                     self.clock.now(), signature="Support")
            # Where the relayed answer landed in the customer's chat, as the outbox worker records it.
            message.customer_message_id = 9000 + message.id

    async def agent_closes(self, number: int) -> None:
        async with self.sessions.begin() as session:
            ticket = await get_ticket(session, number)
            await lifecycle.close(session, ticket, AGENT, self.clock.now(), by_customer=False)

    async def ticket(self, number: int) -> Ticket:
        async with self.sessions() as session:
            ticket = await get_ticket(session, number)
        assert ticket is not None
        return ticket

    async def outbox(self, number: int | None = None) -> list[OutboxMessage]:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if number is not None:
            query = query.where(OutboxMessage.ticket_id == number)
        async with self.sessions() as session:
            return list((await session.execute(query)).scalars())
