"""Tags: an agent tags a ticket in its topic; the card shows it, `/queue #TAG` and `/find #TAG` list
only the tagged tickets, `/stats` counts them; a ticket that is not here or is closed refuses."""

from __future__ import annotations

from world import file_request, settled


def number_of(registered) -> int:
    return int(registered.shown_text.split("#")[1].split()[0])


async def card_of(emu, desk, number):
    return await emu.chat(desk).wait_for(lambda m: m.shown_text.startswith(f"🎫 #{number} "))


async def test_a_tag_filters_the_queue(frontdesk, emu, john, talk, forum_desk):
    agent = forum_desk.agent
    billing = number_of(await file_request(talk(john), "Invoice is wrong"))
    other = number_of(await file_request(talk(john), "App crashes"))
    card = await card_of(emu, forum_desk, billing)
    await card_of(emu, forum_desk, other)
    await agent.send("/tag #Billing refund", chat=forum_desk, thread_id=card.thread_id)
    await emu.chat(forum_desk).wait_for(lambda m: m.shown_text == f"🏷 #{billing}: #billing #refund")
    await settled(emu)
    assert "Tags: #billing #refund" in emu.message(forum_desk, card.message_id).shown_text

    await agent.send("/queue #billing", chat=forum_desk)
    listed = await emu.chat(forum_desk).wait_for(lambda m: "tagged #billing" in m.shown_text)
    assert f"#{billing} Invoice is wrong" in listed.shown_text and "App crashes" not in listed.shown_text
    await agent.send("/queue", chat=forum_desk)
    everything = await emu.chat(forum_desk).wait_for(lambda m: m.shown_text.startswith("Open tickets (critical"))
    assert "App crashes" in everything.shown_text and "Invoice is wrong" in everything.shown_text
    await agent.send("/find #refund", chat=forum_desk)
    found = await emu.chat(forum_desk).wait_for(lambda m: m.shown_text.startswith("Found 1:"))
    assert f"#{billing} Invoice is wrong" in found.shown_text
    await agent.send("/stats", chat=forum_desk)
    await emu.chat(forum_desk).wait_for(lambda m: "By tag: #billing 1, #refund 1" in m.shown_text)

    await agent.send("/untag refund", chat=forum_desk, thread_id=card.thread_id)
    await emu.chat(forum_desk).wait_for(lambda m: m.shown_text == f"🏷 #{billing}: #billing")


async def test_tags_are_refused_off_a_ticket_on_a_closed_one_and_for_a_bad_name(frontdesk, emu, john, talk,
                                                                                  forum_desk):
    agent = forum_desk.agent
    number = number_of(await file_request(talk(john), "Invoice is wrong"))
    card = await card_of(emu, forum_desk, number)
    await agent.send("/tag billing", chat=forum_desk)
    await emu.chat(forum_desk).wait_for(lambda m: m.shown_text.startswith("Use /tag NAME… in a ticket's topic"))
    await agent.send("/tag not/a/tag", chat=forum_desk, thread_id=card.thread_id)
    await emu.chat(forum_desk).wait_for(lambda m: m.shown_text.startswith("«not/a/tag» is not a tag"))
    other = emu.add_group(-1009999, "Random chat")
    other.add_member(agent)
    await agent.send("/tag billing", chat=other)
    toast = await (await agent.press(emu.message(forum_desk, card.message_id), "🔒 Close")).answer()
    assert toast
    await emu.chat(forum_desk).wait_for(
        lambda m: m.message_id == card.message_id and "closed" in m.shown_text and not m.buttons)
    await agent.send("/untag billing", chat=forum_desk, thread_id=card.thread_id)
    await emu.chat(forum_desk).wait_for(lambda m: m.shown_text == "The ticket is closed.")
    await settled(emu)
    assert emu.chat(other).bot_messages == []
