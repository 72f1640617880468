"""The agent desk: a ticket appears in the agents' group; answers go to the customer and back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from world import Running, make_config, settled

from desk.tickets import get_ticket
from storage.models import OutboxMessage, TicketMessage

REPO_FAQ = Path(__file__).resolve().parents[2] / "faq"


@pytest.fixture
def desk(either_desk):
    return either_desk


@pytest.fixture
def ivan(emu, desk):
    agent = emu.add_user(5001, "Ivan", language_code="ru")
    desk.add_member(agent, status="administrator")
    return agent


async def file_request(t, title="Printer is on fire", details="Smoke everywhere <b>now</b>"):
    await t.send("/new", expect="New request")
    step = await t.send(title, expect="What kind of problem")
    step = await t.press(step, "Question", expect="Describe the problem")
    await t.send(details, expect="Added")
    step = await t.do(t.person.send_photo(caption="the printer"), expect="Files in the request: 1")
    step = await t.press(step, "➡️ Continue", expect="How critical")
    preview = await t.press(step, "🔴 Critical", expect="Check your request")
    done = await t.press(preview, "✅ Send the request", expect="is registered")
    return int(done.shown_text.split("#")[1].split()[0])


async def card_of(emu, desk, number):
    view = emu.chat(desk)
    return await view.wait_for(lambda m: m.shown_text.startswith(f"🎫 #{number}"))


def thread_of(desk, card):
    return card.thread_id if desk.kind == "forum" else None


async def agent_says(ivan, desk, card, text):
    if desk.kind == "forum":
        return await ivan.send(text, chat=desk, thread_id=card.thread_id)
    return await ivan.send(text, chat=desk, reply_to=card)


async def test_a_new_ticket_gets_its_card_with_attachments(frontdesk, emu, john, talk, desk, ivan, db):
    number = await file_request(talk(john))
    card = await card_of(emu, desk, number)
    assert "Printer is on fire" in card.shown_text
    assert "Smoke everywhere <b>now</b>" in card.shown_text  # the customer's markup is shown as text
    assert "John (@john)" in card.shown_text
    assert "🔴 Critical" in card.shown_text and "First response due" in card.shown_text
    assert ["🙋 Take", "⬆️ Priority"] in card.buttons
    if desk.kind == "forum":
        (topic,) = emu.chat(desk).topics
        assert topic.name.startswith(f"#{number} 🔴 Printer is on fire")
        assert card.thread_id == topic.thread_id
    photo = await emu.chat(desk).wait_for(lambda m: m.media_kind == "photo")
    assert photo.thread_id == thread_of(desk, card)
    if desk.kind == "plain":
        assert photo.reply_to_message_id == card.message_id
    async with db() as session:
        ticket = await get_ticket(session, number)
    assert ticket.card_message_id == card.message_id


async def test_answers_travel_both_ways_and_notes_stay(frontdesk, emu, john, talk, desk, ivan, db):
    number = await file_request(talk(john))
    card = await card_of(emu, desk, number)
    await agent_says(ivan, desk, card, "Please unplug it <i>first</i>")
    answer = await emu.chat(john).wait_for(lambda m: "Please unplug it" in m.shown_text)
    assert "Support" in answer.shown_text and "Ivan" not in answer.shown_text
    assert "<i>first</i>" in answer.shown_text
    assert answer.buttons[0] == ["💬 Reply", "🔒 Close"]
    await agent_says(ivan, desk, card, "! customer sounds stressed")
    await agent_says(ivan, desk, card, "/help@another_bot")
    if desk.kind == "forum":
        await ivan.send_photo(caption="a diagram", chat=desk, thread_id=card.thread_id)
    else:
        await ivan.send_photo(caption="a diagram", chat=desk, reply_to=card)
    relayed_photo = await emu.chat(john).wait_for(lambda m: m.media_kind == "photo")
    assert "a diagram" in relayed_photo.shown_text
    # The customer replies to the relayed answer: it reaches the ticket's thread.
    await john.reply(answer, "Unplugged, still smoking")
    back = await emu.chat(desk).wait_for(lambda m: "Unplugged, still smoking" in m.shown_text)
    assert back.thread_id == thread_of(desk, card)
    await settled(emu)
    assert not any("stressed" in m.shown_text or "/help" in m.shown_text for m in emu.chat(john).messages)
    async with db() as session:
        kinds = [m.author_kind for m in (await session.execute(
            select(TicketMessage).where(TicketMessage.ticket_id == number).order_by(TicketMessage.id))).scalars()]
    assert kinds == ["customer", "support", "note", "support", "customer"]


async def test_messages_outside_tickets_are_left_alone(frontdesk, emu, john, talk, desk, ivan):
    await ivan.send("Good morning team", chat=desk)
    await settled(emu)
    assert emu.chat(desk).bot_messages == []


async def test_every_card_button(frontdesk, emu, john, talk, desk, ivan, db):
    number = await file_request(talk(john))
    card = await card_of(emu, desk, number)

    async def press(button, expect):
        toast = await (await ivan.press(emu.message(desk, card.message_id), button)).answer()
        await settled(emu)
        return toast, emu.message(desk, card.message_id)

    _toast, now = await press("🙋 Take", "Done")
    assert "taken by Ivan" in now.shown_text and "↩️ Release" in now.buttons[0]
    await emu.chat(john).wait_for(lambda m: "was taken into work" in m.shown_text)
    _toast, now = await press("⬆️ Priority", "Done")
    assert "⬆️ priority" in now.shown_text
    _toast, now = await press("⏫ Escalate to L2", "Done")
    assert "support level 2" in now.shown_text
    await emu.chat(desk).wait_for(lambda m: "escalated to support level 2 by Ivan" in m.shown_text)
    _toast, now = await press("⏳ Waiting for customer", "Done")
    assert "waiting for the customer" in now.shown_text
    await emu.chat(john).wait_for(lambda m: "waiting for your answer" in m.shown_text)
    _toast, now = await press("↩️ Release", "Done")
    assert "taken by" not in now.shown_text
    _toast, now = await press("✅ Resolve", "Done")
    assert "resolved" in now.shown_text
    await emu.chat(john).wait_for(lambda m: "is resolved" in m.shown_text)
    _toast, now = await press("🔒 Close", "Done")
    assert "closed" in now.shown_text and now.buttons == []
    await emu.chat(john).wait_for(lambda m: "is closed" in m.shown_text)
    async with db() as session:
        ticket = await get_ticket(session, number)
    assert (ticket.state, ticket.support_level, ticket.priority) == ("closed", 2, 1)


async def test_desk_commands(frontdesk, emu, john, talk, desk, ivan):
    number = await file_request(talk(john))
    card = await card_of(emu, desk, number)
    await agent_says(ivan, desk, card, "On it")
    await emu.chat(john).wait_for(lambda m: "On it" in m.shown_text)
    await ivan.send("/queue", chat=desk)
    queue = await emu.chat(desk).wait_for(lambda m: "Open tickets" in m.shown_text)
    assert f"#{number} Printer is on fire" in queue.shown_text
    await ivan.send(f"/ticket {number}", chat=desk)
    await emu.chat(desk).wait_for(
        lambda m: m.shown_text.startswith(f"🎫 #{number}") and m.message_id != card.message_id,
    )
    await ivan.send("/find smoke", chat=desk)
    await emu.chat(desk).wait_for(lambda m: m.shown_text.startswith("Found 1:"))
    await ivan.send("/stats", chat=desk)
    stats = await emu.chat(desk).wait_for(lambda m: m.shown_text.startswith("Tickets: 1"))
    assert "Median first response" in stats.shown_text and "1 answered" in stats.shown_text


async def test_desk_commands_do_nothing_elsewhere(frontdesk, emu, john, talk, desk, ivan):
    other = emu.add_group(-1009999, "Random chat")
    await ivan.send("/queue", chat=other)
    await john.send("/queue")
    await settled(emu)
    assert emu.chat(other).bot_messages == []
    assert "do not know this command" in emu.chat(john).last.shown_text


async def test_a_customer_who_blocked_the_bot_is_shown_on_the_card(frontdesk, emu, john, talk, desk, ivan, db):
    number = await file_request(talk(john))
    card = await card_of(emu, desk, number)
    await emu.block_bot(john)
    await emu.chat(desk).wait_for(lambda m: "blocked the bot" in m.shown_text and m.message_id == card.message_id)
    await agent_says(ivan, desk, card, "Are you there?")
    await settled(emu)
    async with db() as session:
        rows = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "to_customer"))).scalars().all()
    assert [row.state for row in rows] == ["failed"]
    await emu.unblock_bot(john)
    await emu.chat(desk).wait_for(lambda m: "unblocked the bot" in m.shown_text)


async def test_an_agent_sends_a_faq_entry_by_its_id(emu, john, talk, desk, ivan, tmp_path):
    shutil.copytree(REPO_FAQ, tmp_path / "faq", dirs_exist_ok=True)
    running = Running(make_config(emu, tmp_path))
    await running.start()
    try:
        number = await file_request(talk(john), title="Need a paper invoice", details="For accounting")
        card = await card_of(emu, desk, number)
        await agent_says(ivan, desk, card, "/faq en-nothing-like-this")
        await emu.chat(desk).wait_for(lambda m: "There is no FAQ entry «en-nothing-like-this»" in m.shown_text)
        await agent_says(ivan, desk, card, "/faq en-billing-invoice")
        await emu.chat(desk).wait_for(lambda m: "is on its way to the customer" in m.shown_text)
        answer = await emu.chat(john).wait_for(lambda m: "How do I get an invoice?" in m.shown_text)
        assert answer.shown_text.startswith("💬 Support · #1")
    finally:
        await running.stop()


async def test_find_folds_cyrillic_case_and_takes_wildcards_literally(frontdesk, emu, john, talk, desk, ivan):
    number = await file_request(talk(john), title="Ошибка 100% при экспорте", details="Кнопка не работает")
    await card_of(emu, desk, number)
    await ivan.send("/find ошибка", chat=desk)
    await emu.chat(desk).wait_for(lambda m: m.shown_text.startswith("Found 1:"))
    await ivan.send("/find 0%_", chat=desk)
    await emu.chat(desk).wait_for(lambda m: m.shown_text.startswith("Nothing found for «0%_»"))
