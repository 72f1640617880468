"""FAQ searches by customers and their outcomes: the deflection rate and the gaps to write next."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kb.matcher import SearchResult
from storage.models import Search, TicketMessage

OUTCOMES = ("shown", "helped", "not_helped", "ticket_opened", "none")


async def record_search(
    session: AsyncSession, telegram_id: int, result: SearchResult, now: datetime, *, source: str = "chat"
) -> Search:
    """Store one search; its outcome starts as "shown" (or "none" when nothing was offered)."""
    best = result.matches[0] if result.matches else None
    search = Search(
        customer_telegram_id=telegram_id,
        query=result.query,
        decision=result.decision,
        entry_id=best.id if best and result.decision != "none" else None,
        score=best.score if best else None,
        offered=[match.id for match in result.matches[:3]] if result.decision != "none" else [],
        source=source,
        outcome="none" if result.decision == "none" else "shown",
        created_at=now,
    )
    session.add(search)
    await session.flush()
    return search


async def own_search(session: AsyncSession, search_id: int, telegram_id: int) -> Search | None:
    """The search if it is this customer's; another customer's is never found."""
    search = await session.get(Search, search_id)
    return search if search is not None and search.customer_telegram_id == telegram_id else None


async def set_outcome(
    session: AsyncSession, search_id: int, telegram_id: int, outcome: str, *, ticket_id: int | None = None
) -> Search | None:
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    search = await own_search(session, search_id, telegram_id)
    if search is not None:
        search.outcome = outcome
        if ticket_id is not None:
            search.ticket_id = ticket_id
    return search


@dataclass(frozen=True)
class Gap:
    """Questions the KB failed on, grouped: how often, an example, and the other wordings."""

    count: int
    example: str
    variants: tuple[str, ...]


async def deflection_rate(session: AsyncSession) -> tuple[int, int]:
    """(searches answered or suggested that helped, all searches)."""
    rows = (await session.execute(select(Search.outcome))).scalars().all()
    return sum(1 for outcome in rows if outcome == "helped"), len(rows)


async def gaps(session: AsyncSession, *, since: datetime | None = None, until: datetime | None = None,
               similarity: float = 70.0) -> list[Gap]:
    """Questions not answered (or whose answer did not help), grouped by similarity, most
    frequent first. Grouping is greedy: a question joins the first group whose example it
    resembles at `similarity` (0–100, rapidfuzz token_set_ratio on lowercased text)."""
    # An erased question (a forgotten customer's) is no gap.
    query = select(Search.query).where(Search.outcome.in_(("none", "not_helped", "ticket_opened")), Search.query != "")
    if since is not None:
        query = query.where(Search.created_at >= since)
    if until is not None:
        query = query.where(Search.created_at < until)
    texts = Counter(" ".join(text.lower().split()) for text in (await session.execute(query)).scalars())
    groups: list[list[str]] = []
    counts: list[int] = []
    for text, count in texts.most_common():
        for index, group in enumerate(groups):
            if fuzz.token_set_ratio(text, group[0]) >= similarity:
                group.append(text)
                counts[index] += count
                break
        else:
            groups.append([text])
            counts.append(count)
    ranked = sorted(zip(counts, groups, strict=False), key=lambda pair: (-pair[0], pair[1][0]))
    return [Gap(count, group[0], tuple(group[1:])) for count, group in ranked]


@dataclass(frozen=True)
class LearningHistory:
    """What the FAQ can learn from (`kb.learn`): questions that an entry answered, and those none did.

    `helped`: (question, entry id) of searches whose answer the customer said helped. `tickets`: per
    ticket, its first customer message and the support replies. `unanswered`: (question, the first
    support reply of the ticket it led to, if any) of searches not answered or not helped.
    """

    helped: list[tuple[str, str]]
    tickets: list[tuple[str, list[str]]]
    unanswered: list[tuple[str, str | None]]


async def learning_history(session: AsyncSession, *, since: datetime | None = None) -> LearningHistory:
    """The searches and ticket discussions since `since` (all when None), for `kb.learn`."""
    # Erased texts (forgotten customers, retention) teach nothing.
    searches = select(Search.query, Search.entry_id, Search.outcome, Search.ticket_id).where(Search.query != "")
    messages = select(TicketMessage.ticket_id, TicketMessage.author_kind, TicketMessage.text).where(
        TicketMessage.text != ""
    ).order_by(
        TicketMessage.ticket_id, TicketMessage.created_at, TicketMessage.id
    )
    if since is not None:
        searches = searches.where(Search.created_at >= since)
        messages = messages.where(TicketMessage.created_at >= since)
    first_question: dict[int, str] = {}
    replies: dict[int, list[str]] = {}
    for ticket_id, kind, text in (await session.execute(messages)).all():
        if kind == "customer":
            first_question.setdefault(ticket_id, text)
        elif kind == "support" and text:
            replies.setdefault(ticket_id, []).append(text)
    helped, unanswered = [], []
    for query, entry_id, outcome, ticket_id in (await session.execute(searches)).all():
        if outcome == "helped" and entry_id:
            helped.append((query, entry_id))
        elif outcome in ("none", "not_helped", "ticket_opened"):
            reply = replies.get(ticket_id, [None])[0] if ticket_id is not None else None
            unanswered.append((query, reply))
    tickets = [(first_question[t], replies.get(t, [])) for t in first_question if replies.get(t)]
    return LearningHistory(helped=helped, tickets=tickets, unanswered=unanswered)
