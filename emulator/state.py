"""Plain dataclasses holding the emulated Telegram world: users, chats, messages, files.

Nothing here knows about HTTP. The ``Message`` class doubles as the driver's view of a
message, so tests read ``m.text``, ``m.buttons`` and so on straight from the state.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class User:
    """A Telegram account (a person, or the bot itself)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    #: True after the user blocked the bot: sends to them answer 403.
    blocked_bot: bool = False


@dataclass
class Topic:
    """A forum topic; ``thread_id`` is the id of its ``forum_topic_created`` message."""

    thread_id: int
    name: str
    icon_color: int = 7322096
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False


@dataclass
class StoredFile:
    """An uploaded file kept in memory so getFile and the download route can serve it."""

    file_id: str
    file_unique_id: str
    data: bytes
    kind: str
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def file_path(self) -> str:
        """Path under ``/file/bot<token>/`` that serves the bytes."""
        suffix = f"_{self.file_name}" if self.file_name else ""
        return f"{self.kind}s/{self.file_unique_id}{suffix}"


@dataclass
class Message:
    """A message as stored by the emulator and as seen by the driver.

    ``text``/``caption`` hold the plain text after entity parsing; ``html`` keeps the raw
    text (or caption) exactly as the bot sent it, before parse_mode was applied.
    """

    message_id: int
    chat_id: int
    from_id: int
    date: int
    text: str | None = None
    entities: list[dict[str, Any]] | None = None
    caption: str | None = None
    caption_entities: list[dict[str, Any]] | None = None
    html: str | None = None
    parse_mode: str | None = None
    #: "photo", "document", "video", "voice", "audio", "animation", "sticker", "location",
    #: "contact", or a service kind: "forum_topic_created", "migrate_to_chat_id", ...
    media_kind: str | None = None
    #: The API object(s) for the media field, e.g. a list of PhotoSize dicts for photos.
    media: Any = None
    file_ids: list[str] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    thread_id: int | None = None
    media_group_id: str | None = None
    edited: bool = False
    edit_date: int | None = None
    deleted: bool = False
    from_bot: bool = False
    #: False once the message is too old for the bot to edit ("message can't be edited").
    editable: bool = True
    #: False once Telegram no longer shows it to the bot: callback queries from it carry an
    #: InaccessibleMessage (chat, message_id, date 0) instead of the message.
    accessible: bool = True
    #: Extra API fields merged verbatim (service messages, forward_origin, contact, ...).
    extra: dict[str, Any] = field(default_factory=dict)
    #: Monotonic time of the last change (creation or edit); used by ``wait_for``.
    changed_at: float = field(default_factory=time.monotonic)

    @property
    def buttons(self) -> list[list[str]]:
        """Rows of button texts of the inline or reply keyboard (empty if none)."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [[_button_text(b) for b in row] for row in rows]

    def inline_buttons(self) -> list[dict[str, Any]]:
        """All inline keyboard buttons, flattened, as API dicts."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    def callback_data(self, button_text: str) -> str | None:
        """The callback_data of the inline button whose text is exactly ``button_text``.

        Raises KeyError (listing the buttons) if there is no such button.
        """
        for button in self.inline_buttons():
            if button.get("text") == button_text:
                return button.get("callback_data")
        raise KeyError(f"no inline button {button_text!r}; buttons: {self.buttons}")

    @property
    def shown_text(self) -> str:
        """Text or caption, whichever the message has (empty string if neither)."""
        return self.text or self.caption or ""

    def __repr__(self) -> str:
        who = "bot" if self.from_bot else f"user {self.from_id}"
        what = self.media_kind or "text"
        body = self.shown_text
        if len(body) > 60:
            body = body[:57] + "..."
        flags = " edited" if self.edited else ""
        return f"<#{self.message_id} {who} {what}{flags}: {body!r} buttons={self.buttons}>"


def _button_text(button: Any) -> str:
    return button if isinstance(button, str) else str(button.get("text", ""))


@dataclass
class Chat:
    """A private chat (id == user id), a group or a supergroup (optionally a forum)."""

    id: int
    type: str
    title: str | None = None
    user_id: int | None = None
    is_forum: bool = False
    username: str | None = None
    #: user id -> ChatMember status ("creator", "administrator", "member", "restricted", ...).
    members: dict[int, str] = field(default_factory=dict)
    #: user id -> administrator rights withheld (e.g. {"can_manage_topics"}); the rest are granted.
    withheld: dict[int, set[str]] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    next_message_id: int = 1
    #: Set on a plain group after it was upgraded to a supergroup.
    migrated_to: int | None = None

    def allocate_message_id(self) -> int:
        """Next message id of this chat; bots' and users' messages share the sequence."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def live_topic(self, thread_id: int) -> Topic | None:
        """The topic with that thread id, unless it is unknown or deleted."""
        topic = self.topics.get(thread_id)
        return topic if topic is not None and not topic.deleted else None


@dataclass
class ApiCall:
    """One recorded Bot API request and how it was answered."""

    method: str
    params: dict[str, Any]
    #: ``time.monotonic()`` when the request arrived.
    at: float
    result_ok: bool = False
    error_code: int | None = None
    description: str | None = None
    #: The caller's (host, port): tells apart the bot's processes when several call at once.
    peer: tuple[str, int] | None = None
    #: Which TCP connection it came on (a number the emulator gives each): a port the system gives
    #: again to another client later is a new connection.
    connection: int | None = None


@dataclass
class CallbackAnswer:
    """What the bot answered to a callback query (the toast or alert the user sees)."""

    query_id: str
    text: str | None = None
    show_alert: bool = False
    url: str | None = None
    cache_time: int | None = None
