"""The driver: pressing buttons, waiting for messages, and its error messages."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from emulator import BotAPIEmulator, ButtonNotFound, Person

MENU = InlineKeyboardMarkup(inline_keyboard=[
    [InlineKeyboardButton(text="Open a ticket", callback_data="ticket:new")],
    [InlineKeyboardButton(text="FAQ", callback_data="faq"),
     InlineKeyboardButton(text="Docs", url="https://example.org")],
])


async def test_press_sends_a_callback_query_and_reads_the_toast(
        emu: BotAPIEmulator, bot: Bot, anna: Person) -> None:
    await bot.send_message(anna.id, "Menu", reply_markup=MENU)
    menu = emu.chat(anna).last

    press = await anna.press(menu, "ticket")
    [update] = await bot.get_updates(timeout=0)
    query = update.callback_query
    await bot.answer_callback_query(query.id, text="Creating…", show_alert=True)

    assert (query.data, query.from_user.id, query.message.message_id) == (
        "ticket:new", anna.id, menu.message_id)
    answer = await press.answer(timeout=1)
    assert (answer.text, answer.show_alert) == ("Creating…", True)
    assert emu.callback_answers[press.id] is answer


async def test_missing_button_error_lists_the_buttons(emu: BotAPIEmulator, bot: Bot,
                                                      anna: Person) -> None:
    await bot.send_message(anna.id, "Menu", reply_markup=MENU)

    with pytest.raises(ButtonNotFound) as caught:
        await anna.press(emu.chat(anna).last, "Close")

    assert "[['Open a ticket'], ['FAQ', 'Docs']]" in str(caught.value)
    with pytest.raises(ButtonNotFound, match="no callback_data"):
        await anna.press(emu.chat(anna).last, "Docs")


async def test_forged_callback_data(bot: Bot, anna: Person, emu: BotAPIEmulator) -> None:
    await bot.send_message(anna.id, "Menu", reply_markup=MENU)

    await anna.press_data(emu.chat(anna).last, "ticket:close:999")

    [update] = await bot.get_updates(timeout=0)
    assert update.callback_query.data == "ticket:close:999"


async def test_wait_for_finds_an_edit(emu: BotAPIEmulator, bot: Bot, anna: Person) -> None:
    sent = await bot.send_message(anna.id, "Working…")
    await bot.edit_message_text("Done", chat_id=anna.id, message_id=sent.message_id)

    shown = await emu.chat(anna).wait_for(lambda m: m.text == "Done", timeout=1)

    assert shown.edited and shown.message_id == sent.message_id


async def test_wait_for_timeout_shows_the_chat(emu: BotAPIEmulator, bot: Bot,
                                               anna: Person) -> None:
    await anna.send("hello")
    await bot.send_message(anna.id, "Hi there")

    with pytest.raises(AssertionError) as caught:
        await emu.chat(anna).wait_for(lambda m: "Welcome" in m.shown_text, timeout=0.2)

    assert "'Hi there'" in str(caught.value) and "'hello'" in str(caught.value)


async def test_reply_and_edit_by_user(emu: BotAPIEmulator, bot: Bot, anna: Person) -> None:
    question = await bot.send_message(anna.id, "Your e-mail?")
    answer = await anna.reply(emu.chat(anna).last, "anna@example.org")
    await anna.edit(answer, "anna@example.com")

    updates = await bot.get_updates(timeout=0)

    assert updates[0].message.reply_to_message.message_id == question.message_id
    assert updates[1].edited_message.text == "anna@example.com"


async def test_location_contact_and_voice(emu: BotAPIEmulator, bot: Bot, anna: Person) -> None:
    await anna.send_location(55.75, 37.62)
    await anna.send_contact("+70000000000")
    await anna.send_voice()
    await anna.send_video(caption="screen recording")
    await anna.send_sticker()

    kinds = [u.message.content_type for u in await bot.get_updates(timeout=0)]

    assert kinds == ["location", "contact", "voice", "video", "sticker"]
