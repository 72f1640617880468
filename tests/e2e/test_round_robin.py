"""Assignment: agents go on duty, new tickets go to them in turn up to the cap, and the card says
when nobody can take one; `/assign`, `/unassign`, `/mine`, and their refusals."""

from __future__ import annotations

import pytest
from world import file_request as filed
from world import make_config, settled


@pytest.fixture
def config(emu, tmp_path):
    (tmp_path / "faq").mkdir()
    return make_config(emu, tmp_path, desk={"assign_cap": 2})


def number_of(registered) -> int:
    return int(registered.shown_text.split("#")[1].split()[0])


async def card_of(emu, desk, number):
    return await emu.chat(desk).wait_for(lambda m: m.shown_text.startswith(f"🎫 #{number} "))


@pytest.fixture
def agents(emu, forum_desk):
    """Ivan (no username), Olga (@olga) and Petr (@petr), all in the desk."""
    olga = emu.add_user(5002, "Olga", username="olga")
    petr = emu.add_user(5003, "Petr", username="petr")
    for agent in (olga, petr):
        forum_desk.add_member(agent)
    return forum_desk.agent, olga, petr


async def test_round_robin_over_three_agents_with_a_cap_of_two(frontdesk, emu, john, talk, forum_desk, agents):
    mary = emu.add_user(1003, "Mary", language_code="en")  # two customers: neither meets flood control
    for agent in agents:
        await agent.send("/duty on", chat=forum_desk)
        await emu.chat(forum_desk).wait_for(
            lambda m, agent=agent: m.reply_to_message_id is not None and "You are on duty at support level 1"
            in m.shown_text and m.shown_text.endswith("up to 2 open (you have 0)."))
    takers = []
    for n in range(7):
        number = number_of(await filed(talk(john if n % 2 else mary), f"Problem {n}"))
        card = await card_of(emu, forum_desk, number)
        takers.append(card.shown_text.split("taken by ")[1].split("\n")[0] if "taken by" in card.shown_text
                      else None)
    assert takers == ["Ivan", "Olga", "Petr", "Ivan", "Olga", "Petr", None]
    assert "nobody can take it: every agent on duty is at the cap" in card.shown_text

    ivan, olga, _petr = agents
    await ivan.send("/mine", chat=forum_desk)
    mine = await emu.chat(forum_desk).wait_for(lambda m: m.shown_text.startswith("Your open tickets (2)"))
    assert "Problem 0" in mine.shown_text and "Problem 3" in mine.shown_text and "Problem 1" not in mine.shown_text
    # By hand, the cap does not hold: the seventh goes to Olga.
    await ivan.send("/assign @olga", chat=forum_desk, thread_id=card.thread_id)
    await emu.chat(forum_desk).wait_for(lambda m: m.shown_text == f"👤 #{number} is assigned to Olga.")
    await settled(emu)
    assert "taken by Olga" in emu.message(forum_desk, card.message_id).shown_text
    await olga.send("/mine", chat=forum_desk)
    await emu.chat(forum_desk).wait_for(lambda m: m.shown_text.startswith("Your open tickets (3)"))
    await olga.send("/unassign", chat=forum_desk, thread_id=card.thread_id)
    await emu.chat(forum_desk).wait_for(lambda m: m.shown_text == f"👤 #{number} is assigned to nobody now.")
    await ivan.send("/assign", chat=forum_desk, thread_id=card.thread_id)
    await emu.chat(forum_desk).wait_for(lambda m: m.shown_text == f"👤 #{number} is assigned to Ivan.")


async def test_assignment_refusals(frontdesk, emu, john, talk, forum_desk, agents):
    ivan = forum_desk.agent
    number = number_of(await filed(talk(john), "Cannot log in"))
    card = await card_of(emu, forum_desk, number)
    assert "nobody can take it: nobody is on duty" in card.shown_text
    await ivan.send("/assign", chat=forum_desk)
    await emu.chat(forum_desk).wait_for(lambda m: m.shown_text.startswith("Use /assign [@username] in a ticket's"))
    await ivan.send("/assign @nobody_here", chat=forum_desk, thread_id=card.thread_id)
    await emu.chat(forum_desk).wait_for(lambda m: m.shown_text.startswith("I do not know @nobody_here"))
    await ivan.send("/duty maybe", chat=forum_desk)
    await emu.chat(forum_desk).wait_for(lambda m: m.shown_text.startswith("Usage: /duty on"))
    other = emu.add_group(-1009999, "Random chat")
    other.add_member(ivan)
    await ivan.send("/duty on", chat=other)
    await ivan.send("/mine", chat=other)
    await (await ivan.press(emu.message(forum_desk, card.message_id), "🔒 Close")).answer()
    await emu.chat(forum_desk).wait_for(lambda m: m.message_id == card.message_id and not m.buttons)
    await ivan.send("/assign", chat=forum_desk, thread_id=card.thread_id)
    await emu.chat(forum_desk).wait_for(lambda m: m.shown_text == "The ticket is closed.")
    await settled(emu)
    assert emu.chat(other).bot_messages == []
