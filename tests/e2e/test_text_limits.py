"""Property: whatever people write (any Unicode in a first name, a request's title and details, an
agent's answer), every message the bot sends is valid for its parse mode and within Telegram's
limits, measured as Telegram measures them. The emulator refuses what Telegram refuses (400 "can't
parse entities", "message is too long" counted in UTF-16 after entity parsing), so one refused
call anywhere fails the example."""

from __future__ import annotations

import itertools
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desk.visible import shows_nothing
from kb.html_split import utf16_len

# Every method by which the bot puts or changes text in a chat.
TEXT_METHODS = {"sendmessage", "editmessagetext", "editmessagecaption", "copymessage", "sendphoto",
                "senddocument", "sendmediagroup", "editmessagereplymarkup", "answercallbackquery",
                "createforumtopic", "editforumtopic"}


# Any text, with what breaks markup and measuring mixed in as whole pieces: markup a person types,
# an emoji outside the BMP (2 UTF-16 units), zero-width characters.
NASTY = st.sampled_from(["<", ">", "&", '"', "'", "<3", "<b>", "</i>", "&amp;", "&#x27;", '<a href="x">',
                         "😀", "\u200b", "\ufeff", "\n"])
PIECES = st.one_of(NASTY, st.text(st.characters(exclude_categories=("Cs",)), max_size=8))


def text(max_size: int, *, min_size: int = 1):
    """Text of `min_size`..`max_size` characters made of PIECES."""
    pieces = st.lists(PIECES, min_size=1, max_size=max(1, max_size // 2)).map("".join)
    if min_size > 16:  # long texts: a repeated piece stretches to the size wanted
        pieces = st.tuples(pieces, st.integers(min_size, max_size)).map(
            lambda pair: (pair[0] * (pair[1] // max(1, len(pair[0])) + 1))[:pair[1]])
    return pieces.filter(lambda s: min_size <= len(s) <= max_size)


def typed(max_size: int, *, not_starting: tuple[str, ...] = ()):
    """Text a person can send: shows something, no command, within Telegram's 4096 units; long
    ones (near the limits) as often as short ones."""
    return st.one_of(text(max_size), text(max_size, min_size=max_size * 3 // 4)).filter(
        lambda s: not shows_nothing(s) and not s.lstrip().startswith(("/", *not_starting))
        and utf16_len(s) <= 4096)


@pytest.fixture
def desk(plain_desk):
    return plain_desk


async def said(emu, chat, predicate, since, timeout=10.0):
    return await emu.chat(chat).wait_for(predicate, timeout=timeout, since=since)


async def act(emu, chat, action, predicate, timeout=10.0):
    since = time.monotonic()
    await action
    return await said(emu, chat, predicate, since, timeout)


def starting(text):
    return lambda m: m.shown_text.startswith(text)


def containing(text):
    return lambda m: text in m.shown_text


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(name=text(64), title=typed(120), details=typed(3000),
       answer=typed(4000, not_starting=("!",)))
async def test_any_text_people_write_gives_messages_telegram_accepts(frontdesk, emu, desk, name, title,
                                                                      details, answer):
    person = emu.add_user(next(USER_IDS), name, language_code="en")
    first_call = len(emu.calls)

    await act(emu, person, person.send("/start"), starting("Hello, "))
    await act(emu, person, person.send("/new"), containing("New request"))
    step = await act(emu, person, person.send(title), containing("What kind of problem"))
    step = await act(emu, person, person.press(step, "Question"), containing("Describe the problem"))
    step = await act(emu, person, person.send(details), lambda m: "Added to the description" in m.shown_text
                     or "That is too long" in m.shown_text)
    if "That is too long" in step.shown_text:
        step = await act(emu, person, person.send("short details"), containing("Added to the description"))
    step = await act(emu, person, person.press(step, "➡️ Continue"), containing("How critical"))
    preview = await act(emu, person, person.press(step, "🟡 Normal"), containing("Check your request"))
    done = await act(emu, person, person.press(preview, "✅ Send the request"), containing("is registered"))
    number = int(done.shown_text.split("#")[1].split()[0])

    card = await said(emu, desk, starting(f"🎫 #{number} "), since=0)
    await act(emu, person, desk.agent.send(answer, chat=desk, reply_to=card), starting(f"💬 Support · #{number}"))
    listing = await act(emu, person, person.send("/requests"), containing("My requests"))
    await act(emu, person, person.press(listing, f" #{number} "), starting(f"Request #{number}: "))

    refused = [(c.method, c.description) for c in emu.calls[first_call:]
               if c.method.lower() in TEXT_METHODS and not c.result_ok]
    assert refused == []


USER_IDS = itertools.count(100_000)
