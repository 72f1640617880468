"""The request form, end to end: a customer fills it in through the emulator; the ticket is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from world import settled

from desk.tickets import get_ticket
from storage.models import Attachment, Ticket


async def open_form(talk, person):
    return await talk(person).send("/new", expect="New request")


async def fill_until_preview(
    t, *, title="VPN does not connect", type_button="Question", details="It fails since the morning.",
):
    await t.send(title, expect="What kind of problem")
    step = t.view.last
    step = await t.press(step, type_button, expect="Describe the problem")
    step = await t.send(details, expect="Added to the description")
    step = await t.press(step, "➡️ Continue", expect="How critical")
    return await t.press(step, "🔴 Critical", expect="Check your request")


async def count_tickets(db) -> int:
    async with db() as session:
        return (await session.execute(select(func.count(Ticket.id)))).scalar_one()


async def test_whole_form_with_photo_document_album_and_extra_steps(frontdesk, emu, john, talk, db):
    t = talk(john)
    await open_form(talk, john)
    step = await t.send("App crashes on export", expect="What kind of problem")
    step = await t.press(step, "Error", expect="Which version")
    step = await t.send("4.2.1", expect="step by step")
    step = await t.send("Open a report, press Export, see the crash.", expect="Describe the problem")
    await t.send("The whole app closes without a message.", expect="Added to the description")
    await t.do(john.send_photo(caption="the crash dialog"), expect="Files in the request: 1")
    await t.do(john.send_document(b"log line 1\n", filename="crash.log"), expect="Files in the request: 2")
    step = await t.do(
        john.send_album([("photo", None, "before"), ("photo", None, None), ("document", None, None)]),
        expect="Files in the request: 3",  # acknowledged once, on the album's first item
    )
    await settled(emu)
    acks = [m for m in emu.chat(john).bot_messages if "Files in the request" in m.shown_text]
    assert len(acks) == 3
    step = await t.press(emu.chat(john).last, "➡️ Continue", expect="How critical")
    preview = await t.press(step, "🟠 High", expect="Check your request")
    assert "Version: 4.2.1" in preview.shown_text
    assert "Steps to reproduce: Open a report" in preview.shown_text
    assert "photos: 3, documents: 2" in preview.shown_text
    assert "Criticality: 🟠 High" in preview.shown_text
    done = await t.press(preview, "✅ Send the request", expect="is registered")
    number = int(done.shown_text.split("#")[1].split()[0])

    async with db() as session:
        ticket = await get_ticket(session, number)
    assert ticket.title == "App crashes on export"
    assert ticket.problem_type == "error"
    assert ticket.fields == {"version": "4.2.1", "steps": "Open a report, press Export, see the crash."}
    assert ticket.criticality == "high"
    assert ticket.state == "new"
    assert ticket.customer.telegram_id == john.id
    assert ticket.details.startswith("The whole app closes without a message.")
    assert "the crash dialog" in ticket.details and "before" in ticket.details
    kinds = [a.kind for a in ticket.messages[0].attachments]
    assert sorted(kinds) == ["document", "document", "photo", "photo", "photo"]
    assert len({a.file_id for a in ticket.messages[0].attachments}) == 5
    album = [a for a in ticket.messages[0].attachments if a.media_group_id]
    assert len(album) == 3 and len({a.media_group_id for a in album}) == 1
    # After submit the text is fixed: the preview's buttons are gone.
    assert emu.message(john, preview.message_id).buttons == []


@pytest.mark.parametrize(
    ("button", "expect", "answer", "shown"),
    [
        ("✏️ Title", "Name the problem", "Printer jams", "Title: Printer jams"),
        ("✏️ Details", "Describe the problem", "New description", "Details: New description"),
    ],
)
async def test_edit_a_text_field_from_the_preview(frontdesk, emu, john, talk, button, expect, answer, shown):
    t = talk(john)
    await open_form(talk, john)
    preview = await fill_until_preview(t)
    await t.press(preview, button, expect=expect)
    if button == "✏️ Details":
        step = await t.send(answer, expect="Added to the description")
        preview = await t.press(step, "➡️ Continue", expect="Check your request")
    else:
        preview = await t.send(answer, expect="Check your request")
    assert shown in preview.shown_text
    assert "Criticality: 🔴 Critical" in preview.shown_text  # the rest is kept


async def test_edit_type_asks_the_new_types_steps_then_returns(frontdesk, emu, john, talk):
    t = talk(john)
    await open_form(talk, john)
    preview = await fill_until_preview(t)
    step = await t.press(preview, "✏️ Type", expect="What kind of problem")
    step = await t.press(step, "Suggestion", expect="What would it help you do")
    preview = await t.press(step, "⏭ Skip", expect="Check your request")
    assert "Type: Suggestion" in preview.shown_text
    assert "Why it matters: —" in preview.shown_text
    step = await t.press(preview, "✏️ Type", expect="What kind of problem")
    preview = await t.press(step, "Billing and invoices", expect="Check your request")
    assert "Type: Billing and invoices" in preview.shown_text
    assert "Why it matters" not in preview.shown_text


async def test_edit_criticality_and_back_from_an_edit(frontdesk, emu, john, talk):
    t = talk(john)
    await open_form(talk, john)
    preview = await fill_until_preview(t)
    step = await t.press(preview, "✏️ Criticality", expect="How critical")
    preview = await t.press(step, "🟢 Low", expect="Check your request")
    assert "Criticality: 🟢 Low" in preview.shown_text
    step = await t.press(preview, "✏️ Title", expect="Name the problem")
    assert step.buttons == [["⬅️ Back", "✖️ Cancel"]]
    # Back from an edit returns to the preview, the title and everything else unchanged.
    again = await t.press(step, "⬅️ Back", expect="Check your request")
    assert again.shown_text == preview.shown_text
    assert "VPN does not connect" in again.shown_text and "Criticality: 🟢 Low" in again.shown_text


async def test_back_goes_one_step_and_keeps_answers(frontdesk, emu, john, talk):
    t = talk(john)
    await open_form(talk, john)
    step = await t.send("Cannot log in", expect="What kind of problem")
    step = await t.press(step, "Error", expect="Which version")
    step = await t.press(step, "⬅️ Back", expect="What kind of problem")
    assert "✅ Error" in [text for row in step.buttons for text in row]
    step = await t.press(step, "⬅️ Back", expect="Name the problem")
    step = await t.send("Cannot log in at all", expect="What kind of problem")
    step = await t.press(step, "Question", expect="Describe the problem")
    step = await t.send("Password is refused.", expect="Added")
    step = await t.press(step, "⬅️ Back", expect="What kind of problem")
    step = await t.press(step, "Question", expect="Describe the problem")
    step = await t.press(step, "➡️ Continue", expect="How critical")
    preview = await t.press(step, "🟡 Normal", expect="Check your request")
    assert "Title: Cannot log in at all" in preview.shown_text
    assert "Details: Password is refused." in preview.shown_text


async def test_cancel_from_a_button_and_from_the_command(frontdesk, emu, john, talk, db):
    t = talk(john)
    step = await open_form(talk, john)
    await t.press(step, "✖️ Cancel", expect="The request was cancelled")
    await open_form(talk, john)
    await t.send("Something", expect="What kind of problem")
    await t.send("/cancel", expect="Cancelled")
    await t.send("/cancel", expect="nothing to cancel")
    assert await count_tickets(db) == 0


async def test_wrong_input_at_each_step_keeps_the_state(frontdesk, emu, john, talk, config):
    t = talk(john)
    await open_form(talk, john)
    # title: a sticker, an empty line, too long
    await t.do(john.send_sticker(), expect="send the title as a text")
    await t.send("   ", expect="That is empty")
    await t.send("x" * 121, expect="121 characters, the limit is 120")
    step = await t.send("Title that fits", expect="What kind of problem")
    # type: text where a button is expected
    await t.send("Error please", expect="choose the type with one of the buttons")
    step = await t.press(t.view.last, "Error", expect="Which version")
    # extra step: a location instead of text; a required step cannot be skipped (no button)
    await t.do(john.send_location(55.75, 37.61), expect="answer with a text message")
    assert "⏭ Skip" not in [text for row in step.buttons for text in row]
    await t.send("1.0", expect="step by step")
    step = await t.send("Just open it.", expect="Describe the problem")
    # details: continue with nothing, a sticker, a location, too long a text, too many files
    answer = await (await john.press(step, "➡️ Continue")).answer()
    assert "describe the problem in a text message first" in answer.text
    await t.do(john.send_sticker(), expect="cannot be added to a request")
    await t.do(john.send_location(1.0, 2.0), expect="cannot be added to a request")
    await t.send("y" * 3001, expect="3001 characters, the limit is 3000")
    await t.send("Real details.", expect="Added")
    for count in range(1, config.form.max_attachments + 1):
        await t.do(john.send_photo(), expect=f"Files in the request: {count}")
    await t.do(john.send_photo(), expect="At most 10 files")
    step = await t.press(t.view.last, "➡️ Continue", expect="How critical")
    # criticality: text where a button is expected
    await t.send("very!", expect="choose the criticality")
    await t.press(t.view.last, "🟢 Low", expect="Check your request")
    # preview: text where a button is expected
    await t.send("send it", expect="Please use the buttons")
    assert "photos: 10" in t.view.last.shown_text


async def test_double_submit_and_redelivery_make_one_ticket(frontdesk, emu, john, talk, db):
    t = talk(john)
    await open_form(talk, john)
    preview = await fill_until_preview(t)
    first = await john.press(preview, "✅ Send the request")
    second = await john.press(preview, "✅ Send the request")
    await t.view.wait_for(lambda m: "is registered" in m.shown_text)
    answer = await second.answer()
    assert "already sent as #1" in answer.text
    await emu.redeliver(first.update_id)
    await settled(emu)
    assert await count_tickets(db) == 1
    assert len([m for m in t.view.bot_messages if "is registered" in m.shown_text]) == 1


async def test_a_restart_between_every_pair_of_steps(frontdesk, emu, john, talk, db):
    t = talk(john)
    step = await open_form(talk, john)
    actions = [
        lambda s: t.send("Restart-proof title", expect="What kind of problem"),
        lambda s: t.press(s, "Error", expect="Which version"),
        lambda s: t.send("9.9", expect="step by step"),
        lambda s: t.send("Click twice.", expect="Describe the problem"),
        lambda s: t.send("Details survive restarts.", expect="Added"),
        lambda s: t.do(john.send_photo(), expect="Files in the request: 1"),
        lambda s: t.do(
            john.send_album([("photo", None, None), ("photo", None, None)]), expect="Files in the request: 2",
        ),
        lambda s: t.press(t.view.last, "➡️ Continue", expect="How critical"),
        lambda s: t.press(s, "🟠 High", expect="Check your request"),
        lambda s: t.press(s, "✅ Send the request", expect="is registered"),
    ]
    for action in actions:
        await settled(emu)
        await frontdesk.restart()
        step = await action(step)
    async with db() as session:
        ticket = await get_ticket(session, 1)
        attachments = (await session.execute(select(func.count(Attachment.id)))).scalar_one()
    assert ticket.fields == {"version": "9.9", "steps": "Click twice."}
    assert ticket.criticality == "high"
    assert attachments == 3


async def test_a_stale_button_of_another_form_does_nothing(frontdesk, emu, john, talk, db):
    t = talk(john)
    first = await open_form(talk, john)
    await t.send("/cancel", expect="Cancelled")
    await open_form(talk, john)
    answer = await (await john.press(first, "✖️ Cancel")).answer()
    assert "no longer open" in answer.text
    assert (await t.send("Still here", expect="What kind of problem")) is not None


async def test_html_in_a_title_is_shown_as_text(frontdesk, emu, john, talk):
    t = talk(john)
    await open_form(talk, john)
    preview = await fill_until_preview(t, title="<b>bold</b> & <script>", details="a <i>b</i>")
    assert "Title: <b>bold</b> & <script>" in preview.shown_text
    assert "Details: a <i>b</i>" in preview.shown_text


async def test_back_from_every_edit_returns_to_the_preview_as_it_was(frontdesk, emu, john, talk):
    t = talk(john)
    await open_form(talk, john)
    preview = await fill_until_preview(t)
    # Details: the edit starts them over, but Back before «Continue» keeps the old ones.
    step = await t.press(preview, "✏️ Details", expect="Describe the problem")
    step = await t.send("Half of a new description", expect="Added to the description")
    again = await t.press(step, "⬅️ Back", expect="Check your request")
    assert again.shown_text == preview.shown_text
    # Type: a new type with its own steps, abandoned at its first step, leaves the old type.
    step = await t.press(again, "✏️ Type", expect="What kind of problem")
    step = await t.press(step, "Error", expect="Which version")
    again = await t.press(step, "⬅️ Back", expect="Check your request")
    assert again.shown_text == preview.shown_text
    # Title and criticality: Back is offered and changes nothing.
    for field, prompt in (("✏️ Title", "Name the problem"), ("✏️ Criticality", "How critical")):
        step = await t.press(again, field, expect=prompt)
        again = await t.press(step, "⬅️ Back", expect="Check your request")
        assert again.shown_text == preview.shown_text
    done = await t.press(again, "✅ Send the request", expect="is registered")
    assert "#" in done.shown_text
