"""Sending, editing and deleting text messages through a real aiogram Bot."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters

from emulator import BotAPIEmulator, Person


def keyboard(*texts: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=t, callback_data=f"cb:{t}") for t in texts]])


async def test_bot_message_shows_in_the_private_chat(emu: BotAPIEmulator, bot: Bot,
                                                     anna: Person) -> None:
    sent = await bot.send_message(anna.id, "<b>Hello</b>, Anna", parse_mode="HTML",
                                  reply_markup=keyboard("Yes", "No"))

    assert sent.text == "Hello, Anna"
    assert sent.entities[0].type == "bold"
    assert sent.from_user.id == 123456 and sent.chat.first_name == "Anna"
    shown = emu.chat(anna).messages[-1]
    assert (shown.text, shown.html, shown.from_bot) == ("Hello, Anna", "<b>Hello</b>, Anna", True)
    assert shown.buttons == [["Yes", "No"]]
    assert shown.callback_data("No") == "cb:No"


async def test_users_and_bot_share_message_ids(emu: BotAPIEmulator, bot: Bot,
                                               anna: Person) -> None:
    first = await anna.send("hi")
    answer = await bot.send_message(anna.id, "hello", reply_parameters=ReplyParameters(
        message_id=first.message_id))

    assert answer.message_id == first.message_id + 1
    assert answer.reply_to_message.text == "hi"
    assert emu.chat(anna).texts == ["hi", "hello"]


async def test_get_me_reports_the_bot(bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (123456, "frontdesk_bot", True)


async def test_edits_are_applied_and_no_op_edit_is_refused(emu: BotAPIEmulator, bot: Bot,
                                                            anna: Person) -> None:
    sent = await bot.send_message(anna.id, "v1", reply_markup=keyboard("A"))

    await bot.edit_message_text("v2", chat_id=anna.id, message_id=sent.message_id,
                                reply_markup=keyboard("B"))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("v2", chat_id=anna.id, message_id=sent.message_id,
                                    reply_markup=keyboard("B"))
    await bot.edit_message_reply_markup(chat_id=anna.id, message_id=sent.message_id)

    shown = emu.chat(anna).messages[-1]
    assert (shown.text, shown.buttons, shown.edited) == ("v2", [], True)


async def test_caption_edit(emu: BotAPIEmulator, bot: Bot, anna: Person) -> None:
    photo = await anna.send_photo()
    sent = await bot.send_photo(anna.id, photo.file_ids[0], caption="old")

    edited = await bot.edit_message_caption(chat_id=anna.id, message_id=sent.message_id,
                                            caption="<i>new</i>", parse_mode="HTML")

    assert edited.caption == "new"
    assert emu.chat(anna).last.caption == "new"


async def test_deleted_messages_disappear(emu: BotAPIEmulator, bot: Bot, anna: Person) -> None:
    sent = await bot.send_message(anna.id, "oops")

    assert await bot.delete_message(anna.id, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(anna.id, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=anna.id, message_id=sent.message_id)
    assert emu.chat(anna).messages == []


@pytest.mark.parametrize(("text", "parse_mode", "error"), [
    ("x" * 4097, None, "message is too long"),
    ("   ", None, "message text is empty"),
    ("<foo>hi</foo>", "HTML", "can't parse entities: Unsupported start tag \"foo\""),
    ("<b>open", "HTML", "can't parse entities: Can't find end tag"),
    ("Hello, <3 Anna!", "HTML", "can't parse entities: Unsupported start tag"),
    ("😀" * 2049, None, "message is too long"),  # 2049 characters, 4098 UTF-16 code units
])
async def test_bad_texts_are_refused(bot: Bot, anna: Person, text: str,
                                     parse_mode: str | None, error: str) -> None:
    with pytest.raises(TelegramBadRequest, match=error):
        await bot.send_message(anna.id, text, parse_mode=parse_mode)


async def test_the_limit_counts_the_text_after_entity_parsing(bot: Bot, anna: Person) -> None:
    sent = await bot.send_message(anna.id, "&lt;" * 4096, parse_mode="HTML")

    assert sent.text == "<" * 4096


async def test_markdown_v2_is_parsed(emu: BotAPIEmulator, bot: Bot, anna: Person) -> None:
    sent = await bot.send_message(anna.id, r"*Ticket* \#42 is _open_\.",
                                  parse_mode="MarkdownV2")

    assert sent.text == "Ticket #42 is open."
    assert [e.type for e in sent.entities] == ["bold", "italic"]


async def test_unknown_chat_is_not_found(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "hello?")


async def test_copy_and_forward(emu: BotAPIEmulator, bot: Bot, anna: Person) -> None:
    desk = emu.add_group(-100500, "Support desk")
    question = await anna.send("my printer is on fire")

    copied = await bot.copy_message(desk.id, anna.id, question.message_id)
    forwarded = await bot.forward_message(desk.id, anna.id, question.message_id)

    shown = emu.chat(desk).messages
    assert [m.text for m in shown] == ["my printer is on fire"] * 2
    assert shown[0].message_id == copied.message_id and shown[0].from_bot
    assert forwarded.forward_origin.sender_user.id == anna.id
