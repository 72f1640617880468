"""A webhook process SIGKILLed after a form step changed the conversation but before its reply went
out: Telegram delivers the update again (to the next process), which sends the step's reply instead
of taking the update for a stale press or an answer to the next question — and adds nothing twice."""

from __future__ import annotations

import pytest
from test_webhook import WebhookProcess, config_file, free_port, frontdesk
from world import settled

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
async def webhook_process(emu, tmp_path, forum_desk):
    port = free_port()
    process = WebhookProcess(tmp_path, config_file(emu, tmp_path, port), port)
    code, _, err = await frontdesk("webhook", "set", "--config", str(process.config), cwd=tmp_path)
    assert code == 0, err
    await process.start()
    yield process
    await process.stop()


async def killed_while_sending(emu, process: WebhookProcess, chat_id: int, act) -> None:
    """Do `act` and SIGKILL the process while the reply it causes is on its way (held here, so the
    conversation's state is already saved and the update not yet answered), then start it again."""
    held = emu.hold("sendMessage", chat_id=chat_id)
    await act
    await held.arrived(timeout=60)
    await process.kill()
    held.release()  # the request's client is gone: the emulator drops it, as Telegram would
    await process.start()


async def test_a_press_whose_reply_died_with_the_process_gets_that_reply_after_the_restart(
        webhook_process, emu, john, talk):
    t = talk(john)
    await t.send("/new", expect="New request", timeout=30)
    step = await t.send("Killed mid-step", expect="What kind of problem", timeout=30)
    await killed_while_sending(emu, webhook_process, john.id, john.press(step, "Question"))
    # The press comes again: it is answered with the step it had moved the form to...
    step = await emu.chat(john).wait_for(lambda m: m.shown_text.startswith("Describe the problem"), timeout=60)
    await settled(emu, timeout=30)
    assert [m.shown_text for m in emu.chat(john).bot_messages].count(step.shown_text) == 1
    # ...and the form goes on from there.
    step = await t.send("Details once.", expect="Added to the description", timeout=30)
    step = await t.press(step, "➡️ Continue", expect="How critical", timeout=30)
    preview = await t.press(step, "🟡 Normal", expect="Check your request", timeout=30)
    assert "Type: Question" in preview.shown_text


async def test_a_message_whose_reply_died_with_the_process_is_added_once(webhook_process, emu, john, talk):
    t = talk(john)
    await t.send("/new", expect="New request", timeout=30)
    step = await t.send("Killed while adding", expect="What kind of problem", timeout=30)
    step = await t.press(step, "Question", expect="Describe the problem", timeout=30)
    await killed_while_sending(emu, webhook_process, john.id, john.send("Said once."))
    step = await emu.chat(john).wait_for(lambda m: m.shown_text.startswith("Added to the description"), timeout=60)
    await settled(emu, timeout=30)
    step = await t.press(step, "➡️ Continue", expect="How critical", timeout=30)
    preview = await t.press(step, "🟡 Normal", expect="Check your request", timeout=30)
    assert preview.shown_text.count("Said once.") == 1


async def test_a_submit_whose_reply_died_with_the_process_is_registered_once_and_said(
        webhook_process, emu, john, talk):
    t = talk(john)
    await t.send("/new", expect="New request", timeout=30)
    step = await t.send("Killed while sending", expect="What kind of problem", timeout=30)
    step = await t.press(step, "Question", expect="Describe the problem", timeout=30)
    step = await t.send("Details.", expect="Added to the description", timeout=30)
    step = await t.press(step, "➡️ Continue", expect="How critical", timeout=30)
    preview = await t.press(step, "🟡 Normal", expect="Check your request", timeout=30)
    await killed_while_sending(emu, webhook_process, john.id, john.press(preview, "✅ Send the request"))
    done = await emu.chat(john).wait_for(lambda m: "is registered" in m.shown_text, timeout=60)
    assert done.shown_text.startswith("Your request #1 is registered")
    await settled(emu, timeout=30)
    assert len([m for m in emu.chat(john).bot_messages if "is registered" in m.shown_text]) == 1
