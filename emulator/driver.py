"""The test driver: people who write to the bot, groups, and views of what a chat shows.

Everything here runs in-process: a person "sending" a message stores it and queues the
update the bot will fetch over HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from emulator.media import FAKE_FILES
from emulator.serialize import chat_json, user_json
from emulator.state import CallbackAnswer, Chat, Message, Topic, User
from emulator.world import World


class ButtonNotFound(AssertionError):
    """No inline button matches the text a test tried to press."""


@dataclass
class CallbackPress:
    """A pressed inline button: the callback query id, and a way to await the bot's answer."""

    world: World
    id: str
    update_id: int
    data: str | None

    async def answer(self, timeout: float = 5.0) -> CallbackAnswer:
        """The bot's answerCallbackQuery for this press; AssertionError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while (answer := self.world.callback_answers.get(self.id)) is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"bot did not answer callback query {self.id} "
                                     f"(data={self.data!r}) within {timeout}s")
            await self.world.wait_change(left)
        return answer


class ChatView:
    """What a chat (or one forum topic of it) shows: messages in order, edits applied."""

    def __init__(self, world: World, chat: Chat, thread_id: int | None = None) -> None:
        self.world = world
        self.chat = chat
        self.thread_id = thread_id

    @property
    def messages(self) -> list[Message]:
        """Visible messages in id order: deleted ones and those of deleted topics removed."""
        shown = []
        for message in sorted(self.chat.messages.values(), key=lambda m: m.message_id):
            if message.deleted:
                continue
            if message.thread_id is not None and self.chat.is_forum \
                    and self.chat.live_topic(message.thread_id) is None:
                continue
            if self.thread_id is not None and message.thread_id != self.thread_id:
                continue
            shown.append(message)
        return shown

    @property
    def bot_messages(self) -> list[Message]:
        """Visible messages sent by the bot."""
        return [m for m in self.messages if m.from_bot]

    @property
    def last(self) -> Message | None:
        """The newest visible message, if any."""
        messages = self.messages
        return messages[-1] if messages else None

    @property
    def texts(self) -> list[str]:
        """Text or caption of every visible message (handy in assertions)."""
        return [m.shown_text for m in self.messages]

    @property
    def topics(self) -> list[Topic]:
        """Live forum topics of the chat."""
        return [t for t in self.chat.topics.values() if not t.deleted]

    def topic(self, thread_id: int) -> ChatView:
        """A view restricted to one forum topic."""
        return ChatView(self.world, self.chat, thread_id)

    async def wait_for(self, predicate: Callable[[Message], bool] | None = None,
                       timeout: float = 5.0, *, since: float | None = None) -> Message:
        """The newest bot message (new or edited) matching ``predicate``.

        Messages already shown count too (the bot may have answered before the test asked);
        pass ``since`` (a ``time.monotonic()`` value) to accept only later changes. On
        timeout raises AssertionError listing what the chat shows.
        """
        deadline = time.monotonic() + timeout
        while True:
            for message in sorted(self.bot_messages, key=lambda m: m.changed_at, reverse=True):
                if since is not None and message.changed_at < since:
                    continue
                if predicate is None or predicate(message):
                    return message
            left = deadline - time.monotonic()
            if left <= 0:
                shown = "\n".join(f"  {m!r}" for m in self.messages) or "  (nothing)"
                raise AssertionError(f"no matching bot message in {self.chat.title or self.chat.id}"
                                     f" within {timeout}s; the chat shows:\n{shown}")
            await self.world.wait_change(left)


class Group:
    """A driver handle on a group; follows the chat when it is upgraded to a supergroup."""

    def __init__(self, world: World, chat: Chat) -> None:
        self.world = world
        self.chat = chat

    @property
    def id(self) -> int:
        """Current chat id (the supergroup's id after a migration)."""
        return self.chat.id

    @property
    def title(self) -> str:
        """The group title."""
        return self.chat.title or ""

    def add_member(self, user: Person | User | int, status: str = "member") -> None:
        """Put ``user`` in the roster with a ChatMember status (getChatMember answers it)."""
        self.chat.members[_user_id(user)] = status

    def set_bot(self, status: str = "administrator", *, withheld: Iterable[str] = ()) -> None:
        """The bot's place in this group: its status, and the admin rights it lacks (as Telegram's
        names: "can_manage_topics", "can_pin_messages", ...). Without this call it is a full admin."""
        bot_id = self.world.bot.id
        self.chat.members[bot_id] = status
        self.chat.withheld[bot_id] = set(withheld)

    async def create_topic(self, name: str, by: Person) -> int:
        """A person creates a forum topic; the bot gets the service message. Returns its id."""
        if not self.chat.is_forum:
            raise AssertionError(f"{self.title} is not a forum")
        topic = Topic(thread_id=self.chat.next_message_id, name=name)
        self.chat.topics[topic.thread_id] = topic
        created = {"name": name, "icon_color": topic.icon_color}
        message = self.world.add_message(
            self.chat, by.user, thread_id=topic.thread_id, media_kind="forum_topic_created",
            extra={"forum_topic_created": created})
        self.world.push_message_update(message)
        return topic.thread_id

    def __repr__(self) -> str:
        return f"<Group {self.id} {self.title!r}>"


class Person:
    """A human user; each method sends something and returns the driver Message."""

    def __init__(self, world: World, user: User) -> None:
        self.world = world
        self.user = user

    @property
    def id(self) -> int:
        """The user id (also the id of their private chat with the bot)."""
        return self.user.id

    # --- writing ------------------------------------------------------------------------

    async def send(self, text: str, *, chat: Any = None, thread_id: int | None = None,
                   reply_to: Message | int | None = None) -> Message:
        """Send a text message (to the bot's private chat unless ``chat`` is given)."""
        entities = None
        if text.startswith("/"):
            command = text.split()[0]
            entities = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._post(chat, thread_id, reply_to, text=text, entities=entities)

    async def reply(self, to: Message, text: str) -> Message:
        """Reply to ``to`` in the chat (and topic) it belongs to."""
        return await self.send(text, chat=to.chat_id, thread_id=to.thread_id, reply_to=to)

    async def send_photo(self, data: bytes | None = None, *, caption: str | None = None,
                         **where: Any) -> Message:
        """Send a photo (a tiny valid JPEG unless ``data`` is given)."""
        return self._send_media("photo", data, caption, None, None, where)

    async def send_document(self, data: bytes | None = None, *, filename: str = "file.txt",
                            caption: str | None = None, mime_type: str | None = None,
                            **where: Any) -> Message:
        """Send a document with ``filename``."""
        return self._send_media("document", data, caption, filename, mime_type, where)

    async def send_video(self, data: bytes | None = None, *, caption: str | None = None,
                         **where: Any) -> Message:
        """Send a video."""
        return self._send_media("video", data, caption, None, None, where)

    async def send_voice(self, data: bytes | None = None, **where: Any) -> Message:
        """Send a voice note."""
        return self._send_media("voice", data, None, None, None, where)

    async def send_audio(self, data: bytes | None = None, *, caption: str | None = None,
                         **where: Any) -> Message:
        """Send an audio file."""
        return self._send_media("audio", data, caption, None, None, where)

    async def send_animation(self, data: bytes | None = None, **where: Any) -> Message:
        """Send a GIF animation."""
        return self._send_media("animation", data, None, None, None, where)

    async def send_sticker(self, **where: Any) -> Message:
        """Send a sticker."""
        return self._send_media("sticker", None, None, None, None, where)

    async def send_location(self, latitude: float, longitude: float, **where: Any) -> Message:
        """Share a location."""
        return self._post(where.get("chat"), where.get("thread_id"), where.get("reply_to"),
                          media_kind="location",
                          media={"latitude": latitude, "longitude": longitude})

    async def send_contact(self, phone_number: str, first_name: str | None = None,
                           **where: Any) -> Message:
        """Share a contact (their own, by default)."""
        contact = {"phone_number": phone_number,
                   "first_name": first_name or self.user.first_name, "user_id": self.id}
        return self._post(where.get("chat"), where.get("thread_id"), where.get("reply_to"),
                          media_kind="contact", media=contact)

    async def send_album(self, items: Iterable[tuple[str, bytes | None, str | None]],
                         **where: Any) -> list[Message]:
        """Send an album: (kind, data or None, caption) items sharing one media_group_id."""
        group_id = self.world.new_media_group_id()
        return [self._send_media(kind, data, caption, None, None,
                                 {**where, "media_group_id": group_id})
                for kind, data, caption in items]

    async def edit(self, message: Message, text: str) -> Message:
        """Edit one of their own text messages; the bot gets an ``edited_message`` update."""
        message.text = text
        message.edited, message.edit_date = True, int(self.world.clock())
        self.world.message_changed(message)
        self.world.push_message_update(message, "edited_message")
        return message

    # --- buttons ------------------------------------------------------------------------

    async def press(self, message: Message, button_text: str, *, too_old: bool = False
                    ) -> CallbackPress:
        """Press the inline button with this text (exact, or a unique substring).

        ``too_old``: the press waited (the bot was down) until Telegram no longer lets the bot
        answer it; answerCallbackQuery then gets 400 "query is too old".
        """
        buttons = message.inline_buttons()
        matches = [b for b in buttons if b.get("text") == button_text] or \
            [b for b in buttons if button_text in str(b.get("text"))]
        if len(matches) != 1:
            why = "no button" if not matches else "several buttons"
            raise ButtonNotFound(f"{why} matching {button_text!r} on message "
                                 f"#{message.message_id}; its buttons are {message.buttons}")
        data = matches[0].get("callback_data")
        if data is None:
            raise ButtonNotFound(f"button {matches[0].get('text')!r} has no callback_data "
                                 f"(it is {sorted(matches[0])})")
        return await self.press_data(message, data, too_old=too_old)

    async def press_data(self, message: Message, data: str, *, too_old: bool = False
                         ) -> CallbackPress:
        """Send a callback query with arbitrary ``data`` (for forged-button tests)."""
        chat = self.world.chats[message.chat_id]
        query_id = self.world.new_query_id(self.user, chat.id, message.message_id,
                                           too_old=too_old)
        update = self.world.updates.push("callback_query", {
            "id": query_id, "from": user_json(self.user),
            "chat_instance": str(abs(hash((chat.id, self.id)))),
            "message": self.world.callback_message_json(message), "data": data,
        })
        return CallbackPress(self.world, query_id, update["update_id"], data)

    # --- internals ----------------------------------------------------------------------

    def _send_media(self, kind: str, data: bytes | None, caption: str | None,
                    filename: str | None, mime_type: str | None,
                    where: dict[str, Any]) -> Message:
        fake, fake_name, fake_mime = FAKE_FILES[kind]
        stored = self.world.store_file(
            fake if data is None else data, kind,
            None if kind == "photo" else filename or fake_name, mime_type or fake_mime)
        return self._post(where.get("chat"), where.get("thread_id"), where.get("reply_to"),
                          caption=caption, media_group_id=where.get("media_group_id"),
                          **self.world.media_fields(kind, stored))

    def _post(self, chat: Any, thread_id: int | None, reply_to: Message | int | None,
              **fields: Any) -> Message:
        target = self.world.chats[self.id] if chat is None else self.world.chats[_chat_id(chat)]
        if target.migrated_to is not None:
            raise AssertionError(f"{target.title} was upgraded to {target.migrated_to}")
        if target.type != "private" and self.id not in target.members:
            target.members[self.id] = "member"
        reply_id = reply_to.message_id if isinstance(reply_to, Message) else reply_to
        if thread_id is None and reply_id is not None and target.is_forum:
            replied = target.messages.get(reply_id)
            thread_id = replied.thread_id if replied else None
        if thread_id is not None and target.is_forum and target.live_topic(thread_id) is None:
            raise AssertionError(f"topic {thread_id} of {target.title} does not exist")
        message = self.world.add_message(target, self.user, reply_to_message_id=reply_id,
                                         thread_id=thread_id if target.is_forum else None,
                                         **fields)
        self.world.push_message_update(message)
        return message

    def __repr__(self) -> str:
        return f"<Person {self.id} {self.user.first_name!r}>"


def _user_id(user: Person | User | int) -> int:
    return user if isinstance(user, int) else user.id


def _chat_id(chat: Any) -> int:
    if isinstance(chat, int):
        return chat
    return chat.id


def private_chat_json(world: World, person: Person) -> dict[str, Any]:
    """The Chat object of a person's private chat with the bot."""
    return chat_json(world.chats[person.id], world.users)
