"""Bot API methods that create messages: send*, sendMediaGroup, copy and forward."""

from __future__ import annotations

from typing import Any

from emulator import errors, markup
from emulator.errors import ApiError
from emulator.media import MEDIA_METHODS, Upload
from emulator.serialize import user_json
from emulator.state import Chat, Message, StoredFile
from emulator.world import World

Params = dict[str, Any]
Files = dict[str, Upload]


def render(world: World, raw: Any, parse_mode: Any, entities: Any, *, limit: int,
           too_long: str, empty: str | None) -> tuple[str | None, list | None]:
    """Plain text and entities of a text or caption, checking Telegram's limits.

    ``empty`` is the error for an empty result (None: empty is allowed, e.g. captions).
    """
    if raw is None or raw == "":
        if empty:
            raise ApiError.bad_request(empty)
        return None, None
    raw = str(raw)
    if parse_mode:
        try:
            text, parsed = markup.parse(raw, str(parse_mode))
        except markup.EntityParseError as exc:
            raise ApiError.bad_request(f"Bad Request: can't parse entities: {exc}") from None
    else:
        text, parsed = raw, list(entities or [])
    if empty and not text.strip():
        raise ApiError.bad_request(empty)
    # Telegram counts the text after entity parsing, in UTF-16 code units.
    if markup.utf16_len(text) > limit:
        raise ApiError.bad_request(too_long)
    return text, parsed or None


def target(world: World, p: Params) -> tuple[Chat, int | None]:
    """The chat and forum thread a send goes to (Telegram's errors if it cannot)."""
    chat = world.chat_for_bot(p.get("chat_id"))
    thread = world.check_thread(chat, p.get("message_thread_id"))
    return chat, thread


def reply_target(world: World, chat: Chat, p: Params, thread: int | None
                 ) -> tuple[int | None, int | None]:
    """(reply_to_message_id, thread id) from reply_parameters or reply_to_message_id."""
    reply = p.get("reply_parameters") or {}
    reply_id = reply.get("message_id") if isinstance(reply, dict) else None
    reply_id = reply_id or p.get("reply_to_message_id")
    allow_missing = bool(reply.get("allow_sending_without_reply")
                         or p.get("allow_sending_without_reply"))
    if not reply_id:
        return None, thread
    replied = chat.messages.get(int(reply_id))
    if replied is None or replied.deleted:
        if allow_missing:
            return None, thread
        raise ApiError.bad_request(errors.REPLY_NOT_FOUND)
    # A reply lands in the thread of the message it answers, as in Telegram clients.
    return replied.message_id, thread if thread is not None else replied.thread_id


def throttle(world: World, chat: Chat) -> None:
    """Apply the optional flood limits to one outgoing message."""
    if world.flood is not None:
        world.flood.check(chat.id, chat.type == "private")


def resolve_file(world: World, kind: str, value: Any, files: Files, field: str) -> StoredFile:
    """The stored file a send refers to: a new upload, ``attach://name`` or a known file_id."""
    upload = files.get(field) if value in (None, "") else None
    if isinstance(value, str) and value.startswith("attach://"):
        upload = files.get(value.removeprefix("attach://"))
        if upload is None:
            raise ApiError.bad_request(errors.WRONG_FILE)
    if upload is not None:
        name = None if kind == "photo" else upload.filename
        return world.store_file(upload.data, kind, name, upload.content_type)
    if value in (None, ""):
        raise ApiError.bad_request(f"Bad Request: there is no {kind} in the request")
    stored = world.files.get(str(value))
    if stored is None:
        raise ApiError.bad_request(errors.WRONG_FILE)
    return stored


def caption_fields(world: World, p: Params) -> dict[str, Any]:
    """``caption``/``caption_entities``/``html`` keyword arguments from a send's params."""
    caption, entities = render(world, p.get("caption"), p.get("parse_mode"),
                               p.get("caption_entities"), limit=errors.MAX_CAPTION,
                               too_long=errors.CAPTION_TOO_LONG, empty=None)
    return {"caption": caption, "caption_entities": entities, "html": p.get("caption"),
            "parse_mode": p.get("parse_mode")}


async def send_message(world: World, p: Params, files: Files) -> Any:
    """sendMessage."""
    chat, thread = target(world, p)
    text, entities = render(world, p.get("text"), p.get("parse_mode"), p.get("entities"),
                            limit=errors.MAX_TEXT, too_long=errors.TOO_LONG,
                            empty=errors.TEXT_EMPTY)
    reply_to, thread = reply_target(world, chat, p, thread)
    throttle(world, chat)
    message = world.add_message(
        chat, world.bot, text=text, entities=entities, html=p.get("text"),
        parse_mode=p.get("parse_mode"), reply_markup=p.get("reply_markup"),
        reply_to_message_id=reply_to, thread_id=thread,
    )
    return world.message_json(message)


def media_sender(kind: str):
    """A handler for send<Kind> (sendPhoto, sendDocument, ...)."""

    async def send_media(world: World, p: Params, files: Files) -> Any:
        chat, thread = target(world, p)
        stored = resolve_file(world, kind, p.get(kind), files, kind)
        extra = caption_fields(world, p) if kind not in ("sticker", "video_note") else {}
        reply_to, thread = reply_target(world, chat, p, thread)
        throttle(world, chat)
        message = world.add_message(
            chat, world.bot, reply_markup=p.get("reply_markup"), reply_to_message_id=reply_to,
            thread_id=thread, **extra, **world.media_fields(kind, stored, p),
        )
        return world.message_json(message)

    send_media.__doc__ = f"send{kind.title()}: upload or reuse a {kind}."
    return send_media


async def send_location(world: World, p: Params, files: Files) -> Any:
    """sendLocation."""
    return await _send_plain_object(world, p, "location", {
        "latitude": float(p["latitude"]), "longitude": float(p["longitude"])})


async def send_contact(world: World, p: Params, files: Files) -> Any:
    """sendContact."""
    contact = {"phone_number": str(p["phone_number"]), "first_name": str(p["first_name"])}
    if p.get("last_name"):
        contact["last_name"] = str(p["last_name"])
    return await _send_plain_object(world, p, "contact", contact)


async def _send_plain_object(world: World, p: Params, kind: str, value: dict) -> Any:
    chat, thread = target(world, p)
    reply_to, thread = reply_target(world, chat, p, thread)
    throttle(world, chat)
    message = world.add_message(chat, world.bot, media_kind=kind, media=value,
                                reply_markup=p.get("reply_markup"),
                                reply_to_message_id=reply_to, thread_id=thread)
    return world.message_json(message)


async def send_media_group(world: World, p: Params, files: Files) -> Any:
    """sendMediaGroup: 2-10 items sharing one media_group_id."""
    chat, thread = target(world, p)
    items = p.get("media") or []
    if not isinstance(items, list) or not 2 <= len(items) <= 10:
        raise ApiError.bad_request(
            "Bad Request: wrong number of media specified: must include 2-10 items")
    reply_to, thread = reply_target(world, chat, p, thread)
    # Resolve everything first so a bad item fails the whole album, like Telegram.
    prepared = []
    for item in items:
        kind = item.get("type")
        if kind not in ("photo", "video", "document", "audio"):
            raise ApiError.bad_request("Bad Request: invalid media type in the album")
        stored = resolve_file(world, kind, item.get("media"), files, kind)
        prepared.append((kind, stored, item, caption_fields(world, item)))
    throttle(world, chat)
    group_id = world.new_media_group_id()
    sent = [
        world.add_message(chat, world.bot, media_group_id=group_id,
                          reply_to_message_id=reply_to, thread_id=thread, **captions,
                          **world.media_fields(kind, stored, item))
        for kind, stored, item, captions in prepared
    ]
    return [world.message_json(message) for message in sent]


def _copy_one(world: World, source: Message, chat: Chat, thread: int | None,
              p: Params, reply_to: int | None) -> Message:
    fields: dict[str, Any] = {
        "text": source.text, "entities": source.entities, "html": source.html,
        "parse_mode": source.parse_mode, "caption": source.caption,
        "caption_entities": source.caption_entities, "media_kind": source.media_kind,
        "media": source.media, "file_ids": list(source.file_ids),
    }
    if source.media_kind and p.get("caption") is not None:
        fields.update(caption_fields(world, p))
    return world.add_message(chat, world.bot, reply_markup=p.get("reply_markup"),
                             reply_to_message_id=reply_to, thread_id=thread, **fields)


async def copy_message(world: World, p: Params, files: Files) -> Any:
    """copyMessage: a new message with the same content and no link to the original."""
    source = world.live_message(world.find_chat(p.get("from_chat_id")), p.get("message_id"),
                                errors.COPY_NOT_FOUND)
    chat, thread = target(world, p)
    reply_to, thread = reply_target(world, chat, p, thread)
    throttle(world, chat)
    return {"message_id": _copy_one(world, source, chat, thread, p, reply_to).message_id}


async def copy_messages(world: World, p: Params, files: Files) -> Any:
    """copyMessages: copies several messages, skipping ones that no longer exist."""
    source_chat = world.find_chat(p.get("from_chat_id"))
    chat, thread = target(world, p)
    copied = []
    for message_id in sorted(p.get("message_ids") or []):
        source = source_chat.messages.get(int(message_id))
        if source is not None and not source.deleted:
            copied.append({"message_id": _copy_one(
                world, source, chat, thread, {}, None).message_id})
    if not copied:
        raise ApiError.bad_request(errors.COPY_NOT_FOUND)
    return copied


async def forward_message(world: World, p: Params, files: Files) -> Any:
    """forwardMessage: a copy carrying forward_origin (who wrote it and when)."""
    source = world.live_message(world.find_chat(p.get("from_chat_id")), p.get("message_id"),
                                errors.FORWARD_NOT_FOUND)
    chat, thread = target(world, p)
    throttle(world, chat)
    message = _copy_one(world, source, chat, thread, {}, None)
    sender = world.users[source.from_id]
    message.extra["forward_origin"] = {
        "type": "user", "date": source.date, "sender_user": user_json(sender)}
    return world.message_json(message)


async def send_chat_action(world: World, p: Params, files: Files) -> Any:
    """sendChatAction: only checks the chat (typing is not shown in the driver)."""
    target(world, p)
    return True


HANDLERS = {
    "sendmessage": send_message,
    "sendlocation": send_location,
    "sendcontact": send_contact,
    "sendmediagroup": send_media_group,
    "copymessage": copy_message,
    "copymessages": copy_messages,
    "forwardmessage": forward_message,
    "sendchataction": send_chat_action,
    **{name: media_sender(kind) for name, kind in MEDIA_METHODS.items()},
}
