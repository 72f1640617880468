"""Answer suggestions on a ticket's card: the FAQ entries that match what the customer wrote, and
which of them agents send (the FAQ report counts them)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.export import Period
from kb.base import KnowledgeBase
from kb.entries import Entry
from storage.models import SuggestionUse, Ticket

#: At most this many suggestions on a card.
MAX_SUGGESTIONS = 3
#: The lowest score (0–100) a suggestion may have. Lower than `kb.suggest_threshold`: an agent
#: judges before anything reaches the customer, and a ticket's title and details are longer and
#: chattier than a question typed in the chat, so their best entry scores lower.
SUGGESTION_FLOOR = 30.0


@dataclass(frozen=True)
class EntryUse:
    """How often agents sent one FAQ entry from a card's suggestions in a period."""

    entry_id: str
    count: int


def suggested_answers(kb: KnowledgeBase, ticket: Ticket) -> list[Entry]:
    """Up to three FAQ entries that match the ticket's title and details, best first."""
    text = f"{ticket.title}. {ticket.details or ''}".strip()
    found = kb.search(text, limit=MAX_SUGGESTIONS)
    entries = [kb.get(match.id) for match in found.matches if match.score >= SUGGESTION_FLOOR]
    return [entry for entry in entries if entry is not None]


def record_use(session: AsyncSession, ticket: Ticket, entry_id: str, position: int, agent_telegram_id: int,
               now: datetime) -> None:
    """Remember that an agent sent the entry suggested at `position` (1-based) on the ticket's card."""
    session.add(SuggestionUse(ticket_id=ticket.id, entry_id=entry_id, position=position,
                              agent_telegram_id=agent_telegram_id, created_at=now))


async def most_used(session: AsyncSession, period: Period, limit: int = 10) -> list[EntryUse]:
    """The entries agents sent from suggestions in the period, most used first."""
    used = (await session.execute(
        select(SuggestionUse.entry_id).where(*period.clauses(SuggestionUse.created_at))
    )).scalars()
    return [EntryUse(entry_id, count) for entry_id, count in Counter(used).most_common(limit)]
