"""Export of what the desk holds, for the team's own analysis or a customer's access request:
tickets, their messages (internal notes only when asked), ratings and FAQ searches, as CSV or
JSON Lines, one file per kind."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import Customer, Search, Ticket, TicketMessage

FORMATS = ("csv", "jsonl")
TICKET_COLUMNS = ("number", "customer_telegram_id", "customer_name", "title", "problem_type", "criticality", "state",
                  "plan", "support_level", "assignee", "created_at", "first_response_due", "first_response_at",
                  "resolution_due", "resolved_at", "closed_at", "details", "fields")
MESSAGE_COLUMNS = ("ticket", "at", "author_kind", "author_name", "text", "files")
RATING_COLUMNS = ("ticket", "rating", "comment", "closed_at")
SEARCH_COLUMNS = ("at", "customer_telegram_id", "query", "decision", "entry_id", "score", "outcome", "ticket")


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; either side open when None."""

    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def days(cls, first: date | None, last: date | None, zone: tzinfo) -> Period:
        """From the start of day `first` to the end of day `last` (included), local to `zone`."""
        def midnight(day: date) -> datetime:
            return datetime.combine(day, time(0, 0), zone)

        return cls(midnight(first) if first else None, midnight(last + timedelta(days=1)) if last else None)

    def clauses(self, column) -> list:
        return [c for c in (column >= self.start if self.start else None,
                            column < self.end if self.end else None) if c is not None]


async def collect(session: AsyncSession, period: Period, *, with_notes: bool) -> dict[str, list[dict[str, Any]]]:
    """Every row to export, by file name: tickets opened in the period with their messages and
    ratings, and the searches made in it."""
    tickets = (await session.execute(
        select(Ticket).where(*period.clauses(Ticket.created_at))
        .options(selectinload(Ticket.customer), selectinload(Ticket.messages).selectinload(TicketMessage.attachments))
        .order_by(Ticket.id)
    )).scalars().all()
    searches = (await session.execute(
        select(Search).where(*period.clauses(Search.created_at)).order_by(Search.id)
    )).scalars().all()
    return {
        "tickets": [_ticket_row(ticket) for ticket in tickets],
        "messages": [
            {"ticket": ticket.id, "at": _time(message.created_at), "author_kind": message.author_kind,
             "author_name": message.author_name, "text": message.text,
             "files": " ".join(f"{a.kind}:{a.file_id}" for a in message.attachments)}
            for ticket in tickets for message in ticket.messages
            if with_notes or message.author_kind != "note"
        ],
        "ratings": [
            {"ticket": ticket.id, "rating": ticket.rating, "comment": ticket.rating_comment or "",
             "closed_at": _time(ticket.closed_at)}
            for ticket in tickets if ticket.rating is not None
        ],
        "searches": [
            {"at": _time(search.created_at), "customer_telegram_id": search.customer_telegram_id,
             "query": search.query, "decision": search.decision, "entry_id": search.entry_id or "",
             "score": search.score, "outcome": search.outcome, "ticket": search.ticket_id}
            for search in searches
        ],
    }


def write(rows: dict[str, list[dict[str, Any]]], folder: Path, fmt: str) -> list[tuple[Path, int]]:
    """One file per kind in `folder` (made if missing); returns each path with its row count."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    folder.mkdir(parents=True, exist_ok=True)
    columns = {"tickets": TICKET_COLUMNS, "messages": MESSAGE_COLUMNS, "ratings": RATING_COLUMNS,
               "searches": SEARCH_COLUMNS}
    written = []
    for name, items in rows.items():
        path = folder / f"{name}.{fmt}"
        with path.open("w", encoding="utf-8", newline="") as handle:
            if fmt == "csv":
                _write_csv(handle, columns[name], items)
            else:
                for item in items:
                    handle.write(json.dumps(item, ensure_ascii=False) + "\n")
        written.append((path, len(items)))
    return written


def _write_csv(handle, columns: Iterable[str], items: list[dict[str, Any]]) -> None:
    writer = csv.DictWriter(handle, fieldnames=list(columns))
    writer.writeheader()
    for item in items:
        writer.writerow({key: json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value
                         for key, value in item.items()})


def _ticket_row(ticket: Ticket) -> dict[str, Any]:
    customer: Customer = ticket.customer
    return {
        "number": ticket.id, "customer_telegram_id": customer.telegram_id, "customer_name": customer.first_name,
        "title": ticket.title, "problem_type": ticket.problem_type, "criticality": ticket.criticality,
        "state": ticket.state, "plan": ticket.plan, "support_level": ticket.support_level,
        "assignee": ticket.assignee_name or "", "created_at": _time(ticket.created_at),
        "first_response_due": _time(ticket.first_response_due), "first_response_at": _time(ticket.first_response_at),
        "resolution_due": _time(ticket.resolution_due), "resolved_at": _time(ticket.resolved_at),
        "closed_at": _time(ticket.closed_at), "details": ticket.details, "fields": ticket.fields,
    }


def _time(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""
