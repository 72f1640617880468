"""`frontdesk report`: numbers from a database seeded with known tickets and searches, checked
against values worked out by hand below; the HTML page carries every chart."""

from __future__ import annotations

import asyncio
import base64
import html
import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import report_view as render
from desk.analytics import Timing, build
from desk.export import Period
from storage import migrate
from storage.database import create_engine, create_sessionmaker
from storage.models import Customer, Search, Ticket

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
# 2 to 4 March 2026, Moscow days: [2 Mar 00:00 MSK, 5 Mar 00:00 MSK).
PERIOD = Period(datetime(2026, 3, 2, tzinfo=MOSCOW), datetime(2026, 3, 5, tzinfo=MOSCOW))


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


TICKETS = [
    # number, created, criticality, plan, first response due, first response at, resolved, state, stars, comment, agent
    (1, utc(2, 7), "critical", "basic", utc(2, 8), utc(2, 7, 30), utc(2, 9), "closed", 5, "Fast!", "Olga"),
    (2, utc(2, 9), "normal", "basic", utc(2, 15), utc(2, 17), utc(3, 9), "closed", 2, None, "Olga"),
    (3, utc(3, 10), "low", "basic", utc(4, 10), utc(3, 11), None, "open", None, None, "Ivan"),
    (4, utc(4, 10), "high", "partner", utc(4, 12), None, None, "new", None, None, None),
    (5, utc(4, 20, 59), "normal", "partner", utc(6, 10), None, None, "new", None, None, None),  # 23:59 in Moscow
    (6, utc(1, 20), "normal", "basic", utc(2, 10), None, None, "open", None, None, None),  # 1 March in Moscow
    (7, utc(5, 0), "low", "basic", utc(5, 10), utc(5, 1), utc(5, 2), "closed", 1, "Bad", None),  # 5 March
]
SEARCHES = [
    # created, decision, outcome, source, query
    (utc(2, 8), "answer", "helped", "chat", "how to reset password"),
    (utc(2, 9), "answer", "not_helped", "chat", "invoice missing"),
    (utc(3, 9), "suggest", "ticket_opened", "chat", "vpn does not connect"),
    (utc(3, 12), "none", "none", "chat", "where is my parcel"),
    (utc(4, 8), "answer", "helped", "chat", "change my e-mail"),
    (utc(6, 8), "answer", "helped", "chat", "after the period"),
    (utc(3, 8), "answer", "shown", "form", "asked inside the form"),
]


@pytest.fixture
async def sessions(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'frontdesk.db'}")
    await migrate.upgrade(engine)
    factory = create_sessionmaker(engine)
    async with factory.begin() as session:
        customer = Customer(telegram_id=1, first_name="Anna", created_at=utc(1, 0))
        session.add(customer)
        await session.flush()
        for number, created, criticality, plan, due, answered, resolved, state, stars, comment, agent in TICKETS:
            session.add(Ticket(id=number, customer_id=customer.id, title=f"Ticket {number}", problem_type="question",
                               criticality=criticality, plan=plan, state=state, created_at=created,
                               updated_at=created, first_response_due=due, first_response_at=answered,
                               resolved_at=resolved, rating=stars, rating_comment=comment, assignee_name=agent))
        for created, decision, outcome, source, query in SEARCHES:
            session.add(Search(customer_telegram_id=1, query=query, decision=decision, outcome=outcome,
                               source=source, created_at=created))
    yield factory
    await engine.dispose()


async def test_the_numbers_are_those_worked_out_by_hand(sessions):
    async with sessions() as session:
        report = await build(session, PERIOD, MOSCOW, NOW)
    assert (report.start.isoformat(), report.end.isoformat(), report.tickets) == ("2026-03-02", "2026-03-04", 5)
    assert {day.isoformat(): {k: v for k, v in counts.items() if v} for day, counts in report.per_day.items()} == {
        "2026-03-02": {"critical": 1, "normal": 1}, "2026-03-03": {"low": 1}, "2026-03-04": {"high": 1, "normal": 1}}
    basic, partner = report.first_response
    # basic: #1 answered in 0.5 h (met), #2 in 8 h (missed), #3 in 1 h (met); p90 of [0.5, 1, 8] = 1 + 0.8 × 7.
    assert (basic.plan, basic.timing, basic.met, basic.missed) == ("basic", Timing(3, 1.0, pytest.approx(6.6)), 2, 1)
    assert basic.share_met == pytest.approx(2 / 3)
    # partner: #4 unanswered and past due (missed); #5 not due yet (not judged).
    assert (partner.plan, partner.timing, partner.met, partner.missed) == ("partner", Timing(0, None, None), 0, 1)
    # Resolution: #1 in 2 h, #2 in 24 h: median 13 h, p90 = 2 + 0.9 × 22.
    assert report.resolution == Timing(2, 13.0, pytest.approx(21.8))
    # Backlog now (every open ticket): #5 15 h old; #3 (2 d 2 h) and #4 (1 d 2 h); #6 (3 d 16 h).
    assert report.backlog == {"under 1 day": 1, "1–3 days": 2, "3–7 days": 1, "over 7 days": 0}
    # Chat questions in the period: 5 (one after it, one inside the form, left out).
    funnel = report.funnel
    assert (funnel.questions, funnel.answered, funnel.helped, funnel.requests) == (5, 3, 2, 1)
    assert funnel.deflection == pytest.approx(0.4)
    assert report.ratings == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
    assert (report.average_rating, report.csat, report.comments) == (3.5, 0.5, [(1, 5, "Fast!")])
    assert sorted(gap.example for gap in report.gaps) == ["invoice missing", "vpn does not connect",
                                                          "where is my parcel"]
    assert report.load == {"Olga": 2, "Ivan": 1}


async def test_the_text_and_the_page_show_them(sessions, tmp_path):
    async with sessions() as session:
        report = await build(session, PERIOD, MOSCOW, NOW)
    shown = render.text(report)
    assert "  basic: 3 answered, median 1h00m, p90 6h36m, met 2, missed 1 (67% met)" in shown
    assert "Resolution: 2 resolved, median 13h00m, p90 21h48m" in shown
    assert "Deflection: 5 questions → 3 answered by the FAQ → 2 helped → 1 requests opened (deflection 40%)" in shown
    assert "Ratings: 2, average 3.50, CSAT (4–5 stars) 50%" in shown
    page = render.page(report)
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([^"]+)">', page)
    assert [title for title, _data in images] == [
        "Tickets opened per day, by criticality", "First response against the SLA, by plan", "Deflection funnel",
        "Ratings", "Backlog by age", "Tickets per agent"]
    for _title, data in images:
        assert base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n")
    assert "http" not in page.replace("http-equiv", "")  # nothing to fetch: it opens offline


async def test_an_empty_period_reports_zeros_and_draws_every_chart(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    try:
        await migrate.upgrade(engine)
        async with create_sessionmaker(engine)() as session:
            report = await build(session, PERIOD, MOSCOW, NOW)
    finally:
        await engine.dispose()
    assert (report.tickets, report.first_response, report.funnel.deflection, report.csat) == (0, [], None, None)
    assert len(report.per_day) == 3 and report.end - report.start == timedelta(days=2)
    assert len(render.charts(report)) == 5  # no agent chart without assignments


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


async def test_the_page_renders_every_chart_in_a_browser(sessions, tmp_path):
    """Headless Chromium opens the page offline; every image loads with a real size."""
    if CHROMIUM is None:
        if os.environ.get("FRONTDESK_REQUIRE_SERVICES") == "1":
            pytest.fail("Chromium is not installed (required in CI: .ci/run installs Debian's chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    async with sessions() as session:
        report = await build(session, PERIOD, MOSCOW, NOW)
    probe = ("<script>window.addEventListener('load', () => { document.title = 'images:' + JSON.stringify("
             "[...document.images].map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight])); });</script>")
    page = tmp_path / "report.html"
    page.write_text(render.page(report).replace("</body>", probe + "</body>"), encoding="utf-8")
    browser = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               f"--user-data-dir={tmp_path}/c", "--virtual-time-budget=5000"]
    dumped = await asyncio.to_thread(subprocess.run, [*browser, "--dump-dom", page.as_uri()], check=False,
                                     capture_output=True, text=True, timeout=120)
    found = re.search(r"<title>images:(.*?)</title>", dumped.stdout)
    assert found, dumped.stderr[-2000:]
    images = json.loads(html.unescape(found.group(1)))
    assert len(images) == 6
    for alt, complete, width, height in images:
        assert complete and width > 0 and height > 0, alt
    if os.environ.get("FRONTDESK_SCREENSHOT"):  # for a person to look at: FRONTDESK_SCREENSHOT=/tmp/report.png
        shot = f"--screenshot={os.environ['FRONTDESK_SCREENSHOT']}"
        await asyncio.to_thread(subprocess.run, [*browser, "--window-size=1000,3200", shot, page.as_uri()],
                                check=True, capture_output=True, timeout=120)
