"""«My requests», end to end: a customer lists their tickets, opens one, writes to it, closes,
rates and reopens it, through the emulator; support's side is played straight in the database."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from html import escape

import pytest
from sqlalchemy import func, select, update
from world import DESK_CHAT, make_config, settled

from bot.callbacks import ListCB, StarsCB, TicketCB
from desk import lifecycle
from desk.clock import SystemClock
from desk.customers import Person
from desk.forms import Draft
from desk.lifecycle import Actor, Incoming, Policy
from desk.settings import SchedulerConfig
from desk.sla import SLA
from desk.sla_config import SLAConfig
from desk.tickets import get_ticket, open_ticket
from storage.models import OutboxMessage, Ticket, TicketMessage

AGENT = Actor(telegram_id=501, name="Olga")
desk_message_ids = itertools.count(10_000)


@pytest.fixture
def config(emu, tmp_path):
    (tmp_path / "faq").mkdir()
    return make_config(emu, tmp_path, desk={"page_size": 5, "reopen_days": 7})


@pytest.fixture(autouse=True)
def desk_group(emu):
    """The agents' group, where the outbox worker relays what customers write."""
    return emu.add_group(DESK_CHAT, "Support desk")


@pytest.fixture
def mary(emu):
    """Another English-speaking customer, whose tickets John must never reach."""
    return emu.add_user(1003, "Mary", language_code="en", username="mary")


# --- the world, played in the database ---------------------------------------------------------


async def new_ticket(db, config, person, title="VPN does not connect", details="It fails since the morning.") -> int:
    """A ticket as the form would open it: the customer wrote last."""
    draft = Draft(title=title, problem_type="question", details=details, criticality="normal")
    async with db.begin() as session:
        opened = await open_ticket(session, Person(person.id, person.user.first_name, None, "en"), draft,
                                   sla=SLA(config.sla), clock=SystemClock())
    return opened.ticket.id


async def support_answers(db, number: int, text: str) -> TicketMessage:
    async with db.begin() as session:
        ticket = await get_ticket(session, number)
        incoming = Incoming(chat_id=DESK_CHAT, message_id=next(desk_message_ids), text=text, html=escape(text))
        return await lifecycle.support_writes(session, ticket, AGENT, incoming, SystemClock().now(),
                                              signature="Support")


# The desk's default rules, for the steps a test takes straight in the database.
POLICY = Policy(SLA(SLAConfig()), SchedulerConfig(), reopen_days=7)


async def agent_notes(db, number: int, text: str) -> None:
    async with db.begin() as session:
        ticket = await get_ticket(session, number)
        incoming = Incoming(chat_id=DESK_CHAT, message_id=next(desk_message_ids), text=text, html=escape(text))
        await lifecycle.note(session, ticket, AGENT, incoming, SystemClock().now())


async def customer_wrote(db, number: int, person, text: str, files: int = 0) -> None:
    attachments = tuple(("photo", f"file-{number}-{i}", f"u-{number}-{i}", None, None) for i in range(files))
    async with db.begin() as session:
        ticket = await get_ticket(session, number)
        incoming = Incoming(chat_id=person.id, message_id=next(desk_message_ids), text=text, html=escape(text),
                            attachments=attachments)
        await lifecycle.customer_writes(session, ticket, Actor(person.id, "John"), incoming, SystemClock().now(),
                                        POLICY)


async def agent_closes(db, number: int) -> None:
    async with db.begin() as session:
        ticket = await get_ticket(session, number)
        await lifecycle.close(session, ticket, AGENT, SystemClock().now(), by_customer=False)


async def ticket(db, number: int) -> Ticket:
    async with db() as session:
        return await get_ticket(session, number)


async def customer_messages(db, number: int) -> list[TicketMessage]:
    return [m for m in (await ticket(db, number)).messages if m.author_kind == "customer"]


async def count_outbox(db, kind: str) -> int:
    async with db() as session:
        return (await session.execute(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == kind)
        )).scalar_one()


async def desk_events(db, number: int) -> list[str]:
    async with db() as session:
        rows = (await session.execute(
            select(OutboxMessage.payload).where(OutboxMessage.kind == "desk_event", OutboxMessage.ticket_id == number)
            .order_by(OutboxMessage.id)
        )).scalars()
        return [payload["event"] for payload in rows]


async def relayed(t, db, text: str):
    """The answer the outbox worker relayed to the customer, once the worker recorded where it stands."""
    shown = await t.view.wait_for(lambda m: text in m.shown_text)
    for _ in range(50):
        async with db() as session:
            found = (await session.execute(
                select(TicketMessage.id).where(TicketMessage.customer_message_id == shown.message_id)
            )).first()
        if found is not None:
            return shown
        await asyncio.sleep(0.05)
    raise AssertionError(f"the worker did not record message #{shown.message_id} as relayed")


def lines(message) -> list[str]:
    return message.shown_text.splitlines()


async def open_from_list(t, number: int, title: str):
    """«My requests», then the ticket's button: the list message turns into the ticket."""
    listing = await t.send("/requests", expect="My requests: ")
    button = next(text for row in listing.buttons for text in row if text.split()[1:2] == [f"#{number}"])
    assert title[:20] in button
    return await t.press(listing, button, expect=f"Request #{number}: ")


# --- the list ----------------------------------------------------------------------------------


async def test_the_indicator_follows_the_discussion(frontdesk, emu, john, talk, db, config):
    t = talk(john)
    number = await new_ticket(db, config, john, title="VPN does not connect")
    listing = await t.send("/requests", expect="My requests: ")
    assert f"🟢 #{number} VPN does not connect — new" in lines(listing)

    await support_answers(db, number, "Please restart the client.")
    listing = await t.press(listing, "All", expect="🔴")
    assert f"🔴 #{number} VPN does not connect — in progress" in lines(listing)

    await customer_wrote(db, number, john, "Restarted, still broken.")
    listing = await t.press(listing, "All", expect="🟢")
    assert f"🟢 #{number} VPN does not connect — in progress" in lines(listing)

    await agent_closes(db, number)
    listing = await t.press(listing, "All", expect="⚪")
    assert f"⚪ #{number} VPN does not connect — closed" in lines(listing)
    # Switching the filter edits the one list message; it is never sent again.
    assert len([m for m in t.view.bot_messages if "My requests: " in m.shown_text]) == 1


async def test_filters_and_pages(frontdesk, emu, john, mary, talk, db, config):
    numbers = [await new_ticket(db, config, john, title=f"Problem number {i}") for i in range(1, 8)]
    await new_ticket(db, config, mary, title="Mary's own problem")
    await support_answers(db, numbers[1], "Answer to two")
    await support_answers(db, numbers[2], "Answer to three")
    await agent_closes(db, numbers[2])
    t = talk(john)

    listing = await t.send("/requests", expect="My requests: ")
    assert "My requests: All (page 1 of 2)" in listing.shown_text
    # Newest activity first: #3 was answered last but is closed now; #2's answer came after #7.
    shown = [line.split()[1] for line in lines(listing) if line[:1] in "⚪🟢🔴" and "#" in line]
    assert shown == ["#3", "#2", "#7", "#6", "#5"]
    assert "Mary" not in listing.shown_text
    assert ["◀️"] not in listing.buttons and ["▶️"] in listing.buttons

    listing = await t.press(listing, "▶️", expect="page 2 of 2")
    shown = [line.split()[1] for line in lines(listing) if line.startswith(("🟢", "🔴", "⚪")) and "#" in line]
    assert shown == ["#4", "#1"]
    assert ["◀️"] in listing.buttons
    listing = await t.press(listing, "◀️", expect="page 1 of 2")

    listing = await t.press(listing, "Waiting for me (1)", expect="My requests: Waiting for me")
    assert "🔴 #2 Problem number 2" in listing.shown_text and "#7" not in listing.shown_text
    listing = await t.press(listing, "Closed (1)", expect="My requests: Closed")
    assert "⚪ #3 Problem number 3 — closed" in listing.shown_text
    listing = await t.press(listing, "Open (6)", expect="My requests: Open (page 1 of 2)")
    assert "#3" not in listing.shown_text

    # The filter already shown, pressed again: Telegram says "not modified", the customer sees no error.
    answer = await (await john.press(listing, "✅ Open (6)")).answer()
    assert not answer.show_alert
    await settled(emu)
    assert "message is not modified" in (emu.calls_to("editMessageText")[-1].description or "")
    await t.press(listing, "▶️", expect="page 2 of 2")


async def test_an_empty_list_offers_a_new_request(frontdesk, emu, john, talk):
    t = talk(john)
    listing = await t.send("/requests", expect="You have no requests yet")
    await t.press(listing, "📝 New request", expect="New request. Name the problem")


async def test_the_menu_button_opens_the_list(frontdesk, emu, john, talk, db, config):
    await new_ticket(db, config, john, title="From the menu")
    t = talk(john)
    menu = await t.send("/start", expect="Hello")
    listing = await t.press(menu, "📋 My requests", expect="My requests: ")
    assert "From the menu" in listing.shown_text


# --- one ticket --------------------------------------------------------------------------------


async def test_a_ticket_shows_its_discussion_without_notes(frontdesk, emu, john, talk, db, config):
    number = await new_ticket(db, config, john, title="<b>Printer</b> & co", details="It <i>jams</i>.")
    await support_answers(db, number, "Try <script>restart</script>")
    await agent_notes(db, number, "internal: check the firmware")
    await customer_wrote(db, number, john, "Here are the photos", files=2)
    t = talk(john)

    shown = await open_from_list(t, number, "<b>Printer</b> & co")
    text = shown.shown_text
    assert f"Request #{number}: <b>Printer</b> & co" in text  # shown as typed, not as markup
    assert "&lt;b&gt;Printer&lt;/b&gt;" in shown.html
    assert "State: 🟢 in progress" in text and "Criticality: 🟡 Normal" in text and "Created: " in text
    assert "It <i>jams</i>." in text and "Try <script>restart</script>" in text
    assert "🎧 Support" in text and "👤 You" in text
    assert "Here are the photos\n📎 2" in text
    assert "internal" not in text
    assert shown.buttons == [["💬 Write a message"], ["⭐ Rate"], ["🔒 Close"], ["⬅️ Back to the list"]]

    listing = await t.press(shown, "⬅️ Back to the list", expect="My requests: All")
    assert listing.message_id == shown.message_id


async def test_a_long_discussion_shows_its_latest_messages(frontdesk, emu, john, talk, db, config):
    number = await new_ticket(db, config, john, title="Long story")
    for i in range(12):
        await support_answers(db, number, f"answer {i} " + "x" * 990)
    shown = await open_from_list(talk(john), number, "Long story")
    assert len(shown.html) <= 4096
    assert "answer 11 " in shown.shown_text and "answer 0 " not in shown.shown_text
    assert "earlier messages not shown" in shown.shown_text


# --- writing -----------------------------------------------------------------------------------


async def test_writing_to_a_ticket_until_done(frontdesk, emu, john, talk, db, config):
    number = await new_ticket(db, config, john, title="Cannot log in")
    t = talk(john)
    shown = await open_from_list(t, number, "Cannot log in")
    await t.press(shown, "💬 Write a message", expect=f"Write your message for request #{number}")

    await t.send("It still fails <b>today</b>", expect=f"Added to request #{number}")
    await t.do(john.send_photo(caption="the error"), expect=f"Added to request #{number}")
    await t.do(john.send_album([("photo", None, None), ("document", None, None)]), expect="Added")
    await t.do(john.send_sticker(), expect="cannot be added")
    await settled(emu)
    assert len([m for m in t.view.bot_messages if "Added to request" in m.shown_text]) == 3  # the album once

    written = await customer_messages(db, number)
    assert [m.text for m in written[1:3]] == ["It still fails <b>today</b>", "the error"]
    assert sum(len(m.attachments) for m in written) == 3
    assert await count_outbox(db, "to_desk") == 4

    ack = [m for m in t.view.bot_messages if ["✅ Done"] in m.buttons][-1]
    await t.press(ack, "✅ Done", expect="Done: your messages")
    await t.send("How do I reset a password?", expect="did not find an answer")  # a question again
    assert len(await customer_messages(db, number)) == 5


async def test_a_ticket_closed_meanwhile_ends_the_writing_mode(frontdesk, emu, john, talk, db, config):
    number = await new_ticket(db, config, john, title="Closed under me")
    t = talk(john)
    shown = await open_from_list(t, number, "Closed under me")
    await t.press(shown, "💬 Write a message", expect="Write your message")
    await agent_closes(db, number)
    await t.send("One more thing", expect=f"Request #{number} is closed. If the problem is back")
    assert len(await customer_messages(db, number)) == 1
    await t.send("A question now", expect="did not find an answer")


async def test_a_reply_to_a_relayed_answer_and_its_reply_button(frontdesk, emu, john, talk, db, config):
    first = await new_ticket(db, config, john, title="First problem")
    second = await new_ticket(db, config, john, title="Second problem")
    await support_answers(db, first, "Which version do you use?")
    t = talk(john)
    answer = await relayed(t, db, "Which version")

    await t.do(john.reply(answer, "Version 4.2"), expect=f"Added to request #{first}")
    assert (await customer_messages(db, first))[-1].text == "Version 4.2"
    assert len(await customer_messages(db, second)) == 1

    # «Reply» under the relayed answer opens the writing mode for its ticket.
    await t.press(answer, "💬 Reply", expect=f"Write your message for request #{first}")
    await t.send("And the log is empty", expect=f"Added to request #{first}")
    await t.send("/cancel", expect="Cancelled")
    await t.send("Unrelated question", expect="did not find an answer")
    assert [m.text for m in await customer_messages(db, first)][-2:] == ["Version 4.2", "And the log is empty"]


async def test_stars_under_a_relayed_answer_keep_the_answer(frontdesk, emu, john, talk, db, config):
    number = await new_ticket(db, config, john, title="Stars below")
    await support_answers(db, number, "It is fixed now.")
    t = talk(john)
    answer = await relayed(t, db, "It is fixed now.")
    await t.send("/new", expect="New request")  # John is filling in another request meanwhile
    await t.press(answer, "3⭐", expect=f"Thank you for rating request #{number}")
    after = emu.message(john, answer.message_id)
    assert "It is fixed now." in after.shown_text
    assert after.buttons == [["💬 Reply", "🔒 Close"]]
    assert (await ticket(db, number)).rating == 3
    await t.send("Another problem", expect="What kind of problem")  # the form went on


# --- close, rate, reopen -----------------------------------------------------------------------


async def test_close_rate_with_a_comment_and_reopen(frontdesk, emu, john, talk, db, config):
    number = await new_ticket(db, config, john, title="Slow reports")
    await support_answers(db, number, "Fixed on our side.")
    t = talk(john)
    shown = await open_from_list(t, number, "Slow reports")

    confirm = await t.press(shown, "🔒 Close", expect=f"Close request #{number}?")
    assert (await ticket(db, number)).state == "open"  # only asked so far
    closed = await t.press(confirm, "🔒 Yes, close it", expect="How would you rate")
    assert (await ticket(db, number)).state == "closed"
    thanks = await t.press(closed, "⭐⭐⭐⭐", expect="You rated request")
    assert thanks.buttons == [["⏭ Skip"]]
    await t.send("Quick and <b>polite</b>", expect="Your comment is saved")
    rated = await ticket(db, number)
    assert (rated.rating, rated.rating_comment) == (4, "Quick and <b>polite</b>")
    assert await desk_events(db, number) == ["closed_by_customer", "rated", "rating_comment"]

    listing = await t.press(shown, "⬅️ Back to the list", expect="⚪")
    shown = await t.press(listing, f"⚪ #{number} Slow reports", expect="Your rating: ⭐⭐⭐⭐")
    assert shown.buttons == [["🔄 Reopen"], ["⬅️ Back to the list"]]
    shown = await t.press(shown, "🔄 Reopen", expect="in progress")
    assert "💬 Write a message" in shown.buttons[0]
    assert (await ticket(db, number)).state == "open"
    assert (await desk_events(db, number))[-1] == "reopened"


async def test_rating_can_be_skipped(frontdesk, emu, john, talk, db, config):
    number = await new_ticket(db, config, john, title="Skip the comment")
    await support_answers(db, number, "Done.")
    t = talk(john)
    shown = await open_from_list(t, number, "Skip the comment")
    stars = await t.press(shown, "⭐ Rate", expect="How would you rate")
    thanks = await t.press(stars, "⭐⭐⭐⭐⭐", expect="You rated")
    await t.press(thanks, "⏭ Skip", expect="Thank you for rating")
    await t.send("Is the API public?", expect="did not find an answer")  # not taken as a comment
    assert ((await ticket(db, number)).rating, (await ticket(db, number)).rating_comment) == (5, None)


async def test_reopening_too_late_says_the_limit(frontdesk, emu, john, talk, db, config):
    number = await new_ticket(db, config, john, title="Old problem")
    await agent_closes(db, number)
    t = talk(john)
    shown = await open_from_list(t, number, "Old problem")
    assert ["🔄 Reopen"] in shown.buttons
    async with db.begin() as session:
        await session.execute(update(Ticket).where(Ticket.id == number)
                              .values(closed_at=SystemClock().now() - timedelta(days=8)))
    answer = await (await john.press(shown, "🔄 Reopen")).answer()
    assert answer.show_alert and "more than 7 days ago" in answer.text
    assert (await ticket(db, number)).state == "closed"


# --- who is who --------------------------------------------------------------------------------


async def test_forged_buttons_for_another_customers_ticket_change_nothing(frontdesk, emu, john, mary, talk, db,
                                                                          config):
    marys = await new_ticket(db, config, mary, title="Mary's secret")
    await support_answers(db, marys, "An answer for Mary")
    johns = await new_ticket(db, config, john, title="John's closed one")
    await agent_closes(db, johns)
    t = talk(john)
    listing = await t.send("/requests", expect="My requests: ")
    assert TicketCB(action="view", ticket=marys).pack() == f"t:view:{marys}:0"

    forged = [TicketCB(action=action, ticket=marys, back=back).pack()
              for action, back in [("view", 0), ("view", 1), ("reply", 0), ("write", 0), ("close", 0),
                                   ("close_sure", 0), ("rate", 0), ("reopen", 0), ("keep", 0)]]
    for data in [*forged, StarsCB(ticket=marys, stars=5).pack()]:
        press = await john.press_data(listing, data)
        answer = await press.answer()
        assert answer.show_alert and answer.text == "This request was not found among yours.", data
    # Stale or malformed buttons of his own tickets: refused politely too.
    refusals = {
        TicketCB(action="write", ticket=johns).pack(): f"Request #{johns} is closed",
        StarsCB(ticket=johns, stars=9).pack(): "from 1 to 5 stars",
        f"t:view:{johns}:abc": "out of date",
        f"t:explode:{johns}:0": "out of date",
        ListCB(show="everything").pack(): "out of date",
    }
    for data, expected in refusals.items():
        answer = await (await john.press_data(listing, data)).answer()
        assert answer.show_alert and expected in answer.text, data

    await settled(emu)
    assert not any("Mary" in m.shown_text for m in t.view.bot_messages)
    assert emu.message(john, listing.message_id).shown_text == listing.shown_text
    untouched = await ticket(db, marys)
    assert (untouched.state, untouched.rating, len(untouched.messages)) == ("open", None, 2)
    assert (await ticket(db, johns)).rating is None
    await t.send("Just a question", expect="did not find an answer")  # no writing mode was entered
