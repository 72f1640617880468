"""The agents' queue: the most critical first, then the priority flag, then the nearest due time
(first response while unanswered, else resolution; none last), only open tickets, at most 30."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desk import reports
from storage.models import Customer, Ticket

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def _ticket(customer: Customer, title: str, criticality: str = "normal", *, state: str = "open",
            priority: int = 0, first_due: timedelta | None = None, answered: bool = False,
            resolution_due: timedelta | None = None) -> Ticket:
    return Ticket(customer=customer, title=title, problem_type="question", criticality=criticality, state=state,
                  plan="commercial", priority=priority, created_at=NOW, updated_at=NOW,
                  first_response_due=NOW + first_due if first_due is not None else None,
                  first_response_at=NOW if answered else None,
                  resolution_due=NOW + resolution_due if resolution_due is not None else None)


async def test_the_queue_orders_by_criticality_priority_and_due_time(sessions):
    async with sessions.begin() as session:
        anna = Customer(telegram_id=501, first_name="Anna", created_at=NOW)
        session.add_all([
            _ticket(anna, "low, due soon", "low", first_due=timedelta(minutes=5)),
            _ticket(anna, "normal, no due time", "normal"),
            _ticket(anna, "normal, due in 2 h", "normal", first_due=timedelta(hours=2)),
            _ticket(anna, "normal, answered, resolution in 1 h", "normal", first_due=timedelta(minutes=1),
                    answered=True, resolution_due=timedelta(hours=1)),
            _ticket(anna, "normal, prioritized, due in 9 h", "normal", priority=1, first_due=timedelta(hours=9)),
            _ticket(anna, "critical, due in a day", "critical", first_due=timedelta(days=1)),
            _ticket(anna, "critical but closed", "critical", state="closed", first_due=timedelta(minutes=1)),
        ])
    async with sessions() as session:
        shown = [t.title for t in await reports.queue(session)]
    assert shown == ["critical, due in a day", "normal, prioritized, due in 9 h",
                     "normal, answered, resolution in 1 h", "normal, due in 2 h", "normal, no due time",
                     "low, due soon"]


async def test_the_queue_shows_at_most_thirty_tickets_the_most_urgent_ones(sessions):
    async with sessions.begin() as session:
        anna = Customer(telegram_id=501, first_name="Anna", created_at=NOW)
        session.add_all(_ticket(anna, f"in {n} min", first_due=timedelta(minutes=n)) for n in range(40, 0, -1))
    async with sessions() as session:
        shown = [t.title for t in await reports.queue(session)]
    assert shown == [f"in {n} min" for n in range(1, 31)]
