"""Customer context: a ticket's card says who the customer is to the desk (earlier tickets, plan,
coupons, ratings); `/customer ID` in the agent group gives their whole history."""

from __future__ import annotations

from world import eventually, file_request, settled

from desk import customer_context


async def card_of(emu, desk, number):
    return await emu.chat(desk).wait_for(lambda m: m.shown_text.startswith(f"🎫 #{number} "))


def shown(emu, chat, start: str, part: str = "") -> int:
    """How many of the bot's messages in `chat` begin with `start` and hold `part`."""
    return sum(m.shown_text.startswith(start) and part in m.shown_text for m in emu.chat(chat).bot_messages)


def number_of(registered) -> int:
    return int(registered.shown_text.split("#")[1].split()[0])


async def test_the_card_lists_the_customers_earlier_tickets(frontdesk, emu, john, talk, forum_desk):
    first = await card_of(emu, forum_desk, number_of(await file_request(talk(john), "Cannot log in")))
    assert "Earlier requests: none" in first.shown_text
    assert "coupons left: 0" in first.shown_text and "no ratings given" in first.shown_text
    for title in ("Invoice is wrong", "App crashes", "Export is empty"):
        number = number_of(await file_request(talk(john), title))
    card = await card_of(emu, forum_desk, number)
    assert "Earlier requests: 3" in card.shown_text
    listed = card.shown_text.split("Earlier requests: 3")[1]
    # The last three, newest first, each with its number, title and state.
    assert listed.index("«App crashes» · 🆕 new") < listed.index("«Invoice is wrong»") < listed.index(
        "«Cannot log in»")
    assert f"#{number - 1} «App crashes»" in listed


async def test_customer_command_gives_the_whole_history(frontdesk, emu, john, talk, forum_desk):
    agent = forum_desk.agent
    numbers = [number_of(await file_request(talk(john), f"Problem {n}")) for n in range(1, 5)]
    await agent.send(f"/customer {john.id}", chat=forum_desk)
    history = await emu.chat(forum_desk).wait_for(lambda m: m.shown_text.startswith("👤 John (@john)"))
    assert "Requests: 4" in history.shown_text
    for number in numbers:
        assert f"#{number} «Problem {numbers.index(number) + 1}»" in history.shown_text
    await agent.send("/customer 777", chat=forum_desk)
    await emu.chat(forum_desk).wait_for(lambda m: "No customer with id 777" in m.shown_text)
    await agent.send("/customer john", chat=forum_desk)
    await emu.chat(forum_desk).wait_for(lambda m: m.shown_text.startswith("Usage: /customer ID [PAGE]"))
    await agent.send(f"/customer {john.id} second", chat=forum_desk)
    await eventually(lambda: shown(emu, forum_desk, "Usage: /customer ID [PAGE]") == 2, "a second usage reply")


async def test_a_long_history_comes_a_page_at_a_time(frontdesk, emu, john, talk, forum_desk, monkeypatch):
    monkeypatch.setattr(customer_context, "HISTORY_PAGE", 2)
    agent = forum_desk.agent
    numbers = [number_of(await file_request(talk(john), f"Problem {n}")) for n in range(1, 6)]
    await agent.send(f"/customer {john.id}", chat=forum_desk)
    first = await emu.chat(forum_desk).wait_for(lambda m: m.shown_text.startswith("👤 John (@john)"))
    assert "Requests: 5 · page 1 of 3" in first.shown_text
    assert "«Problem 5»" in first.shown_text and "«Problem 4»" in first.shown_text
    assert "«Problem 3»" not in first.shown_text
    assert first.shown_text.endswith(f"Older: /customer {john.id} 2")
    await agent.send(f"/customer {john.id} 3", chat=forum_desk)
    last = await emu.chat(forum_desk).wait_for(lambda m: "page 3 of 3" in m.shown_text)
    assert f"#{numbers[0]} «Problem 1»" in last.shown_text and "Older:" not in last.shown_text
    await agent.send(f"/customer {john.id} 99", chat=forum_desk)  # past the last page: the last
    await eventually(lambda: shown(emu, forum_desk, "👤 John", "page 3 of 3") == 2, "the last page again")


async def test_customer_command_shows_nothing_outside_the_desk(frontdesk, emu, john, talk, forum_desk):
    await file_request(talk(john), "My secret problem")
    other = emu.add_group(-1009999, "Random chat")
    other.add_member(forum_desk.agent)
    await forum_desk.agent.send(f"/customer {john.id}", chat=other)
    # A customer (not an agent) asking in their private chat learns nothing either.
    await john.send(f"/customer {john.id}")
    await settled(emu)
    assert emu.chat(other).bot_messages == []
    assert "My secret problem" not in emu.chat(john).last.shown_text
    assert "do not know this command" in emu.chat(john).last.shown_text


async def test_the_agent_groups_menu_and_help_name_customer(frontdesk, emu, forum_desk):
    scope = {"type": "all_group_chats"}
    russian = dict(emu.commands(scope, language_code="ru"))
    english = dict(emu.commands(scope, language_code="en"))
    assert russian["customer"] == "История клиента: /customer ID"
    assert english["customer"] == "A customer's history: /customer ID"
    assert set(russian) == set(english) >= {"queue", "ticket", "customer", "find", "stats", "help"}
    await forum_desk.agent.send("/help", chat=forum_desk)
    await emu.chat(forum_desk).wait_for(lambda m: "/customer ID — a customer's whole history" in m.shown_text)
