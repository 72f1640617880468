"""Faults injected through the emulator and the database: after each, nothing is lost or doubled,
checked from the database and from what each chat shows."""

from __future__ import annotations

import asyncio
import re
import sqlite3

import pytest
from sqlalchemy import func, select
from world import DESK_CHAT, Running, eventually, file_request, make_config, settled, until_preview

from storage.models import OutboxMessage, Ticket


@pytest.fixture
def desk(forum_desk):
    return forum_desk


async def open_ticket(t, emu, desk, title="Cannot print"):
    await file_request(t, title)
    card = await emu.chat(desk).wait_for(lambda m: m.shown_text.startswith("🎫 #") and title in m.shown_text)
    await settled(emu)
    return card


def shown(emu, chat, needle):
    return [m for m in emu.chat(chat).messages if needle in m.shown_text]


async def outbox_states(db) -> dict[str, int]:
    async with db() as session:
        rows = (await session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state))).all()
    return dict(rows)


async def test_a_429_with_retry_after_3_delays_that_send_by_3_seconds_and_loses_nothing(frontdesk, emu, john,
                                                                                      talk, desk, db):
    card = await open_ticket(talk(john), emu, desk)
    emu.inject_error("sendMessage", chat_id=john.id, error_code=429, retry_after=3)
    await desk.agent.send("Try turning it off and on", chat=desk, thread_id=card.thread_id)
    await emu.chat(john).wait_for(lambda m: "Try turning it off" in m.shown_text, timeout=10)
    attempts = [c for c in emu.calls_to("sendMessage") if c.params.get("chat_id") in (john.id, str(john.id))
                and "Try turning it off" in str(c.params.get("text"))]
    assert [c.result_ok for c in attempts] == [False, True]
    assert attempts[0].error_code == 429
    assert attempts[1].at - attempts[0].at >= 3.0  # not before retry_after (how much later depends on load)
    await settled(emu)
    assert len(shown(emu, john, "Try turning it off")) == 1
    assert (await outbox_states(db)).get("failed") is None


async def test_a_429_storm_and_5xx_lose_and_double_nothing(frontdesk, emu, john, talk, desk, db):
    card = await open_ticket(talk(john), emu, desk)
    emu.inject_error("sendMessage", chat_id=john.id, error_code=429, retry_after=1, times=3)
    emu.inject_status("sendMessage", 502, chat_id=john.id, times=2)
    for index in range(5):
        await desk.agent.send(f"answer {index}", chat=desk, thread_id=card.thread_id)
    for index in range(5):
        await emu.chat(john).wait_for(lambda m, i=index: f"answer {i}" in m.shown_text, timeout=20)
    await settled(emu)
    numbers = [
        found.group(1) for m in emu.chat(john).bot_messages if (found := re.search(r"answer (\d)$", m.shown_text))
    ]
    assert numbers == ["0", "1", "2", "3", "4"]  # once each, in order
    assert (await outbox_states(db)).get("failed") is None


async def test_a_timeout_is_retried_and_the_answer_arrives(emu, john, talk, desk, tmp_path, db):
    (tmp_path / "faq").mkdir(exist_ok=True)  # the db fixture built the default config already
    running = Running(make_config(emu, tmp_path, telegram={"request_timeout": 1.5}))
    await running.start()
    try:
        card = await open_ticket(talk(john), emu, desk)
        hold = emu.hold("sendMessage", chat_id=john.id)  # the first attempt never gets an answer
        await desk.agent.send("Answer after a timeout", chat=desk, thread_id=card.thread_id)
        await hold.arrived()
        await emu.chat(john).wait_for(lambda m: "Answer after a timeout" in m.shown_text, timeout=15)
        await settled(emu)
        hold.release()
        attempts = [c for c in emu.calls_to("sendMessage") if "Answer after a timeout" in str(c.params.get("text"))]
        assert len(attempts) == 2 and attempts[-1].result_ok
        # The emulator drops a request whose client gave up, so here the answer shows once. Telegram
        # may still deliver a request that timed out (it has no idempotency key): the README's
        # at-least-once window.
        assert len(shown(emu, john, "Answer after a timeout")) == 1
    finally:
        await running.stop()


async def test_message_is_not_modified_is_not_an_error(frontdesk, emu, john, talk, desk, db):
    card = await open_ticket(talk(john), emu, desk)
    emu.inject_error("editMessageText", error_code=400,
                     description="Bad Request: message is not modified: specified new message content and reply "
                                 "markup are exactly the same as a current content and reply markup of the message")
    await (await desk.agent.press(emu.message(desk, card.message_id), "⬆️ Priority")).answer()
    await settled(emu)
    assert (await outbox_states(db)).get("failed") is None
    assert [c.error_code for c in emu.calls_to("editMessageText")] == [400]


async def test_the_agent_group_upgraded_to_a_supergroup_is_followed(frontdesk, emu, john, talk, db):
    group = emu.add_group(DESK_CHAT, "Support desk", forum=False, supergroup=False)
    agent = emu.add_user(5001, "Ivan", language_code="ru")
    group.add_member(agent, status="administrator")
    old_id = group.id
    new_id = await emu.migrate_group(group)
    await settled(emu)
    await open_ticket(talk(john), emu, group)
    card = emu.chat(new_id).bot_messages[0]
    assert card.shown_text.startswith("🎫 #1")
    await agent.send("Answer from the supergroup", chat=group, reply_to=card)
    await emu.chat(john).wait_for(lambda m: "Answer from the supergroup" in m.shown_text)
    async with db() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
    assert (ticket.card_chat_id, old_id != new_id) == (new_id, True)


async def test_a_deleted_topic_is_made_again(frontdesk, emu, john, talk, desk, db):
    t = talk(john)
    card = await open_ticket(t, emu, desk)
    await desk.agent.send("First answer", chat=desk, thread_id=card.thread_id)
    answer = await emu.chat(john).wait_for(lambda m: "First answer" in m.shown_text)
    await settled(emu)  # the worker has saved where the answer stands in John's chat
    emu.delete_topic(desk, card.thread_id)
    await john.reply(answer, "Still broken after the topic was deleted")
    back = await emu.chat(desk).wait_for(lambda m: "Still broken after the topic" in m.shown_text)
    assert back.thread_id != card.thread_id
    (topic,) = emu.chat(desk).topics
    assert topic.thread_id == back.thread_id
    assert any(m.shown_text.startswith("🎫 #1") for m in emu.chat(desk).topic(topic.thread_id).messages)


async def test_a_long_answer_is_split_and_a_long_caption_moved(frontdesk, emu, john, talk, desk):
    card = await open_ticket(talk(john), emu, desk)
    long_text = "word " * 818  # 4089 characters: with the header the message would pass 4096
    await desk.agent.send(long_text.strip(), chat=desk, thread_id=card.thread_id)
    await settled(emu)
    parts = [m for m in emu.chat(john).bot_messages if "word word" in m.shown_text]
    assert len(parts) == 2 and all(len(m.shown_text) <= 4096 for m in parts)
    assert sum(m.shown_text.count("word") for m in parts) == 818
    await desk.agent.send_photo(caption="x" * 1000, chat=desk, thread_id=card.thread_id)
    await settled(emu)
    photo = [m for m in emu.chat(john).bot_messages if m.media_kind == "photo"][-1]
    assert len(photo.shown_text) <= 1024
    assert any("x" * 1000 in m.shown_text for m in emu.chat(john).bot_messages if m.media_kind is None)


async def test_the_sqlite_file_locked_by_another_writer_makes_the_submit_wait(frontdesk, emu, john, talk, config, db):
    t = talk(john)
    preview = await until_preview(t, "Locked database")
    path = config.storage.url.split("///", 1)[1]
    await settled(emu)
    other = sqlite3.connect(path, timeout=10)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
    try:
        await john.press(preview, "✅ Send the request")
        # The press reached the bot and its handler is at work: waiting for the lock.
        await eventually(lambda: not emu.busy(), "the bot took the press")
        assert frontdesk.app.handling() == 1
        assert not shown(emu, john, "is registered")
    finally:
        other.rollback()
        other.close()
    await emu.chat(john).wait_for(lambda m: "is registered" in m.shown_text, timeout=10)
    async with db() as session:
        assert (await session.execute(select(func.count(Ticket.id)))).scalar_one() == 1


async def test_two_updates_of_one_customer_at_once_are_both_kept(frontdesk, emu, john, talk):
    t = talk(john)
    await t.send("/new", expect="New request")
    step = await t.send("Two at once", expect="What kind of problem")
    step = await t.press(step, "Question", expect="Describe the problem")
    await asyncio.gather(john.send("first part"), john.send("second part"))
    await settled(emu)
    step = await t.press(emu.chat(john).last, "➡️ Continue", expect="How critical")
    preview = await t.press(step, "🟡 Normal", expect="Check your request")
    assert "first part" in preview.shown_text and "second part" in preview.shown_text


async def test_a_flooding_customer_is_throttled_with_one_notice_and_others_are_served(frontdesk, emu, john, talk):
    mary = emu.add_user(1003, "Mary", language_code="en")
    for index in range(200):
        await john.send(f"spam {index}")
    await talk(mary).send("/help", expect="How I can help")
    await settled(emu, timeout=30)
    notices = shown(emu, john, "sending messages too fast")
    assert len(notices) == 1
    answered = [m for m in emu.chat(john).bot_messages if "sending messages too fast" not in m.shown_text]
    assert 0 < len(answered) <= 30


async def test_one_slow_chat_does_not_hold_up_the_others(frontdesk, emu, john):
    mary = emu.add_user(1003, "Mary", language_code="en")
    hold = emu.hold("sendMessage", chat_id=john.id)  # John's answer is stuck on its way
    await john.send("/help")
    await hold.arrived()
    await mary.send("/help")
    await emu.chat(mary).wait_for(lambda m: "How I can help" in m.shown_text, timeout=10)
    assert not shown(emu, john, "How I can help")  # Mary was served while John's answer was held
    hold.release()
    await emu.chat(john).wait_for(lambda m: "How I can help" in m.shown_text, timeout=10)
