"""Editing a message the bot sent before, safely: Telegram's "not modified" is no error, and a
message too old to edit (an InaccessibleMessage) is left as it is."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup, MaybeInaccessibleMessage, Message


async def edit_markup(message: MaybeInaccessibleMessage | None, markup: InlineKeyboardMarkup | None) -> None:
    """New buttons (None removes them)."""
    if not isinstance(message, Message):
        return
    try:
        await message.edit_reply_markup(reply_markup=markup)
    except TelegramBadRequest as error:
        if "message is not modified" not in error.message:
            raise


async def edit_text(message: MaybeInaccessibleMessage | None, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """A new text and buttons."""
    if not isinstance(message, Message):
        return
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as error:
        if "message is not modified" not in error.message:
            raise
