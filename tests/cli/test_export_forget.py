"""`frontdesk export` writes what the desk holds; `frontdesk forget` erases one customer's personal
data from every table and keeps the anonymous counts the reports are made of."""

from __future__ import annotations

import asyncio
import csv
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from desk import coupons, lifecycle
from desk.clock import ManualClock, SystemClock
from desk.customers import Person
from desk.forms import AttachmentDraft, Draft
from desk.lifecycle import Actor, Incoming, Policy
from desk.privacy import ERASED_TITLE
from desk.searches import record_search
from desk.sla import SLA
from desk.tickets import get_ticket, open_ticket
from frontdesk.config import parse_config
from frontdesk.scheduler import Scheduler
from kb.matcher import Match, SearchResult
from storage import migrate
from storage.database import create_engine, create_sessionmaker
from storage.models import Base, FSMRecord, Search, Ticket, TicketMessage

ANNA = 7_770_001
BORIS = 7_770_002
AGENT = Actor(telegram_id=501, name="Olga")
# Every piece of Anna's that must be gone after forget.
SECRETS = ["Анна Секретова", "anna_secret", "SECRET-TITLE", "SECRET-DETAILS", "SECRET-FIELD", "FILE-SECRET",
           "UNIQUE-SECRET", "secret-scan.png", "SECRET-MESSAGE", "SECRET-ANSWER", "SECRET-NOTE", "SECRET-COMMENT",
           "SECRET-QUERY", "SECRET-DRAFT"]


def frontdesk(folder, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "frontdesk.cli", *args], check=False, capture_output=True,
                          text=True, timeout=120, cwd=folder, input=stdin)


def incoming(chat_id: int, message_id: int, body: str, files=()) -> Incoming:
    return Incoming(chat_id=chat_id, message_id=message_id, text=body, html=body, attachments=tuple(files))


async def seed(url: str) -> None:
    engine = create_engine(url)
    await migrate.upgrade(engine)
    config = parse_config({}, source="test", require_token=False)
    sla, clock = SLA(config.sla), SystemClock()
    try:
        async with create_sessionmaker(engine).begin() as session:
            draft = Draft(title="SECRET-TITLE: my password", problem_type="question",
                          fields={"version": "SECRET-FIELD"}, details="SECRET-DETAILS",
                          attachments=[AttachmentDraft("photo", "FILE-SECRET-1", "UNIQUE-SECRET-1", "secret-scan.png")],
                          criticality="normal")
            anna = await open_ticket(session, Person(ANNA, "Анна Секретова", "anna_secret", "ru"), draft, sla=sla,
                                     clock=clock)
            boris = await open_ticket(session, Person(BORIS, "Boris", "boris", "en"),
                                      Draft(title="Boris's printer", problem_type="question", details="Paper jam",
                                            criticality="low"), sla=sla, clock=clock)
            ticket, now = anna.ticket, clock.now()
            await lifecycle.customer_writes(session, ticket, Actor(ANNA, "Анна Секретова"),
                                            incoming(ANNA, 11, "SECRET-MESSAGE", [("document", "FILE-SECRET-2",
                                                                                  "UNIQUE-SECRET-2", "a.pdf", None)]),
                                            now, Policy(sla, config.scheduler, config.desk.reopen_days))
            await lifecycle.support_writes(session, ticket, AGENT, incoming(-100, 12, "Анна Секретова, SECRET-ANSWER"),
                                           now, signature="Support")
            await lifecycle.note(session, ticket, AGENT, incoming(-100, 13, "SECRET-NOTE"), now)
            await lifecycle.close(session, ticket, AGENT, now, by_customer=False)
            await lifecycle.rate(session, ticket, 4, now)
            await lifecycle.comment_rating(session, ticket, "SECRET-COMMENT", now)
            for who, query in ((ANNA, "SECRET-QUERY"), (BORIS, "printer jam")):
                await record_search(session, who, SearchResult(query, "suggest", [Match("en-x", 50.0, "Q?")]), now)
            await coupons.issue(session, ANNA, uses=3, valid_days=30, now=now)
            session.add(FSMRecord(key=f"fsm:123456:{ANNA}:{ANNA}:default", state="Form:details",
                                  data={"draft": {"title": "SECRET-DRAFT"}}, updated_at=now))
            assert boris.ticket.id == 2
    finally:
        await engine.dispose()


async def every_value(url: str) -> list[tuple[str, str, object]]:
    """(table, column, value) of every cell in the database."""
    engine = create_engine(url)
    found = []
    try:
        async with engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                for row in (await connection.execute(table.select())).mappings():
                    found += [(table.name, column, value) for column, value in row.items()]
    finally:
        await engine.dispose()
    return found


async def counts(url: str) -> dict[str, object]:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            return {
                "tickets": (await session.execute(select(Ticket.state, Ticket.plan, Ticket.criticality,
                                                         Ticket.rating).order_by(Ticket.id))).all(),
                "messages": (await session.execute(select(TicketMessage.ticket_id, TicketMessage.author_kind,
                                                          func.count()).group_by(TicketMessage.ticket_id,
                                                                                 TicketMessage.author_kind))).all(),
                "searches": (await session.execute(select(Search.decision, Search.outcome).order_by(Search.id))).all(),
                "attachments": (await session.execute(text("SELECT kind FROM attachments ORDER BY id"))).all(),
            }
    finally:
        await engine.dispose()


@pytest.fixture
async def desk_db(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'frontdesk.db'}"
    (tmp_path / "config.toml").write_text(f'[storage]\nurl = "{url}"\n', encoding="utf-8")
    await seed(url)
    return url


def read_csv(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


async def test_export_writes_tickets_messages_ratings_and_searches_without_notes(tmp_path, desk_db):
    done = frontdesk(tmp_path, "export", "--out", "out")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "out/tickets.csv: 2 rows", "out/messages.csv: 4 rows", "out/ratings.csv: 1 rows", "out/searches.csv: 2 rows",
    ]
    tickets = read_csv(tmp_path / "out" / "tickets.csv")
    assert [(t["number"], t["title"], t["customer_name"]) for t in tickets] == [
        ("1", "SECRET-TITLE: my password", "Анна Секретова"), ("2", "Boris's printer", "Boris")]
    assert json.loads(tickets[0]["fields"]) == {"version": "SECRET-FIELD"}
    messages = read_csv(tmp_path / "out" / "messages.csv")
    assert [(m["ticket"], m["author_kind"]) for m in messages] == [
        ("1", "customer"), ("1", "customer"), ("1", "support"), ("2", "customer")]
    assert "FILE-SECRET-1" in messages[0]["files"] and messages[2]["text"] == "Анна Секретова, SECRET-ANSWER"
    assert "SECRET-NOTE" not in (tmp_path / "out" / "messages.csv").read_text(encoding="utf-8")
    assert read_csv(tmp_path / "out" / "ratings.csv")[0] | {"closed_at": ""} == {
        "ticket": "1", "rating": "4", "comment": "SECRET-COMMENT", "closed_at": ""}

    with_notes = frontdesk(tmp_path, "export", "--format", "jsonl", "--with-notes", "--out", "all")
    assert with_notes.returncode == 0, with_notes.stderr
    lines = (tmp_path / "all" / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    kinds = [json.loads(line)["author_kind"] for line in lines]
    assert kinds == ["customer", "customer", "support", "note", "customer"]
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    later = frontdesk(tmp_path, "export", "--from", tomorrow, "--out", "later")
    assert later.returncode == 0 and "out" not in later.stdout and "later/tickets.csv: 0 rows" in later.stdout
    bad = frontdesk(tmp_path, "export", "--from", "yesterday")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "frontdesk: --from: expected a day like 2026-03-01, got 'yesterday'"


async def report_totals(tmp_path) -> list[str]:
    """`frontdesk report`'s numbers: its lines but the first (when it was made) and the rating
    comments it quotes (those are personal, and go)."""
    done = await asyncio.to_thread(frontdesk, tmp_path, "report")
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines()[1:] if not line.startswith("  #")]


async def test_forget_leaves_no_personal_field_in_any_table_and_keeps_the_counts(tmp_path, desk_db):
    before, report_before = await counts(desk_db), await report_totals(tmp_path)
    assert "Tickets opened: 2" in report_before and "Ratings: 1, average 4.00, CSAT (4–5 stars) 100%" in report_before
    unconfirmed = frontdesk(tmp_path, "forget", "--customer", str(ANNA))  # no terminal, no --yes
    assert unconfirmed.returncode == 2 and "nothing erased" in unconfirmed.stderr
    assert any("SECRET-TITLE" in str(value) for _table, _column, value in await every_value(desk_db))

    done = frontdesk(tmp_path, "forget", "--customer", str(ANNA), "--yes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"customer {ANNA} forgotten (now customer -1): 1 tickets, 4 messages, 2 files")

    left = [(table, column, value) for table, column, value in await every_value(desk_db)
            if value == ANNA or any(secret in str(value) for secret in [*SECRETS, str(ANNA)])]
    assert left == []
    assert await counts(desk_db) == before  # the reports' raw material is whole
    assert await report_totals(tmp_path) == report_before
    engine = create_engine(desk_db)
    try:
        async with create_sessionmaker(engine)() as session:
            assert (await get_ticket(session, 2)).title == "Boris's printer"  # nobody else's data is touched
    finally:
        await engine.dispose()
    assert frontdesk(tmp_path, "forget", "--customer", str(ANNA), "--yes").returncode == 1  # no such customer now


async def test_retention_erases_the_content_of_tickets_closed_long_ago_and_keeps_the_counts(desk_db):
    now = datetime.now(UTC)
    engine = create_engine(desk_db)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            (await get_ticket(session, 1)).closed_at = now - timedelta(days=40)  # Anna's, closed long ago
            boris = await get_ticket(session, 2)
            boris.state, boris.closed_at = "closed", now - timedelta(days=10)  # Boris's, closed lately
        before = await counts(desk_db)
        config = parse_config({"scheduler": {"digest_time": "", "report_time": ""}}, source="test",
                              require_token=False)
        scheduler = Scheduler(sessions, SLA(config.sla), config.scheduler, ManualClock(now), retention_days=30)
        await scheduler.sweep()
        async with sessions() as session:
            anna, boris = await get_ticket(session, 1), await get_ticket(session, 2)
            assert (anna.title, anna.details, anna.fields, anna.rating_comment) == (ERASED_TITLE, "", {}, None)
            assert [m.text for m in anna.messages] == ["", "", "", ""]
            assert boris.title == "Boris's printer" and boris.details == "Paper jam"
    finally:
        await engine.dispose()
    content = ["SECRET-TITLE", "SECRET-DETAILS", "SECRET-FIELD", "FILE-SECRET", "SECRET-MESSAGE", "SECRET-ANSWER",
               "SECRET-NOTE", "SECRET-COMMENT"]
    assert [cell for cell in await every_value(desk_db) if any(text in str(cell[2]) for text in content)] == []
    assert await counts(desk_db) == before
