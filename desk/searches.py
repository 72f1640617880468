"""FAQ searches by customers and their outcomes: the deflection rate and the gaps to write next."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kb.matcher import SearchResult
from storage.models import Search

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


async def gaps(session: AsyncSession, *, since: datetime | None = None, similarity: float = 70.0) -> list[Gap]:
    """Questions not answered (or whose answer did not help), grouped by similarity, most
    frequent first. Grouping is greedy: a question joins the first group whose example it
    resembles at `similarity` (0–100, rapidfuzz token_set_ratio on lowercased text)."""
    query = select(Search.query).where(Search.outcome.in_(("none", "not_helped", "ticket_opened")))
    if since is not None:
        query = query.where(Search.created_at >= since)
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
