"""Templates (canned replies): an agent sends one by its id, finds one by a word or picks it from
the card's "📎 Templates"; the customer gets it filled in as support's answer, and the ticket's
thread shows what was sent. Forged and stale presses are refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from world import file_request, make_config, settled

REPO_FAQ = Path(__file__).resolve().parents[2] / "faq"
SORRY = """---
id: sorry-wait
title: Sorry for the wait
lang: en
---
Dear {customer}, sorry that request #{ticket} took a while. Yours, {agent}.
"""


@pytest.fixture
def desk(either_desk):
    return either_desk


@pytest.fixture
def ivan(emu, desk):
    agent = emu.add_user(5001, "Ivan", language_code="en")
    desk.add_member(agent, status="administrator")
    return agent


@pytest.fixture
def config(emu, tmp_path):
    """Frontdesk on the repository's FAQ and starter templates, and one more template; answers
    signed with the agent's first name."""
    shutil.copytree(REPO_FAQ, tmp_path / "faq")
    (tmp_path / "faq" / "templates" / "en" / "sorry.md").write_text(SORRY, encoding="utf-8")
    return make_config(emu, tmp_path, desk={"agent_signature": "first_name"})


async def request_of(t) -> int:
    """The customer files a request about a printer (nothing the FAQ answers); its number."""
    done = await file_request(t, "Printer jam in room 5", "It beeps twice.")
    return int(done.shown_text.split("#")[1].split()[0])


async def card_of(emu, desk, number):
    return await emu.chat(desk).wait_for(lambda m: m.shown_text.startswith(f"🎫 #{number}"))


async def agent_says(ivan, desk, card, text):
    if desk.kind == "forum":
        return await ivan.send(text, chat=desk, thread_id=card.thread_id)
    return await ivan.send(text, chat=desk, reply_to=card)


def support_answers(emu, john):
    return [m for m in emu.chat(john).messages if m.shown_text.startswith("💬 Ivan")]


async def test_a_template_with_placeholders_reaches_the_customer_filled_in(frontdesk, emu, john, talk, desk, ivan):
    number = await request_of(talk(john))
    card = await card_of(emu, desk, number)
    await agent_says(ivan, desk, card, "/t sorry-wait")

    answer = await emu.chat(john).wait_for(lambda m: m.shown_text.startswith(f"💬 Ivan · #{number}"))
    assert f"Dear John, sorry that request #{number} took a while. Yours, Ivan." in answer.shown_text
    assert "{" not in answer.shown_text and "Sorry for the wait" not in answer.shown_text
    shown = await emu.chat(desk).wait_for(lambda m: "sent the template «Sorry for the wait»" in m.shown_text)
    assert shown.shown_text.startswith(f"📎 #{number}: Ivan sent the template")
    assert f"Dear John, sorry that request #{number} took a while." in shown.shown_text
    if desk.kind == "forum":
        assert shown.thread_id == card.thread_id


async def test_a_word_offers_the_matching_templates_and_a_press_sends_one(frontdesk, emu, john, talk, desk, ivan):
    number = await request_of(talk(john))
    card = await card_of(emu, desk, number)
    await agent_says(ivan, desk, card, "/t password")
    offer = await emu.chat(desk).wait_for(lambda m: m.shown_text.startswith(f"📎 Templates for #{number}"))
    # The customer's language first.
    assert offer.buttons == [["📎 Password reset link sent"], ["📎 Ссылка для сброса пароля отправлена"]]
    assert support_answers(emu, john) == []

    toast = await (await ivan.press(offer, "📎 Password reset link sent")).answer()
    assert toast.text == "The template «Password reset link sent» is on its way to the customer."
    answer = await emu.chat(john).wait_for(lambda m: m.shown_text.startswith(f"💬 Ivan · #{number}"))
    assert "John, we have sent a password reset link" in answer.shown_text
    assert f"(request #{number})" in answer.shown_text
    # The offer became the line saying what was sent, without buttons.
    sent = await emu.chat(desk).wait_for(lambda m: m.message_id == offer.message_id and m.edited)
    assert "Ivan sent the template «Password reset link sent»" in sent.shown_text and sent.buttons == []


async def test_the_cards_templates_button_lists_them_to_pick_from(frontdesk, emu, john, talk, desk, ivan):
    number = await request_of(talk(john))
    card = await card_of(emu, desk, number)
    assert any("📎 Templates" in row for row in card.buttons)
    await (await ivan.press(card, "📎 Templates")).answer()
    offer = await emu.chat(desk).wait_for(lambda m: m.shown_text.startswith(f"📎 Templates for #{number}"))
    if desk.kind == "forum":
        assert offer.thread_id == card.thread_id
    assert ["📎 Sorry for the wait"] in offer.buttons
    await (await ivan.press(offer, "📎 Sorry for the wait")).answer()
    answer = await emu.chat(john).wait_for(lambda m: m.shown_text.startswith(f"💬 Ivan · #{number}"))
    assert f"Dear John, sorry that request #{number} took a while." in answer.shown_text


async def test_unknown_templates_no_ticket_forged_and_stale_presses_are_refused(
        frontdesk, emu, john, talk, desk, ivan):
    number = await request_of(talk(john))
    card = await card_of(emu, desk, number)
    data = f"tp:send:{number}:sorry-wait"

    await agent_says(ivan, desk, card, "/t no-such-template-anywhere")
    await emu.chat(desk).wait_for(lambda m: "There is no template «no-such-template-anywhere»" in m.shown_text)
    await ivan.send("/t sorry-wait", chat=desk)  # in the general chat, about no ticket
    await emu.chat(desk).wait_for(lambda m: m.shown_text == "Use /t in a ticket's topic, or as a reply to its card.")
    # Another group: the button's data pressed on a message there.
    other = emu.add_group(-1009999, "Random chat")
    other.add_member(ivan)
    stray = await ivan.send("hello", chat=other)
    assert "out of date" in (await (await ivan.press_data(stray, data)).answer()).text
    # A customer (not an agent) forging it in their own chat.
    menu = await talk(john).send("/start", expect="Hello")
    assert "out of date" in (await (await john.press_data(menu, data)).answer()).text
    # A template that is not there, and a ticket that is not this one's.
    gone = await (await ivan.press_data(card, f"tp:send:{number}:gone")).answer()
    assert gone.text == "There is no template «gone». /t alone lists them."
    nobody = await (await ivan.press_data(card, f"tp:send:{number + 50}:sorry-wait")).answer()
    assert nobody.text == "No such ticket here."
    # A closed ticket: the command, the list and the button.
    await (await ivan.press(card, "🔒 Close")).answer()
    await settled(emu)
    assert (await (await ivan.press_data(card, data)).answer()).text == "The ticket is closed."
    assert (await (await ivan.press_data(card, f"tp:list:{number}:")).answer()).text == "The ticket is closed."
    await agent_says(ivan, desk, card, "/t sorry-wait")
    await emu.chat(desk).wait_for(lambda m: m.shown_text == "The ticket is closed.")
    await settled(emu)
    assert [m for m in support_answers(emu, john) if "sorry" in m.shown_text.lower()] == []
