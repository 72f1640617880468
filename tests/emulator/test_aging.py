"""What time and downtime do to messages and buttons: old messages, old presses, and updates a
bot's library cannot parse (as after a Bot API release)."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import ClientDecodeError, TelegramBadRequest
from aiogram.types import InaccessibleMessage, InlineKeyboardButton, InlineKeyboardMarkup

from emulator import BotAPIEmulator, Person

BUTTON = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Open", callback_data="o")]])


async def test_an_aged_message_can_no_longer_be_edited(emu: BotAPIEmulator, bot: Bot,
                                                        anna: Person) -> None:
    sent = await bot.send_message(anna.id, "your requests", reply_markup=BUTTON)
    emu.age_message(emu.message(anna, sent.message_id))

    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("new", chat_id=anna.id, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_reply_markup(chat_id=anna.id, message_id=sent.message_id)
    assert emu.chat(anna).last.text == "your requests"


async def test_a_press_on_an_inaccessible_message_carries_date_0(emu: BotAPIEmulator, bot: Bot,
                                                                  anna: Person) -> None:
    sent = await bot.send_message(anna.id, "your requests", reply_markup=BUTTON)
    old = emu.message(anna, sent.message_id)
    emu.age_message(old, inaccessible=True)

    await anna.press(old, "Open")
    query = (await bot.get_updates(timeout=0))[-1].callback_query

    assert isinstance(query.message, InaccessibleMessage)
    assert (query.message.chat.id, query.message.message_id, query.message.date) == (
        anna.id, sent.message_id, 0)
    assert query.data == "o"


async def test_a_press_too_old_cannot_be_answered(emu: BotAPIEmulator, bot: Bot,
                                                  anna: Person) -> None:
    sent = await bot.send_message(anna.id, "pick one", reply_markup=BUTTON)
    press = await anna.press(emu.message(anna, sent.message_id), "Open", too_old=True)

    with pytest.raises(TelegramBadRequest, match="query is too old and response timeout expired"):
        await bot.answer_callback_query(press.id)
    fresh = await anna.press(emu.message(anna, sent.message_id), "Open")
    assert await bot.answer_callback_query(fresh.id, text="ok")
    assert press.id not in emu.callback_answers


async def test_a_raw_update_is_delivered_as_given(emu: BotAPIEmulator, bot: Bot,
                                                  anna: Person) -> None:
    update_id = emu.push_update("message", {"message_id": 1, "date": "yesterday",
                                            "chat": {"id": anna.id}})

    with pytest.raises(ClientDecodeError):
        await bot.get_updates(timeout=0)
    assert emu.world.updates.history[update_id] == {
        "update_id": update_id,
        "message": {"message_id": 1, "date": "yesterday", "chat": {"id": anna.id}},
    }
    # Confirming it (a higher offset) lets the next ones through.
    await anna.send("hello")
    updates = await bot.get_updates(offset=update_id + 1, timeout=0)
    assert [u.message.text for u in updates] == ["hello"]
