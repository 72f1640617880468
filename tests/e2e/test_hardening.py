"""Issue #17: what a careless customer, a hurried agent and an attacker do from the outside, and
one update the library cannot parse. Each test is one defect, done the way the person does it."""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path

import pytest
from world import Running, make_config, settled, until_preview

FAQ = Path(__file__).resolve().parents[2] / "faq"
ADMIN = 4242


@pytest.fixture
def config(emu, tmp_path):
    shutil.copytree(FAQ, tmp_path / "faq")
    return make_config(emu, tmp_path, desk={"admin_ids": [ADMIN]})


@pytest.fixture
def desk(plain_desk):
    return plain_desk


def starting(text: str):
    return lambda m: m.shown_text.startswith(text)


async def said(emu, person, text: str, *, since: float, timeout: float = 5.0):
    """The bot's message to `person` that starts with `text`, sent or edited after `since`."""
    return await emu.chat(person).wait_for(starting(text), timeout=timeout, since=since)


# --- 1. a name with "<" ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["<3 Anna", "<b>", '<a href="https://evil.example">Bank</a>'])
async def test_a_name_with_markup_is_greeted_as_written(frontdesk, emu, name):
    person = emu.add_user(1003, name, language_code="en")
    since = time.monotonic()
    await person.send("/start")

    greeting = await said(emu, person, f"Hello, {name}! I am the support desk.", since=since)
    assert not greeting.entities  # nothing the person typed became a tag or a link
    assert not [c for c in emu.calls_to("sendMessage") if not c.result_ok]


# --- 2. buttons pressed while the bot was down ----------------------------------------------------


async def test_buttons_pressed_too_long_ago_still_do_their_work(frontdesk, emu, john, talk):
    t = talk(john)
    await t.send("/new", expect="New request")
    step = await t.send("VPN does not connect", expect="What kind of problem")

    since = time.monotonic()
    await john.press(step, "Question", too_old=True)
    step = await said(emu, john, "Describe the problem", since=since)
    step = await t.send("It fails since the morning.", expect="Added to the description")
    step = await t.press(step, "➡️ Continue", expect="How critical")
    preview = await t.press(step, "🟡 Normal", expect="Check your request")

    since = time.monotonic()
    await john.press(preview, "✅ Send the request", too_old=True)
    await said(emu, john, "Your request #1 is registered.", since=since)
    assert emu.message(john, preview.message_id).buttons == []
    refused = [c for c in emu.calls_to("answerCallbackQuery") if c.error_code == 400]
    assert len(refused) == 2


# --- 3. huge or odd numbers -----------------------------------------------------------------------


@pytest.mark.parametrize("data", ["t:view:9999999999999999999999999:0", "t:view:²:0",
                                  "l:all:99999999999999999999", "q:pick:1:99999999999999999999999"])
async def test_a_button_with_a_huge_number_is_answered_as_out_of_date(frontdesk, emu, john, talk, data):
    menu = await talk(john).send("/start", expect="Hello")

    press = await john.press_data(menu, data)

    assert (await press.answer()).text == "This button is out of date."


async def test_commands_with_huge_or_odd_numbers_get_a_clear_reply(frontdesk, emu, john, talk, desk):
    async def agent_sends(text, expect):
        since = time.monotonic()
        await desk.agent.send(text, chat=desk)
        await emu.chat(desk).wait_for(lambda m: m.shown_text == expect, since=since)

    await agent_sends("/ticket 9999999999999999999999999",
                      "There is no ticket #9999999999999999999999999.")
    await agent_sends("/ticket ²", "Usage: /ticket NUMBER")
    await agent_sends("/ticket 0", "There is no ticket #0.")

    admin = emu.add_user(ADMIN, "Admin", language_code="en")
    await talk(admin).send(f"/setplan {'9' * 25} vip",
                           expect=f"No customer with id {'9' * 25} has written to the bot yet.")
    await talk(admin).send("/setplan ¹⁰⁰² vip", expect="Usage: /setplan")


# --- 4. commands inside the form ------------------------------------------------------------------

FORM_KEPT = "Your request form is kept"
UNKNOWN = "I do not know this command."


async def test_a_command_in_the_form_runs_and_is_never_taken_as_content(frontdesk, emu, john, talk):
    t = talk(john)
    await t.send("/new", expect="New request")
    since = time.monotonic()
    await john.send("/requests")  # from the bot's own menu, at the title step
    await said(emu, john, "My requests\n\nYou have no requests yet.", since=since)
    await said(emu, john, FORM_KEPT, since=since)

    since = time.monotonic()
    await john.send("/queue")  # an agents' command
    await said(emu, john, UNKNOWN, since=since)
    await said(emu, john, FORM_KEPT, since=since)

    step = await t.send("VPN does not connect", expect="What kind of problem")
    step = await t.press(step, "Question", expect="Describe the problem")
    since = time.monotonic()
    await john.send("/stats")
    await said(emu, john, UNKNOWN, since=since)
    await said(emu, john, FORM_KEPT, since=since)
    await t.send("It fails since the morning.", expect="Added to the description")
    step = await t.press(emu.chat(john).last, "➡️ Continue", expect="How critical")
    preview = await t.press(step, "🟡 Normal", expect="Check your request")

    assert "Title: VPN does not connect" in preview.shown_text
    assert "Details: It fails since the morning." in preview.shown_text
    assert "/" not in preview.shown_text.split("Title:")[1]


# --- 5. an invisible title ------------------------------------------------------------------------

INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
EMPTY = "That is empty. Please write it as text."


async def test_text_that_shows_nothing_is_empty_everywhere_text_is_asked(frontdesk, emu, john, talk):
    t = talk(john)
    await t.send(INVISIBLE, expect="I understand text messages here")
    await t.send("/new", expect="New request")
    await t.send(INVISIBLE, expect=EMPTY)
    step = await t.send(f" {INVISIBLE}VPN does not connect", expect="What kind of problem")
    step = await t.press(step, "Question", expect="Describe the problem")
    await t.send(INVISIBLE + " \u3164", expect=EMPTY)
    await t.send("It fails since the morning.", expect="Added to the description")
    step = await t.press(emu.chat(john).last, "➡️ Continue", expect="How critical")
    preview = await t.press(step, "🟡 Normal", expect="Check your request")

    assert "Details: It fails since the morning.\n" in preview.shown_text


# --- 7. a list Telegram no longer lets the bot edit -------------------------------------------------


@pytest.mark.parametrize("inaccessible", [True, False], ids=["inaccessible", "not-editable"])
async def test_a_ticket_pressed_on_an_old_list_opens_in_a_new_message(frontdesk, emu, john, talk,
                                                                     inaccessible):
    t = talk(john)
    preview = await until_preview(t, "VPN does not connect", "It fails since the morning.")
    await t.press(preview, "✅ Send the request", expect="is registered")
    old_list = await t.send("/requests", expect="My requests")
    emu.age_message(emu.message(john, old_list.message_id), inaccessible=inaccessible)

    since = time.monotonic()
    await john.press(old_list, "#1 VPN does not connect")

    shown = await said(emu, john, "Request #1: VPN does not connect", since=since)
    assert shown.message_id > old_list.message_id
    assert emu.message(john, old_list.message_id).shown_text.startswith("My requests")


# --- 10. an update the library cannot parse -----------------------------------------------------


@pytest.fixture(params=["polling", "webhook"])
async def any_mode(request, emu, config, tmp_path):
    """The application in polling mode, and in webhook mode."""
    telegram = {}
    if request.param == "webhook":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        telegram = {"mode": "webhook", "webhook_url": f"http://127.0.0.1:{port}/telegram",
                    "webhook_secret": "s3cret-token-of-this-desk", "webhook_listen": f"127.0.0.1:{port}"}
    # Webhook mode asks the process to register the webhook itself (`frontdesk run --set-webhook`).
    running = Running(make_config(emu, tmp_path, telegram=telegram), set_webhook=bool(telegram))
    await running.start()
    yield running
    await running.stop()


async def test_an_update_aiogram_cannot_parse_is_skipped_and_everyone_else_served(any_mode, emu, john, talk,
                                                                                  caplog):
    # A message whose sender lacks `is_bot`, as a changed field would look after a Bot API release.
    bad = emu.push_update("message", {
        "message_id": 77, "date": int(time.time()), "chat": {"id": john.id, "type": "private"},
        "from": {"id": john.id, "first_name": "John"}, "text": "/start"})

    await talk(john).send("/start", expect="Hello, John!")
    await talk(john).send("/help", expect="How I can help")

    skipped = [r for r in caplog.records if r.getMessage().startswith(f"update {bad} cannot be parsed")]
    assert len(skipped) == 1 and "from.is_bot" in skipped[0].getMessage()
    assert any_mode.app.metrics.registry.get_sample_value("frontdesk_unparsed_updates_total") == 1
    assert bad not in [u["update_id"] for u in emu.world.updates.pending]


# --- 9. flood control with Telegram's pace ------------------------------------------------------


async def test_a_burst_is_counted_on_arrival_with_telegrams_pace(emu, john, talk, tmp_path):
    """Telegram's pace (1 message a second to a chat, the default) answers a burst slowly; counted
    at handling time it never looked like a flood. Here: 5 in 2 s allowed, 40 sent at once."""
    shutil.copytree(FAQ, tmp_path / "faq")
    running = Running(make_config(emu, tmp_path, telegram={
        "private_per_second": 1.0, "flood_limit": 5, "flood_window": 2.0}))
    await running.start()
    try:
        mary = emu.add_user(1003, "Mary", language_code="en")
        for index in range(40):
            await john.send(f"spam {index}")
        await talk(mary).send("/help", expect="How I can help")  # served meanwhile

        def answers():
            return [m for m in emu.chat(john).bot_messages if m.shown_text.startswith("I did not find")]

        await emu.chat(john).wait_for(lambda _: len(answers()) >= 5, timeout=15)
        await settled(emu, timeout=30)
        notices = [m for m in emu.chat(john).bot_messages
                   if m.shown_text == "You are sending messages too fast. I will read on in a few seconds."]
        assert (len(notices), len(answers())) == (1, 5)
        assert running.app.metrics.registry.get_sample_value("frontdesk_throttled_messages_total") == 35
    finally:
        await running.stop()


# --- 8. an album sent as a question -----------------------------------------------------------------


async def test_an_album_is_one_question_and_its_caption_is_searched(frontdesk, emu, john):
    since = time.monotonic()
    await john.send_album([("photo", None, "I forgot my password"), ("photo", None, None),
                           ("photo", None, None), ("photo", None, None)])
    answer = await emu.chat(john).wait_for(lambda m: "reset" in m.shown_text, since=since)
    await settled(emu)
    assert [m.message_id for m in emu.chat(john).bot_messages if m.changed_at >= since] == [answer.message_id]

    since = time.monotonic()
    await john.send_album([("photo", None, None)] * 4)
    notice = await said(emu, john, "I understand text messages here.", since=since)
    await settled(emu)
    assert [m.message_id for m in emu.chat(john).bot_messages if m.changed_at >= since] == [notice.message_id]


# --- 6. long XML-like details on the card ---------------------------------------------------------


def log_lines(count: int) -> str:
    return "\n".join(f'<event id="{n}" level=\'warn\'>disk & "cache" at {n % 97}%</event>'
                     for n in range(count))


async def submit_with_details(t, title, pieces):
    await t.send("/new", expect="New request")
    step = await t.send(title, expect="What kind of problem")
    await t.press(step, "Question", expect="Describe the problem")
    for piece in pieces:
        step = await t.send(piece, expect="Added to the description")
    step = await t.press(step, "➡️ Continue", expect="How critical")
    preview = await t.press(step, "🟡 Normal", expect="Check your request")
    done = await t.press(preview, "✅ Send the request", expect="is registered")
    return int(done.shown_text.split("#")[1].split()[0])


@pytest.fixture
def long_details_config(emu, tmp_path):
    shutil.copytree(FAQ, tmp_path / "faq")
    return make_config(emu, tmp_path, form={"details_max_length": 4096})


async def test_long_markup_like_details_reach_the_agents_whole(emu, john, talk, desk, long_details_config):
    running = Running(long_details_config)
    await running.start()
    try:
        t = talk(john)
        fits = log_lines(50)  # ~2,900 characters, each "<", "&" and quote 4–6 once escaped
        assert 2800 < len(fits) < 3000
        number = await submit_with_details(t, "Disk warnings", [fits])
        card = await emu.chat(desk).wait_for(starting(f"🎫 #{number}"))
        assert card.text.endswith(fits)

        pieces = [log_lines(40), log_lines(30)]  # two messages, ~4,000 characters: more than a card holds
        details = "\n\n".join(pieces)
        number = await submit_with_details(t, "More disk warnings", pieces)
        card = await emu.chat(desk).wait_for(starting(f"🎫 #{number}"))
        rest = await emu.chat(desk).wait_for(starting(f"📄 #{number}, the details continued:\n…"))
        assert card.text.endswith("…") and rest.reply_to_message_id == card.message_id
        on_card = card.text[card.text.index(details[:40]):-1]
        continued = rest.text.split(":\n…", 1)[1]
        assert on_card + continued == details
    finally:
        await running.stop()
