"""Templates (canned replies) agents send from the group: `/t ID` or `/t WORD` about a ticket, the
card's "📎 Templates" list, and a template's button. The template (`kb.templates`) is filled in for
the ticket and goes to the customer as the agent's answer, the path `/faq ID` takes.

Refusal reasons besides the life cycle's ("closed"): "no_ticket" (the message or button belongs to
no ticket of this group), "no_template" (no template with that id, or none matching those words;
`details["words"]`), "no_templates" (the desk has none at all).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from desk import lifecycle
from desk.agent_actions import Place, signature, ticket_at
from desk.clock import Clock
from desk.lifecycle import Actor, Incoming, Refused
from desk.settings import DeskConfig
from desk.tickets import get_ticket
from kb.base import KnowledgeBase
from kb.templates import Template
from storage.models import Ticket


@dataclass(frozen=True)
class TemplateSent:
    """A template, filled in, is on its way to the ticket's customer; `text` is what they get."""

    ticket_id: int
    template_id: str
    title: str
    text: str


@dataclass(frozen=True)
class TemplateChoice:
    """Templates for the agent to pick one from, for ticket `ticket_id`, the customer's language
    first."""

    ticket_id: int
    templates: tuple[Template, ...]


def values_for(ticket: Ticket, sign: str) -> dict[str, str]:
    """What each placeholder becomes for `ticket` answered by an agent signing `sign`."""
    return {"customer": ticket.customer.first_name or "", "ticket": str(ticket.id), "agent": sign}


class CannedReplies:
    """The agents' templates as use cases: the database, the clock, the desk's settings and the
    knowledge base (which holds the templates), given once."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, desk: DeskConfig,
                 kb: KnowledgeBase) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.desk = desk
        self.kb = kb

    async def use(self, place: Place, agent: Actor, words: str) -> TemplateSent | TemplateChoice:
        """`/t ID` or `/t WORD…` about the ticket at `place`: a template's id, or the only template
        matching the words, is sent; several matching (or no words at all) are offered to pick from.
        Refused: "no_ticket", "closed", "no_template" (details: words), "no_templates"."""
        words = words.strip()
        now = self.clock.now()
        async with self.sessionmaker.begin() as session:
            ticket = await ticket_at(session, place)
            if ticket is None:
                raise Refused("no_ticket")
            _open(ticket)
            exact = self.kb.templates.get(words) if words else None
            found = [exact] if exact is not None else self._matching(words)
            if len(found) == 1 and words:
                return await self._send(session, ticket, agent, found[0], place.chat_id, place.message_id, now)
            return TemplateChoice(ticket.id, self._customer_first(ticket, found))

    async def choices(self, chat_id: int, number: int) -> TemplateChoice:
        """The card's "📎 Templates" button of ticket `number` in group `chat_id`: every template.
        Refused: "no_ticket" (no such ticket, or its card is in another group), "closed", "no_templates"."""
        async with self.sessionmaker() as session:
            ticket = await _ticket_of_card(session, chat_id, number)
            _open(ticket)
            return TemplateChoice(ticket.id, self._customer_first(ticket, self._matching("")))

    async def send(self, chat_id: int, message_id: int, number: int, template_id: str,
                   agent: Actor) -> TemplateSent:
        """A template's button (on message `message_id` of group `chat_id`) for ticket `number`: it
        goes to the customer. Refused: "no_ticket", "closed", "no_template" (details: words)."""
        now = self.clock.now()
        async with self.sessionmaker.begin() as session:
            ticket = await _ticket_of_card(session, chat_id, number, for_update=True)
            _open(ticket)
            template = self.kb.templates.get(template_id)
            if template is None:
                raise Refused("no_template", words=template_id)
            return await self._send(session, ticket, agent, template, chat_id, message_id, now)

    def _matching(self, words: str) -> list[Template]:
        found = self.kb.templates.find(words) if words else self.kb.templates.templates
        if not found:
            raise Refused("no_template", words=words) if words else Refused("no_templates")
        return found

    @staticmethod
    def _customer_first(ticket: Ticket, found: list[Template]) -> tuple[Template, ...]:
        language = ticket.customer.language or ticket.customer.telegram_language
        return tuple(sorted(found, key=lambda template: template.lang not in (None, language)))

    async def _send(self, session: AsyncSession, ticket: Ticket, agent: Actor, template: Template, chat_id: int,
                    message_id: int, now: datetime) -> TemplateSent:
        """The template, filled in for the ticket, goes to the customer as `agent`'s answer, signed."""
        sign = signature(self.desk, agent.name)
        values = values_for(ticket, sign)
        text = template.fill(values)
        # The title is the agents' label for the template: the customer gets the reply alone.
        incoming = Incoming(chat_id, message_id, text, template.fill_html(values))
        await lifecycle.support_writes(session, ticket, agent, incoming, now,
                                       signature=sign)
        return TemplateSent(ticket.id, template.id, template.title, text)


async def _ticket_of_card(session: AsyncSession, chat_id: int, number: int, *, for_update: bool = False) -> Ticket:
    ticket = await get_ticket(session, number, for_update=for_update)
    if ticket is None or ticket.card_chat_id != chat_id:
        raise Refused("no_ticket")
    return ticket


def _open(ticket: Ticket) -> None:
    if ticket.state == lifecycle.State.CLOSED:
        raise Refused("closed")
