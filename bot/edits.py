"""Editing a message the bot sent before, safely: Telegram's "not modified" is no error, and a
message too old to edit (an InaccessibleMessage, or "message can't be edited") gets its new text
as a new message instead; buttons that cannot be changed any more are left as they are."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InaccessibleMessage, InlineKeyboardMarkup, MaybeInaccessibleMessage, Message

log = logging.getLogger(__name__)

# Telegram's wording for a message the bot can no longer edit (too old, or gone).
_NOT_EDITABLE = ("message can't be edited", "message to edit not found")


def _not_editable(error: TelegramBadRequest) -> bool:
    return any(needle in error.message for needle in _NOT_EDITABLE)


async def edit_markup(message: MaybeInaccessibleMessage | None, markup: InlineKeyboardMarkup | None) -> None:
    """New buttons (None removes them)."""
    if not isinstance(message, Message):
        return
    try:
        await message.edit_reply_markup(reply_markup=markup)
    except TelegramBadRequest as error:
        if _not_editable(error):
            log.info("buttons of message %s in chat %s cannot be changed any more (%s)",
                     message.message_id, message.chat.id, error.message)
        elif "message is not modified" not in error.message:
            raise


async def edit_text(message: MaybeInaccessibleMessage | None, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """A new text and buttons in place of the message, or in a new message when it cannot be edited."""
    if isinstance(message, InaccessibleMessage):
        await message.answer(text, reply_markup=markup)
        return
    if not isinstance(message, Message):
        return
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as error:
        if _not_editable(error):
            log.info("message %s in chat %s cannot be edited any more (%s); sending a new one",
                     message.message_id, message.chat.id, error.message)
            await message.answer(text, reply_markup=markup)
        elif "message is not modified" not in error.message:
            raise
