"""Bot API methods that change or remove messages, and answerCallbackQuery."""

from __future__ import annotations

from typing import Any

from emulator import errors
from emulator.errors import ApiError
from emulator.methods_send import Files, Params, caption_fields, render
from emulator.state import CallbackAnswer, Message
from emulator.world import World


def _editable(world: World, p: Params) -> Message:
    if p.get("inline_message_id"):
        raise ApiError.bad_request("Bad Request: inline messages are not supported "
                                   "by the emulator")
    chat = world.chat_for_bot(p.get("chat_id"))
    message = world.live_message(chat, p.get("message_id"), errors.EDIT_NOT_FOUND)
    if not message.from_bot or not message.editable:
        raise ApiError.bad_request(errors.CANT_EDIT)
    return message


def _inline_markup(p: Params) -> dict[str, Any] | None:
    # An edit without reply_markup removes the inline keyboard, as in Telegram.
    markup = p.get("reply_markup")
    return markup if markup and markup.get("inline_keyboard") else None


def _apply(world: World, message: Message, **changes: Any) -> Any:
    current = {key: getattr(message, key) for key in changes if key != "html"}
    if current == {key: value for key, value in changes.items() if key != "html"}:
        raise ApiError.bad_request(errors.NOT_MODIFIED)
    for key, value in changes.items():
        setattr(message, key, value)
    message.edited = True
    message.edit_date = int(world.clock())
    world.message_changed(message)
    return world.message_json(message)


async def edit_message_text(world: World, p: Params, files: Files) -> Any:
    """editMessageText."""
    message = _editable(world, p)
    if message.text is None:
        raise ApiError.bad_request("Bad Request: there is no text in the message to edit")
    text, entities = render(world, p.get("text"), p.get("parse_mode"), p.get("entities"),
                            limit=errors.MAX_TEXT, too_long=errors.TOO_LONG,
                            empty=errors.TEXT_EMPTY)
    return _apply(world, message, text=text, entities=entities, html=p.get("text"),
                  reply_markup=_inline_markup(p))


async def edit_message_caption(world: World, p: Params, files: Files) -> Any:
    """editMessageCaption."""
    message = _editable(world, p)
    if message.media_kind is None or message.text is not None:
        raise ApiError.bad_request("Bad Request: there is no caption in the message to edit")
    fields = caption_fields(world, p)
    return _apply(world, message, caption=fields["caption"],
                  caption_entities=fields["caption_entities"], html=fields["html"],
                  reply_markup=_inline_markup(p))


async def edit_message_reply_markup(world: World, p: Params, files: Files) -> Any:
    """editMessageReplyMarkup."""
    message = _editable(world, p)
    return _apply(world, message, reply_markup=_inline_markup(p))


async def delete_message(world: World, p: Params, files: Files) -> Any:
    """deleteMessage."""
    chat = world.find_chat(p.get("chat_id"))
    message = world.live_message(chat, p.get("message_id"), errors.DELETE_NOT_FOUND)
    message.deleted = True
    world.notify()
    return True


async def delete_messages(world: World, p: Params, files: Files) -> Any:
    """deleteMessages: deletes those that exist, silently skipping the rest."""
    chat = world.find_chat(p.get("chat_id"))
    for message_id in p.get("message_ids") or []:
        message = chat.messages.get(int(message_id))
        if message is not None:
            message.deleted = True
    world.notify()
    return True


async def answer_callback_query(world: World, p: Params, files: Files) -> Any:
    """answerCallbackQuery: records the toast/alert so drivers can read it."""
    world.answer_query(CallbackAnswer(
        query_id=str(p.get("callback_query_id")), text=p.get("text"),
        show_alert=bool(p.get("show_alert")), url=p.get("url"),
        cache_time=p.get("cache_time"),
    ))
    return True


HANDLERS = {
    "editmessagetext": edit_message_text,
    "editmessagecaption": edit_message_caption,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "deletemessages": delete_messages,
    "answercallbackquery": answer_callback_query,
}
