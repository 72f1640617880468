"""The weekly report reaches the agent group as an album of charts with a short text: on its day
and time by the scheduler, and on demand with /report."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from world import DESK_CHAT, make_config, settled

from desk.clock import ManualClock
from desk.customers import Person
from desk.forms import Draft
from desk.sla import SLA
from desk.tickets import open_ticket

MOSCOW = ZoneInfo("Europe/Moscow")
SUNDAY_EVENING = datetime(2026, 3, 8, 20, 0, tzinfo=MOSCOW)


@pytest.fixture
def clock():
    return ManualClock(SUNDAY_EVENING)


@pytest.fixture
def config(emu, tmp_path):
    (tmp_path / "faq").mkdir()
    return make_config(emu, tmp_path, scheduler={"sweep_seconds": 3600, "digest_time": "", "report_day": 1,
                                                 "report_time": "09:00"})


def albums(emu) -> list[list]:
    """The bot's albums in the agent group, each as its messages."""
    grouped: dict[str, list] = {}
    for message in emu.chat(DESK_CHAT).bot_messages:
        if message.media_group_id:
            grouped.setdefault(message.media_group_id, []).append(message)
    return list(grouped.values())


async def test_the_weekly_report_comes_on_monday_morning_as_an_album(frontdesk, emu, forum_desk, clock, talk, john):
    await talk(john).send("/new", expect="New request")  # some activity; the numbers are tested elsewhere
    assert await frontdesk.app.scheduler.sweep() == 0  # Sunday evening: nothing due
    clock.set(datetime(2026, 3, 9, 9, 1, tzinfo=MOSCOW))
    assert await frontdesk.app.scheduler.sweep() == 1
    await settled(emu)
    (album,) = albums(emu)
    assert [m.media_kind for m in album] == ["photo"] * 5
    assert album[0].shown_text.startswith("📊 Weekly report 2026-03-02 – 2026-03-08: 0 tickets;")
    assert all(m.shown_text == "" for m in album[1:])
    clock.advance(timedelta(hours=1))
    assert await frontdesk.app.scheduler.sweep() == 0  # once; the next one is planned for next Monday


async def test_report_in_the_agent_group_sends_it_now(frontdesk, emu, forum_desk, talk):
    await talk(forum_desk.agent, forum_desk).do(
        forum_desk.agent.send("/report", chat=forum_desk), expect="The report of the last seven days is on its way")
    await settled(emu)
    (album,) = albums(emu)
    assert album[0].shown_text.startswith("📊 Weekly report 2026-03-02 – 2026-03-08:")


async def test_first_response_in_time_counts_every_ticket_not_the_average_of_plans(frontdesk, emu, forum_desk, db,
                                                                                  config, clock):
    """Three VIP tickets answered in time and one consultation ticket answered late: 3 of 4 in time
    (75%), where an average of the two plans' shares would say 50%."""
    sla = SLA(config.sla)
    tuesday = datetime(2026, 3, 3, 10, 0, tzinfo=MOSCOW)
    async with db.begin() as session:
        for number, plan in enumerate(["vip", "vip", "vip", "consultation"]):
            person = Person(7000 + number, f"Customer {number}")
            draft = Draft(title="Printer", problem_type="question", details="It jams", criticality="normal")
            opened = await open_ticket(session, person, draft, sla=sla, clock=ManualClock(tuesday), plan=plan)
            ticket = opened.ticket
            ticket.first_response_at = (tuesday + timedelta(minutes=10) if plan == "vip"
                                        else ticket.first_response_due + timedelta(hours=1))
    clock.set(datetime(2026, 3, 9, 9, 1, tzinfo=MOSCOW))
    assert await frontdesk.app.scheduler.sweep() >= 1
    await settled(emu)
    (album,) = albums(emu)
    assert "4 tickets; first response in time: 75%;" in album[0].shown_text
