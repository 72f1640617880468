"""Answer suggestions on a ticket's card: the FAQ entries that match what the customer wrote, each
with a button that sends its answer as support's; what agents send is counted for the FAQ report."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from world import make_config, settled

from storage.models import SuggestionUse, TicketMessage

REPO_FAQ = Path(__file__).resolve().parents[2] / "faq"
INVOICE = "How do I get an invoice?"


@pytest.fixture
def config(emu, tmp_path):
    """Frontdesk on the repository's FAQ."""
    shutil.copytree(REPO_FAQ, tmp_path / "faq")
    return make_config(emu, tmp_path)


@pytest.fixture
def ivan(forum_desk):
    return forum_desk.agent


async def invoice_request(talk, john) -> int:
    t = talk(john)
    await t.send("/new", expect="New request")
    step = await t.send("Need a paper invoice", expect="What kind of problem")
    step = await t.press(step, "Question", expect="Describe the problem")
    # The form offers the FAQ's answer to the details first; this customer wants a person.
    step = await t.send("For accounting, where do I get an invoice for my payment?", expect="Added")
    offer = await t.press(step, "➡️ Continue", expect=INVOICE)
    step = await t.press(offer, "📨 Still send my request", expect="How critical")
    preview = await t.press(step, "🟡 Normal", expect="Check your request")
    done = await t.press(preview, "✅ Send the request", expect="is registered")
    return int(done.shown_text.split("#")[1].split()[0])


async def test_pressing_a_suggestion_sends_that_faq_answer_and_records_it(
        frontdesk, emu, john, talk, forum_desk, ivan, db):
    number = await invoice_request(talk, john)
    card = await emu.chat(forum_desk).wait_for(lambda m: m.shown_text.startswith(f"🎫 #{number}"))
    assert "💡 Suggested answers:" in card.shown_text
    assert f"1️⃣ {INVOICE} (en-billing-invoice)" in card.shown_text

    press = await ivan.press(card, f"1️⃣ Send: {INVOICE}")
    toast = await press.answer()
    assert toast.text == f"The FAQ answer «{INVOICE}» is on its way to the customer."
    answer = await emu.chat(john).wait_for(lambda m: m.shown_text.startswith(f"💬 Support · #{number}"))
    assert INVOICE in answer.shown_text
    await settled(emu)
    async with db() as session:
        uses = (await session.execute(select(SuggestionUse))).scalars().all()
        sent = (await session.execute(select(TicketMessage).where(
            TicketMessage.ticket_id == number, TicketMessage.author_kind == "support"))).scalars().all()
    assert [(u.ticket_id, u.entry_id, u.position, u.agent_telegram_id) for u in uses] == [
        (number, "en-billing-invoice", 1, ivan.id)]
    assert len(sent) == 1 and sent[0].author_name == "Ivan"


async def test_forged_and_stale_suggestion_buttons_are_refused(frontdesk, emu, john, talk, forum_desk, ivan, db):
    number = await invoice_request(talk, john)
    card = await emu.chat(forum_desk).wait_for(lambda m: m.shown_text.startswith(f"🎫 #{number}"))
    data = f"sg:{number}:1:en-billing-invoice"

    # Another group: the button's data pressed on a message there.
    other = emu.add_group(-1009999, "Random chat")
    other.add_member(ivan)
    stray = await ivan.send("hello", chat=other)
    assert "out of date" in (await (await ivan.press_data(stray, data)).answer()).text
    # A customer (not an agent) forging it in their own chat.
    menu = await talk(john).send("/start", expect="Hello")
    assert "out of date" in (await (await john.press_data(menu, data)).answer()).text
    # An entry the card does not suggest.
    forged = await (await ivan.press_data(card, f"sg:{number}:1:en-rate-answer")).answer()
    assert forged.text == "This button is out of date."
    # A closed ticket.
    await (await ivan.press(card, "🔒 Close")).answer()
    await settled(emu)
    stale = await (await ivan.press_data(card, data)).answer()
    assert stale.text == "The ticket is closed."
    await settled(emu)
    async with db() as session:
        assert (await session.execute(select(SuggestionUse))).scalars().all() == []
    assert not [m for m in emu.chat(john).messages if m.shown_text.startswith("💬 Support")]
