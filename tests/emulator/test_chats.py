"""Groups, forum topics, members and the command menu."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats

from emulator import BotAPIEmulator, Person


async def test_forum_topic_life_cycle(emu: BotAPIEmulator, bot: Bot, anna: Person) -> None:
    desk = emu.add_group(-1001234567890, "Support desk", forum=True)
    agent = emu.add_user(2001, "Boris", language_code="en")
    desk.add_member(agent, status="administrator")

    topic = await bot.create_forum_topic(desk.id, "Anna #1")
    await bot.send_message(desk.id, "new ticket", message_thread_id=topic.message_thread_id)
    said = await agent.send("on it", chat=desk, thread_id=topic.message_thread_id)

    view = emu.chat(desk).topic(topic.message_thread_id)
    assert [m.shown_text for m in view.messages if m.media_kind is None] == [
        "new ticket", "on it"]
    assert said.thread_id == topic.message_thread_id
    assert [t.name for t in emu.chat(desk).topics] == ["Anna #1"]

    assert await bot.delete_forum_topic(desk.id, topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(desk.id, "hello?", message_thread_id=topic.message_thread_id)
    assert emu.chat(desk).topics == [] and view.messages == []


async def test_driver_deleted_topic_refuses_sends(emu: BotAPIEmulator, bot: Bot) -> None:
    desk = emu.add_group(-100777, "Desk", forum=True)
    topic = await bot.create_forum_topic(desk.id, "T")

    emu.delete_topic(desk, topic.message_thread_id)

    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(desk.id, "x", message_thread_id=topic.message_thread_id)


async def test_topics_need_a_forum(emu: BotAPIEmulator, bot: Bot) -> None:
    plain = emu.add_group(-100888, "Plain")

    with pytest.raises(TelegramBadRequest, match="not a forum"):
        await bot.create_forum_topic(plain.id, "T")


async def test_members_and_chat_info(emu: BotAPIEmulator, bot: Bot, anna: Person) -> None:
    desk = emu.add_group(-100999, "Desk", forum=True)
    agent = emu.add_user(2001, "Boris")
    desk.add_member(agent, status="administrator")

    assert (await bot.get_chat_member(desk.id, agent.id)).status == "administrator"
    assert (await bot.get_chat_member(desk.id, anna.id)).status == "left"
    assert [m.user.id for m in await bot.get_chat_administrators(desk.id)] == [agent.id]
    chat = await bot.get_chat(desk.id)
    assert (chat.title, chat.is_forum, chat.type) == ("Desk", True, "supergroup")


async def test_commands_per_language(emu: BotAPIEmulator, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Начать")],
                              language_code="ru")
    await bot.set_my_commands([BotCommand(command="start", description="Start"),
                               BotCommand(command="help", description="Help")],
                              scope=BotCommandScopeAllPrivateChats())

    assert emu.commands(language_code="ru") == [("start", "Начать")]
    assert emu.commands("all_private_chats") == [("start", "Start"), ("help", "Help")]
    assert [c.command for c in await bot.get_my_commands(language_code="ru")] == ["start"]
    await bot.delete_my_commands(language_code="ru")
    assert emu.commands(language_code="ru") == []


async def test_the_bots_rights_and_privacy_are_what_the_group_gave_it(emu: BotAPIEmulator, bot: Bot) -> None:
    group = emu.add_group(-100777, "Desk", forum=True)
    me = await bot.get_me()
    assert me.can_read_all_group_messages is False  # a new bot's privacy mode is on
    full = await bot.get_chat_member(group.id, me.id)
    assert (full.status, full.can_manage_topics, full.can_pin_messages) == ("administrator", True, True)

    group.set_bot("administrator", withheld={"can_manage_topics"})
    limited = await bot.get_chat_member(group.id, me.id)
    assert (limited.can_manage_topics, limited.can_pin_messages) == (False, True)
    with pytest.raises(TelegramBadRequest, match="not enough rights to create a topic"):
        await bot.create_forum_topic(group.id, "Ticket #1")
    group.set_bot("member")
    assert (await bot.get_chat_member(group.id, me.id)).status == "member"
    with pytest.raises(TelegramBadRequest, match="not enough rights to create a topic"):
        await bot.create_forum_topic(group.id, "Ticket #1")

    emu.set_privacy(False)
    assert (await bot.get_me()).can_read_all_group_messages is True
