"""Questions in the chat: the FAQ answers, suggests or offers a request; outcomes are stored."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from world import Running, make_config, settled

from storage.models import Search, Ticket

FAQ = Path(__file__).resolve().parents[2] / "faq"


@pytest.fixture
def config(emu, tmp_path):
    shutil.copytree(FAQ, tmp_path / "faq")
    return make_config(emu, tmp_path, desk={"admin_ids": [4242]})


async def searches(db) -> list[Search]:
    async with db() as session:
        return list((await session.execute(select(Search).order_by(Search.id))).scalars())


async def test_a_question_is_answered_and_helped_is_recorded(frontdesk, emu, john, talk, db):
    t = talk(john)
    answer = await t.send("I forgot my password", expect="reset")
    assert answer.shown_text.startswith("How do I reset my password?")
    assert answer.buttons == [["✅ Helped"], ["❌ Did not help — contact support"]]
    toast = await (await john.press(answer, "✅ Helped")).answer()
    assert toast.text == "Glad it helped!"
    await settled(emu)
    assert emu.message(john, answer.message_id).buttons == []
    (search,) = await searches(db)
    assert (search.query, search.decision, search.entry_id, search.outcome) == (
        "I forgot my password", "answer", "en-password-reset", "helped")


async def test_wrong_keyboard_layout_is_understood(frontdesk, emu, anna, talk):
    answer = await talk(anna).send("rfr cjplfnm pfzdre", expect="Как создать заявку")
    assert "✅ Помогло" in answer.buttons[0][0]


async def test_did_not_help_leads_to_a_request_titled_with_the_question(frontdesk, emu, john, talk, db):
    t = talk(john)
    answer = await t.send("I forgot my password", expect="reset")
    step = await t.press(answer, "❌ Did not help — contact support", expect="What kind of problem")
    step = await t.press(step, "Question", expect="Describe the problem")
    step = await t.send("The reset mail never comes.", expect="Added")
    step = await t.press(step, "➡️ Continue", expect="How critical")
    preview = await t.press(step, "🟡 Normal", expect="Check your request")
    assert "Title: I forgot my password" in preview.shown_text
    await t.press(preview, "✅ Send the request", expect="is registered")
    (search,) = await searches(db)
    async with db() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
    assert (search.outcome, search.ticket_id) == ("ticket_opened", ticket.id)
    assert ticket.title == "I forgot my password"


async def test_nothing_found_offers_a_request(frontdesk, emu, john, talk, db):
    t = talk(john)
    offer = await t.send("recipe for borscht with smetana", expect="did not find an answer")
    await t.press(offer, "📝 Open a request", expect="What kind of problem")
    (search,) = await searches(db)
    assert (search.decision, search.outcome) == ("none", "none")


async def test_a_suggestion_button_opens_its_answer(emu, john, talk, tmp_path):
    shutil.copytree(FAQ, tmp_path / "faq")
    running = Running(make_config(emu, tmp_path, kb={"answer_threshold": 99.9, "suggest_threshold": 1.0}))
    await running.start()
    try:
        t = talk(john)
        offer = await t.send("I forgot my password", expect="Is it one of these?")
        assert offer.buttons[0] == ["How do I reset my password?"]
        assert offer.buttons[-1] == ["🙋 None of these — contact support"]
        answer = await t.press(offer, "How do I reset my password?", expect="reset")
        assert answer.buttons[0] == ["✅ Helped"]
    finally:
        await running.stop()


async def test_the_form_offers_a_faq_answer_for_its_title(frontdesk, emu, john, talk, db):
    t = talk(john)
    await t.send("/new", expect="New request")
    offer = await t.send("I forgot my password", expect="reset")
    assert t.view.messages[-2].shown_text == "Maybe this answers it?"
    await t.press(offer, "✅ This solved it", expect="Glad it helped! The request was not sent.")
    await t.send("/new", expect="New request")
    offer = await t.send("I forgot my password", expect="reset")
    await t.press(offer, "📨 Still send my request", expect="What kind of problem")
    outcomes = [(s.source, s.outcome) for s in await searches(db)]
    assert outcomes == [("form", "helped"), ("form", "not_helped")]


async def test_an_admin_reloads_the_faq_and_sees_errors(frontdesk, emu, talk, config):
    admin = emu.add_user(4242, "Admin", language_code="en")
    t = talk(admin)
    faq = Path(config.kb.path)
    (faq / "en" / "shipping.md").write_text(
        "---\nquestions:\n  - How long does shipping take?\n---\nThree to five days.\n", encoding="utf-8")
    (faq / "en" / "broken.md").write_text("---\nquestions: [unclosed\n---\nBody\n", encoding="utf-8")
    report = await t.send("/reload_kb", expect="Knowledge base reloaded")
    assert "31 entries in service" in report.shown_text
    assert "broken.md:3: front matter: broken YAML" in report.shown_text
    await t.send("how long does shipping take", expect="Three to five days")


async def test_a_customer_cannot_reload_the_faq(frontdesk, emu, john, talk):
    await talk(john).send("/reload_kb", expect="I do not know this command")


async def test_an_unanswered_message_can_go_to_a_request_in_progress(frontdesk, emu, john, talk, db):
    from storage.models import TicketMessage

    t = talk(john)
    await t.send("/new", expect="New request")
    step = await t.send("Printer offline", expect="What kind of problem")
    step = await t.press(step, "Question", expect="Describe the problem")
    step = await t.send("It says offline.", expect="Added")
    step = await t.press(step, "➡️ Continue", expect="How critical")
    preview = await t.press(step, "🟡 Normal", expect="Check your request")
    await t.press(preview, "✅ Send the request", expect="is registered")
    offer = await t.send("tried the cable again, still offline", expect="did not find an answer")
    assert offer.buttons == [["📝 Open a request"], ["➕ Add to request #1 «Printer offline»"]]
    await t.press(offer, "➕ Add to request #1 «Printer offline»", expect="Added to request #1.")
    async with db() as session:
        texts = [m.text for m in (await session.execute(
            select(TicketMessage).where(TicketMessage.ticket_id == 1).order_by(TicketMessage.id))).scalars()]
    assert texts == ["It says offline.", "tried the cable again, still offline"]
    forged = await (await john.press_data(offer, "q:append:1:999")).answer()
    assert forged.text == "This button is out of date."
