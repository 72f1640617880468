"""A resolved ticket the customer writes to, or a closed one they reopen, starts a new reply clock:
the customer is told by when support will answer, the card shows the due time, and the agents'
group hears of the reopening with it."""

from __future__ import annotations

from world import file_request, settled


async def card_of(emu, desk, number):
    return await emu.chat(desk).wait_for(lambda m: m.shown_text.startswith(f"🎫 #{number}"))


def labels_with(message, part: str) -> list[str]:
    return [label for row in message.buttons for label in row if part in label]


async def test_writing_to_a_resolved_ticket_opens_it_with_a_new_reply_clock(frontdesk, emu, john, talk, forum_desk):
    t = talk(john)
    done = await file_request(t, "The VPN drops")
    number = int(done.shown_text.split("#")[1].split()[0])
    card = await card_of(emu, forum_desk, number)
    agent = forum_desk.agent
    await agent.send("Reconnect, please", chat=forum_desk, thread_id=card.thread_id)
    answer = await emu.chat(john).wait_for(lambda m: "Reconnect, please" in m.shown_text)
    await (await agent.press(emu.message(forum_desk, card.message_id), "✅ Resolve")).answer()
    await emu.chat(john).wait_for(lambda m: "is resolved" in m.shown_text)
    await settled(emu)
    assert "Answer due since reopening" not in emu.message(forum_desk, card.message_id).shown_text

    added = await t.do(john.reply(answer, "It drops again"), expect=f"Added to request #{number}.")
    assert f"Request #{number} is open again: support will answer by " in added.shown_text
    await settled(emu)
    card_now = emu.message(forum_desk, card.message_id).shown_text
    assert "Answer due since reopening" in card_now and "in progress" in card_now


async def test_a_reopened_ticket_shows_the_new_due_time_to_both_sides(frontdesk, emu, john, talk, forum_desk):
    t = talk(john)
    done = await file_request(t, "Invoices are wrong")
    number = int(done.shown_text.split("#")[1].split()[0])
    card = await card_of(emu, forum_desk, number)
    await (await forum_desk.agent.press(emu.message(forum_desk, card.message_id), "🔒 Close")).answer()
    await emu.chat(john).wait_for(lambda m: f"#{number}" in m.shown_text and "closed" in m.shown_text)

    listing = await t.send("/requests", expect="My requests")
    if not labels_with(listing, f"#{number}"):
        (closed,) = labels_with(listing, "Closed")
        listing = await t.press(listing, closed, expect=f"#{number}")
    (label,) = labels_with(listing, f"#{number}")
    shown = await t.press(listing, label, expect=f"Request #{number}: Invoices are wrong")
    reopened = await t.press(shown, "🔄 Reopen", expect="Support will answer by ")
    assert "in progress" in reopened.shown_text
    notice = await emu.chat(forum_desk).wait_for(
        lambda m: m.shown_text.startswith(f"🔄 The customer reopened #{number}. An answer is due "))
    assert notice.thread_id == card.thread_id
    await settled(emu)
    assert "Answer due since reopening" in emu.message(forum_desk, card.message_id).shown_text
