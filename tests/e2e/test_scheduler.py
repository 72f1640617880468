"""The scheduler with a moved clock: SLA reminders, breach escalation, customer reminder,
auto-close and the digest; each sent once, across restarts, after downtime, with two sweepers."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from world import DESK_CHAT, file_request, make_config, settled

from desk.clock import ManualClock
from desk.sla import SLA
from frontdesk.scheduler import Scheduler
from storage.database import create_engine, create_sessionmaker
from storage.models import OutboxMessage, Reminder

MOSCOW = ZoneInfo("Europe/Moscow")
WEDNESDAY_11 = datetime(2026, 3, 11, 11, 0, tzinfo=MOSCOW)


@pytest.fixture
def clock():
    return ManualClock(WEDNESDAY_11)


@pytest.fixture
def config(emu, tmp_path):
    (tmp_path / "faq").mkdir()
    return make_config(emu, tmp_path, desk={"level2_mentions": ["@lead_l2"]},
                       scheduler={"sweep_seconds": 3600, "digest_time": "09:30"})


@pytest.fixture
def desk(forum_desk):
    return forum_desk


async def export_request(t, criticality="🟡 Normal"):
    await file_request(t, "Export is broken", "Nothing happens on export.", criticality)


async def sweep(frontdesk, emu) -> int:
    done = await frontdesk.app.scheduler.sweep()
    await frontdesk.app.worker.drain()
    await settled(emu)
    return done


def desk_texts(emu, needle: str) -> list[str]:
    return [m.shown_text for m in emu.chat(DESK_CHAT).bot_messages if needle in m.shown_text]


async def test_first_response_reminder_then_breach_once_each_across_a_restart(frontdesk, emu, john, talk, desk,
                                                                           clock):
    await export_request(talk(john))
    await emu.chat(desk).wait_for(lambda m: m.shown_text.startswith("🎫 #1"))
    clock.advance(timedelta(hours=4, minutes=47))  # 80 % of the 6 business hours is 4 h 48 min
    assert await sweep(frontdesk, emu) == 0
    clock.advance(timedelta(minutes=1))
    assert await sweep(frontdesk, emu) == 1
    (reminder,) = desk_texts(emu, "⏰ #1")
    assert "first response is due" in reminder and "17:00" in reminder
    await frontdesk.restart()
    assert await sweep(frontdesk, emu) == 0
    clock.advance(timedelta(hours=1, minutes=12))  # 17:00: the deadline
    assert await sweep(frontdesk, emu) == 1
    (breach,) = desk_texts(emu, "🚨 #1")
    assert "overdue" in breach and "@lead_l2" in breach
    await frontdesk.restart()
    assert await sweep(frontdesk, emu) == 0
    assert len(desk_texts(emu, "⏰ #1")) == 1 and len(desk_texts(emu, "🚨 #1")) == 1


async def test_sla_messages_mention_the_assignee_first(frontdesk, emu, john, talk, desk, clock):
    await desk.agent.send("/duty on", chat=desk)  # Ivan has no username: mentioned by a link
    await emu.chat(desk).wait_for(lambda m: "You are on duty" in m.shown_text)
    await export_request(talk(john))
    card = await emu.chat(desk).wait_for(lambda m: m.shown_text.startswith("🎫 #1"))
    assert "taken by Ivan" in card.shown_text
    clock.advance(timedelta(hours=4, minutes=48))
    assert await sweep(frontdesk, emu) == 1
    reminder = emu.chat(desk).bot_messages[-1]
    assert reminder.shown_text.startswith("⏰ #1") and 'href="tg://user?id=5001"' in reminder.html
    clock.advance(timedelta(hours=1, minutes=12))
    assert await sweep(frontdesk, emu) == 1
    breach = emu.chat(desk).bot_messages[-1]
    assert breach.shown_text.startswith("🚨 #1") and breach.shown_text.endswith("Ivan @lead_l2")


async def reminder_states(db) -> dict[str, str]:
    async with db() as session:
        return dict((await session.execute(select(Reminder.kind, Reminder.state).where(Reminder.ticket_id == 1))).all())


async def test_an_answer_in_time_cancels_the_first_response_reminders(frontdesk, emu, john, talk, desk, clock, db):
    await export_request(talk(john))
    card = await emu.chat(desk).wait_for(lambda m: m.shown_text.startswith("🎫 #1"))
    assert (await reminder_states(db))["fr_reminder"] == "pending"
    await desk.agent.send("We are looking into it", chat=desk, thread_id=card.thread_id)
    await emu.chat(john).wait_for(lambda m: "We are looking into it" in m.shown_text)
    await settled(emu)
    states = await reminder_states(db)
    assert (states["fr_reminder"], states["fr_breach"]) == ("cancelled", "cancelled")
    assert (states["res_reminder"], states["res_breach"]) == ("pending", "pending")  # resolution still counts
    clock.advance(timedelta(hours=7))  # past the first response's deadline (17:00)
    assert await sweep(frontdesk, emu) == 0
    assert desk_texts(emu, "first response") == []
    clock.advance(timedelta(days=7))  # the same sweep does send what is still due: the resolution's
    await sweep(frontdesk, emu)  # (the daily digest falls due too)
    (reminder,), (breach,) = desk_texts(emu, "⏰ #1"), desk_texts(emu, "🚨 #1")
    assert "first response" not in reminder and "first response" not in breach


async def test_customer_reminder_notice_and_autoclose(frontdesk, emu, john, talk, desk, clock):
    await export_request(talk(john))
    card = await emu.chat(desk).wait_for(lambda m: m.shown_text.startswith("🎫 #1"))
    await desk.agent.send("Which browser do you use?", chat=desk, thread_id=card.thread_id)
    await emu.chat(john).wait_for(lambda m: "Which browser" in m.shown_text)
    await (await desk.agent.press(emu.message(desk, card.message_id), "⏳ Waiting for customer")).answer()
    await emu.chat(john).wait_for(lambda m: "waiting for your answer" in m.shown_text)
    clock.advance(timedelta(hours=24))
    await sweep(frontdesk, emu)
    await emu.chat(john).wait_for(lambda m: "still waiting for your answer" in m.shown_text)
    await frontdesk.restart()
    clock.advance(timedelta(hours=24))
    await sweep(frontdesk, emu)
    notice = await emu.chat(john).wait_for(lambda m: "will be closed in about" in m.shown_text)
    assert "24 hours" in notice.shown_text
    clock.advance(timedelta(hours=24))
    await sweep(frontdesk, emu)
    await emu.chat(john).wait_for(lambda m: "is closed" in m.shown_text)
    await emu.chat(desk).wait_for(lambda m: "closed automatically after 72" in m.shown_text)
    await sweep(frontdesk, emu)
    assert len([m for m in emu.chat(john).bot_messages if "still waiting" in m.shown_text]) == 1
    assert len([m for m in emu.chat(john).bot_messages if "is closed" in m.shown_text]) == 1


async def test_a_customer_answer_stops_the_silence_reminders(frontdesk, emu, john, talk, desk, clock, db):
    await export_request(talk(john))
    card = await emu.chat(desk).wait_for(lambda m: m.shown_text.startswith("🎫 #1"))
    await desk.agent.send("Which browser?", chat=desk, thread_id=card.thread_id)
    answer = await emu.chat(john).wait_for(lambda m: "Which browser" in m.shown_text)
    await (await desk.agent.press(emu.message(desk, card.message_id), "⏳ Waiting for customer")).answer()
    await settled(emu)
    await john.reply(answer, "Firefox")
    await emu.chat(desk).wait_for(lambda m: "Firefox" in m.shown_text)
    await settled(emu)
    states = await reminder_states(db)
    assert [states[kind] for kind in ("customer_reminder", "autoclose_notice", "autoclose")] == ["cancelled"] * 3
    clock.advance(timedelta(hours=80))
    await sweep(frontdesk, emu)
    assert not any("still waiting" in m.shown_text for m in emu.chat(john).bot_messages)
    assert not any("is closed" in m.shown_text for m in emu.chat(john).bot_messages)


async def test_downtime_catch_up_sends_late_once_critical_first(frontdesk, emu, john, talk, desk, clock, db):
    mary = emu.add_user(1003, "Mary", language_code="en")
    await export_request(talk(john), criticality="🟢 Low")
    await export_request(talk(mary), criticality="🔴 Critical")
    await settled(emu)
    await frontdesk.stop()
    clock.advance(timedelta(days=2))  # Friday 11:00: both first responses and the critical resolution are overdue
    await frontdesk.start()  # the scheduler sweeps at start
    await emu.chat(desk).wait_for(lambda m: "🚨 #1" in m.shown_text)
    await frontdesk.app.worker.drain()
    await settled(emu)
    texts = [m.shown_text for m in emu.chat(DESK_CHAT).bot_messages if m.shown_text and m.shown_text[0] in "⏰🚨"]
    assert all("sent late" in text for text in texts), texts
    assert texts[0].startswith("⏰ #2") or texts[0].startswith("🚨 #2")  # the critical ticket first
    assert len(texts) == len(set(texts))
    assert await sweep(frontdesk, emu) == 0
    async with db() as session:
        pending = (await session.execute(
            select(func.count(Reminder.id)).where(Reminder.state == "pending", Reminder.due_at <= clock.now())
        )).scalar_one()
    assert pending == 0


async def test_the_daily_digest_on_the_next_working_day(frontdesk, emu, john, talk, desk, clock):
    await export_request(talk(john))
    clock.set(datetime(2026, 3, 12, 9, 31, tzinfo=MOSCOW))
    await sweep(frontdesk, emu)
    digest = await emu.chat(desk).wait_for(lambda m: "Daily digest" in m.shown_text)
    assert "#1 Export is broken" in digest.shown_text
    await sweep(frontdesk, emu)
    assert len(desk_texts(emu, "Daily digest")) == 1


async def test_two_sweepers_at_once_do_each_reminder_once(frontdesk, emu, john, talk, desk, clock, config):
    await export_request(talk(john))
    await settled(emu)
    clock.advance(timedelta(days=5))
    sla = SLA(config.sla)
    engines = [create_engine(config.storage.url) for _ in range(2)]
    try:
        sweepers = [Scheduler(create_sessionmaker(engine), sla, config.scheduler, clock) for engine in engines]
        results = await asyncio.gather(*(sweeper.sweep() for sweeper in sweepers))
        async with create_sessionmaker(engines[0])() as session:
            sent = (await session.execute(select(func.count(Reminder.id)).where(Reminder.state == "sent"))).scalar_one()
            events = (await session.execute(
                select(OutboxMessage.payload).where(OutboxMessage.kind == "desk_event"))).scalars().all()
    finally:
        for engine in engines:
            await engine.dispose()
    assert sum(results) == sent >= 4
    kinds = [payload["event"] for payload in events]
    assert sorted(kinds) == sorted(set(kinds))  # no reminder twice


async def test_old_processed_update_ids_are_forgotten(frontdesk, emu, john, talk, clock, db):
    from storage.models import ProcessedUpdate

    await talk(john).send("/start", expect="Hello")
    await settled(emu)
    async with db() as session:
        assert (await session.execute(select(func.count()).select_from(ProcessedUpdate))).scalar_one() == 1
    clock.advance(timedelta(days=3))
    await sweep(frontdesk, emu)
    async with db() as session:
        assert (await session.execute(select(func.count()).select_from(ProcessedUpdate))).scalar_one() == 0
