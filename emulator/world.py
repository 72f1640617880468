"""The emulated world shared by the HTTP methods and the driver.

It owns the state dataclasses and the operations both sides need: resolving a chat the bot
writes to (with Telegram's errors), creating messages, storing files, queueing updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import time
from collections.abc import Callable
from typing import Any

from emulator import errors
from emulator.errors import ApiError, Fault, FloodLimiter, StrictFloodLimiter
from emulator.media import file_ids_of, media_object
from emulator.serialize import chat_json, message_json
from emulator.state import ApiCall, CallbackAnswer, Chat, Message, StoredFile, User
from emulator.updates import UpdateQueue, Webhook


class World:
    """Users, chats, files, updates and the call log of one emulated bot."""

    def __init__(self, token: str, bot_username: str, bot_name: str = "Frontdesk",
                 clock: Callable[[], float] = time.time) -> None:
        self.token = token
        self.clock = clock
        self.bot = User(int(token.split(":", 1)[0]), bot_name, username=bot_username,
                        is_bot=True)
        self.users: dict[int, User] = {self.bot.id: self.bot}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.updates = UpdateQueue()
        self.webhook: Webhook | None = None
        self.calls: list[ApiCall] = []
        #: Every message as it appeared or changed, in that order (one entry per change), for a
        #: driver with many waiters to look only at what is new since it last looked.
        self.changes: list[Message] = []
        self.faults: list[Fault] = []
        self.flood: FloodLimiter | StrictFloodLimiter | None = None
        #: query id -> (user id, chat id, message id) of callback queries not yet answered.
        self.open_queries: dict[str, tuple[int, int | None, int | None]] = {}
        self.callback_answers: dict[str, CallbackAnswer] = {}
        #: (scope key, language_code) -> list of BotCommand dicts.
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.stopping = asyncio.Event()
        #: Monotonic time of the bot's last request (for ``wait_idle``).
        self.last_activity = time.monotonic()
        self.in_flight = 0
        #: BotFather's group privacy: on, a bot that is not an admin sees only commands and replies to it.
        self.privacy_mode = True
        self._changed = asyncio.Event()
        self._file_seq = itertools.count(1)
        self._group_seq = itertools.count(1)

    # --- chats -------------------------------------------------------------------------

    def add_chat(self, chat: Chat) -> Chat:
        """Register ``chat``; the bot is implicitly a member of every group."""
        self.chats[chat.id] = chat
        return chat

    def chat_for_bot(self, chat_id: Any) -> Chat:
        """The chat the bot addresses with ``chat_id``, or Telegram's error for it."""
        chat = self.find_chat(chat_id)
        if chat.migrated_to is not None:
            raise ApiError(400, errors.MIGRATED, {"migrate_to_chat_id": chat.migrated_to})
        if chat.type == "private":
            user = self.users.get(chat.user_id or 0)
            if user is not None and user.blocked_bot:
                raise ApiError(403, errors.BLOCKED)
        return chat

    def find_chat(self, chat_id: Any) -> Chat:
        """Look a chat up by id or ``@username``; 400 "chat not found" if unknown."""
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == chat_id[1:].lower():
                    return chat
            raise ApiError.bad_request(errors.CHAT_NOT_FOUND)
        try:
            chat = self.chats.get(int(chat_id))
        except (TypeError, ValueError):
            chat = None
        if chat is None:
            raise ApiError.bad_request(errors.CHAT_NOT_FOUND)
        return chat

    def check_thread(self, chat: Chat, thread_id: Any) -> int | None:
        """Validate ``message_thread_id`` for a forum; plain chats ignore it like Telegram."""
        if thread_id in (None, "", 0):
            return None
        if not chat.is_forum:
            return None
        if chat.live_topic(int(thread_id)) is None:
            raise ApiError.bad_request(errors.THREAD_NOT_FOUND)
        return int(thread_id)

    def live_message(self, chat: Chat, message_id: Any, not_found: str) -> Message:
        """A message of ``chat`` that still exists, or a 400 with ``not_found``."""
        try:
            message = chat.messages.get(int(message_id))
        except (TypeError, ValueError):
            message = None
        if message is None or message.deleted:
            raise ApiError.bad_request(not_found)
        return message

    # --- messages ----------------------------------------------------------------------

    def add_message(self, chat: Chat, sender: User, **fields: Any) -> Message:
        """Create a message in ``chat`` from ``sender`` with the next per-chat message id."""
        message = Message(
            message_id=chat.allocate_message_id(), chat_id=chat.id, from_id=sender.id,
            date=int(self.clock()), from_bot=sender.id == self.bot.id, **fields,
        )
        chat.messages[message.message_id] = message
        self.changes.append(message)
        self.notify()
        return message

    def message_changed(self, message: Message) -> None:
        """Record an edit of `message` (now) and wake the waiters."""
        message.changed_at = time.monotonic()
        self.changes.append(message)
        self.notify()

    def message_json(self, message: Message) -> dict[str, Any]:
        """The API Message object of a stored message."""
        return message_json(message, self.chats[message.chat_id], self.users)

    def callback_message_json(self, message: Message) -> dict[str, Any]:
        """The ``message`` field of a callback query: the message, or an InaccessibleMessage."""
        if message.accessible:
            return self.message_json(message)
        return {"chat": chat_json(self.chats[message.chat_id], self.users),
                "message_id": message.message_id, "date": 0}

    def push_message_update(self, message: Message, kind: str = "message") -> dict[str, Any]:
        """Queue a ``message`` (or ``edited_message``) update for ``message``."""
        return self.updates.push(kind, self.message_json(message))

    # --- files -------------------------------------------------------------------------

    def store_file(self, data: bytes, kind: str, file_name: str | None = None,
                   mime_type: str | None = None) -> StoredFile:
        """Keep uploaded bytes and give them a fresh file_id and file_unique_id."""
        n = next(self._file_seq)
        stored = StoredFile(
            file_id=f"{kind[:3].upper()}{n:04d}-{secrets.token_urlsafe(12)}",
            file_unique_id=f"U{kind[:2]}{n:04d}{secrets.token_hex(3)}",
            data=data, kind=kind, file_name=file_name, mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def media_fields(self, kind: str, stored: StoredFile,
                     params: dict[str, Any] | None = None) -> dict[str, Any]:
        """``media_kind``/``media``/``file_ids`` keyword arguments for ``add_message``."""
        media = media_object(kind, stored, params or {})
        return {"media_kind": kind, "media": media, "file_ids": file_ids_of(kind, media)}

    def new_media_group_id(self) -> str:
        """A fresh media_group_id."""
        return f"{int(self.clock())}{next(self._group_seq):06d}"

    # --- callback queries ----------------------------------------------------------------

    def new_query_id(self, user: User, chat_id: int | None, message_id: int | None,
                     *, too_old: bool = False) -> str:
        """Open a callback query the bot may answer once (``too_old``: one it can no longer
        answer, as after the bot was down: answerCallbackQuery gets 400 "query is too old")."""
        query_id = str(secrets.randbits(63))
        if not too_old:
            self.open_queries[query_id] = (user.id, chat_id, message_id)
        return query_id

    def answer_query(self, answer: CallbackAnswer) -> None:
        """Record the bot's answer, or 400 if the id is unknown or already answered."""
        if self.open_queries.pop(answer.query_id, None) is None:
            raise ApiError.bad_request(errors.QUERY_TOO_OLD)
        self.callback_answers[answer.query_id] = answer
        self.notify()

    # --- change notifications -------------------------------------------------------------

    def notify(self) -> None:
        """Wake driver waiters: a message appeared, changed or a query was answered."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self, timeout: float) -> None:
        """Sleep until ``notify`` or ``timeout`` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)
