"""The desk's numbers for a period, computed from the database: volume, SLA, resolution, backlog,
deflection, satisfaction, gaps and load. Pure arithmetic over stored rows; rendering is elsewhere.

Durations are wall-clock (what a customer waited); "met" compares with the due time the SLA engine
stored on the ticket, which already counts only business hours."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.export import Period
from desk.searches import Gap, gaps
from desk.suggestions import EntryUse, most_used
from storage.models import Search, Ticket

CRITICALITIES = ("critical", "high", "normal", "low")
BACKLOG_STATES = ("new", "open", "waiting")
AGE_BUCKETS = (("under 1 day", timedelta(days=1)), ("1–3 days", timedelta(days=3)),
               ("3–7 days", timedelta(days=7)), ("over 7 days", None))


@dataclass(frozen=True)
class Timing:
    """Durations in hours: how many, the median and the 90th percentile."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, hours: list[float]) -> Timing:
        if not hours:
            return cls(0, None, None)
        ordered = sorted(hours)
        return cls(len(ordered), statistics.median(ordered), _percentile(ordered, 0.9))


@dataclass(frozen=True)
class FirstResponse:
    plan: str
    timing: Timing
    met: int
    missed: int  # answered late, or not answered and already past due

    @property
    def share_met(self) -> float | None:
        judged = self.met + self.missed
        return self.met / judged if judged else None


@dataclass(frozen=True)
class Funnel:
    questions: int
    answered: int  # the FAQ answered on its own (decision "answer")
    helped: int  # the customer pressed "helped"
    requests: int  # a request was opened from the question

    @property
    def deflection(self) -> float | None:
        return self.helped / self.questions if self.questions else None


@dataclass(frozen=True)
class Report:
    start: date
    end: date  # included
    generated_at: datetime
    tickets: int
    per_day: dict[date, dict[str, int]]  # day → criticality → tickets opened
    first_response: list[FirstResponse]
    resolution: Timing
    backlog: dict[str, int]  # age bucket → open tickets (at generated_at)
    funnel: Funnel
    ratings: dict[int, int]  # stars → count
    comments: list[tuple[int, int, str]]  # (ticket, stars, comment)
    gaps: list[Gap]
    load: dict[str, int] = field(default_factory=dict)  # agent → tickets taken
    # The FAQ entries agents sent from a card's suggestions, most used first.
    suggestions_used: list[EntryUse] = field(default_factory=list)

    @property
    def csat(self) -> float | None:
        """Share of ratings of 4 or 5 stars."""
        total = sum(self.ratings.values())
        return sum(n for stars, n in self.ratings.items() if stars >= 4) / total if total else None

    @property
    def average_rating(self) -> float | None:
        total = sum(self.ratings.values())
        return sum(stars * n for stars, n in self.ratings.items()) / total if total else None


async def build(session: AsyncSession, period: Period, zone: ZoneInfo, now: datetime, *,
                gap_limit: int = 10) -> Report:
    """The report of tickets opened and questions asked in `period` (backlog: as of `now`)."""
    tickets = (await session.execute(
        select(Ticket).where(*period.clauses(Ticket.created_at)).order_by(Ticket.id)
    )).scalars().all()
    searches = (await session.execute(
        select(Search).where(*period.clauses(Search.created_at), Search.source == "chat")
    )).scalars().all()
    open_now = (await session.execute(select(Ticket.created_at).where(Ticket.state.in_(BACKLOG_STATES)))).scalars()

    days = sorted({t.created_at.astimezone(zone).date() for t in tickets})
    start = period.start.astimezone(zone).date() if period.start else (days[0] if days else now.astimezone(zone).date())
    end = ((period.end - timedelta(seconds=1)).astimezone(zone).date() if period.end
           else (days[-1] if days else start))
    per_day = {start + timedelta(days=i): dict.fromkeys(CRITICALITIES, 0) for i in range((end - start).days + 1)}
    for ticket in tickets:
        per_day.setdefault(ticket.created_at.astimezone(zone).date(), dict.fromkeys(CRITICALITIES, 0))
        per_day[ticket.created_at.astimezone(zone).date()][ticket.criticality] += 1

    by_plan: dict[str, list[Ticket]] = {}
    for ticket in tickets:
        by_plan.setdefault(ticket.plan, []).append(ticket)
    first_response = [_first_response(plan, group, now) for plan, group in sorted(by_plan.items())]

    resolution = Timing.of([_hours(t.resolved_at - t.created_at) for t in tickets if t.resolved_at is not None])
    backlog = dict.fromkeys((name for name, _limit in AGE_BUCKETS), 0)
    for created in open_now:
        backlog[_bucket(now - created)] += 1

    funnel = Funnel(
        questions=len(searches),
        answered=sum(1 for s in searches if s.decision == "answer"),
        helped=sum(1 for s in searches if s.outcome == "helped"),
        requests=sum(1 for s in searches if s.outcome == "ticket_opened"),
    )
    rated = [t for t in tickets if t.rating is not None]
    ratings = {stars: 0 for stars in range(1, 6)} | dict(Counter(t.rating for t in rated))
    comments = [(t.id, t.rating, t.rating_comment) for t in rated if t.rating_comment]
    load = dict(Counter(t.assignee_name for t in tickets if t.assignee_name).most_common())
    found_gaps = (await gaps(session, since=period.start, until=period.end))[:gap_limit]
    used = await most_used(session, period, limit=gap_limit)
    return Report(start=start, end=end, generated_at=now, tickets=len(tickets), per_day=per_day,
                  first_response=first_response, resolution=resolution, backlog=backlog, funnel=funnel,
                  ratings=ratings, comments=comments, gaps=found_gaps, load=load,
                  suggestions_used=used)


def _first_response(plan: str, tickets: list[Ticket], now: datetime) -> FirstResponse:
    hours, met, missed = [], 0, 0
    for ticket in tickets:
        if ticket.first_response_at is not None:
            hours.append(_hours(ticket.first_response_at - ticket.created_at))
            if ticket.first_response_due is None or ticket.first_response_at <= ticket.first_response_due:
                met += 1
            else:
                missed += 1
        elif ticket.first_response_due is not None and ticket.first_response_due < now \
                and ticket.state in BACKLOG_STATES:
            missed += 1  # still unanswered and already late
    return FirstResponse(plan, Timing.of(hours), met, missed)


def _bucket(age: timedelta) -> str:
    for name, limit in AGE_BUCKETS:
        if limit is None or age < limit:
            return name
    raise AssertionError("the last bucket has no limit")


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _percentile(ordered: list[float], share: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default method)."""
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
