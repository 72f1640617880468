"""BotAPIEmulator: the one object tests, benchmarks and ``frontdesk demo`` hold."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from emulator import errors
from emulator.driver import ChatView, Group, Person, private_chat_json
from emulator.errors import Fault, FloodLimiter, Hold, StrictFloodLimiter
from emulator.methods_chat import scope_key
from emulator.serialize import chat_json, member_json, user_json
from emulator.server import ApiServer
from emulator.state import ApiCall, CallbackAnswer, Chat, Message, User
from emulator.updates import Delivery
from emulator.world import World


class BotAPIEmulator:
    """A local Telegram Bot API server plus the driver to act as people in it.

    The bot id is the token's numeric prefix. Call ``start()`` before pointing a bot at
    ``base_url`` and ``stop()`` when done (or use ``async with``).
    """

    def __init__(self, token: str = "123456:TEST", bot_username: str = "frontdesk_bot",
                 bot_name: str = "Frontdesk", *, host: str = "127.0.0.1", port: int = 0,
                 clock: Callable[[], float] = time.time) -> None:
        self.world = World(token, bot_username, bot_name, clock=clock)
        self.server = ApiServer(self.world)
        self.host, self.port = host, port
        self._people: dict[int, Person] = {}
        self._groups: dict[int, Group] = {}

    # --- life cycle ---------------------------------------------------------------------

    async def start(self) -> str:
        """Start serving; returns ``base_url``."""
        return await self.server.start(self.host, self.port)

    async def stop(self) -> None:
        """Stop serving; pending long polls are answered with no updates."""
        await self.server.stop()

    async def __aenter__(self) -> BotAPIEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` once started."""
        return self.server.base_url

    def aiogram_session(self, **kwargs: Any) -> AiohttpSession:
        """An aiogram AiohttpSession pointed at this emulator (pass it to ``Bot``)."""
        return AiohttpSession(api=TelegramAPIServer.from_base(self.base_url), **kwargs)

    @property
    def token(self) -> str:
        """The only token the server accepts."""
        return self.world.token

    @property
    def bot_user(self) -> User:
        """The bot's own account."""
        return self.world.bot

    # --- building the world -------------------------------------------------------------

    def add_user(self, user_id: int, first_name: str, *, last_name: str | None = None,
                 username: str | None = None, language_code: str | None = "en") -> Person:
        """A person with a private chat with the bot (chat id == user id)."""
        user = User(user_id, first_name, last_name=last_name, username=username,
                    language_code=language_code)
        self.world.users[user_id] = user
        self.world.add_chat(Chat(id=user_id, type="private", user_id=user_id))
        person = self._people[user_id] = Person(self.world, user)
        return person

    def add_group(self, chat_id: int, title: str, *, forum: bool = False,
                  supergroup: bool = True, username: str | None = None) -> Group:
        """A group the bot is in (as administrator): a supergroup, optionally a forum."""
        if forum and not supergroup:
            raise ValueError("only supergroups can be forums")
        chat = self.world.add_chat(Chat(
            id=chat_id, type="supergroup" if supergroup else "group", title=title,
            is_forum=forum, username=username))
        group = self._groups[chat_id] = Group(self.world, chat)
        return group

    def set_privacy(self, enabled: bool) -> None:
        """BotFather's group privacy for this bot (on by default, as for a new bot)."""
        self.world.privacy_mode = enabled

    def user(self, user_id: int) -> Person:
        """The Person handle of a user added with ``add_user``."""
        return self._people[user_id]

    def group(self, chat_id: int) -> Group:
        """The Group handle of a chat id (old ids of migrated groups work too)."""
        return self._groups[chat_id]

    def chat(self, who: Person | Group | Chat | int) -> ChatView:
        """What a chat shows: a person's private chat with the bot, or a group."""
        chat_id = who if isinstance(who, int) else who.id
        return ChatView(self.world, self.world.chats[chat_id])

    # --- events -------------------------------------------------------------------------

    async def block_bot(self, person: Person) -> None:
        """The person blocks the bot: my_chat_member update, later sends answer 403."""
        person.user.blocked_bot = True
        self._push_my_chat_member(person, "member", "kicked")

    async def unblock_bot(self, person: Person) -> None:
        """The person unblocks (restarts) the bot."""
        person.user.blocked_bot = False
        self._push_my_chat_member(person, "kicked", "member")

    def _push_my_chat_member(self, person: Person, old: str, new: str) -> None:
        self.world.updates.push("my_chat_member", {
            "chat": private_chat_json(self.world, person), "from": user_json(person.user),
            "date": int(self.world.clock()),
            "old_chat_member": member_json(self.world.bot, old),
            "new_chat_member": member_json(self.world.bot, new),
        })

    async def add_bot_to(self, group: Group, by: Person, status: str = "administrator") -> None:
        """`by` adds the bot to the group (as an administrator, or a plain member): the bot gets a
        my_chat_member update from "left"."""
        self._bot_in_group(group, by, "left", status)

    async def remove_bot_from(self, group: Group, by: Person) -> None:
        """`by` removes the bot from the group."""
        self._bot_in_group(group, by, group.chat.members.get(self.world.bot.id, "administrator"), "left")

    def _bot_in_group(self, group: Group, by: Person, old: str, new: str) -> None:
        group.chat.members[self.world.bot.id] = new
        self.world.updates.push("my_chat_member", {
            "chat": chat_json(group.chat, self.world.users), "from": user_json(by.user),
            "date": int(self.world.clock()),
            "old_chat_member": member_json(self.world.bot, old),
            "new_chat_member": member_json(self.world.bot, new, group.chat.withheld.get(self.world.bot.id, set())),
        })

    async def migrate_group(self, group: Group) -> int:
        """Upgrade a plain group to a supergroup; returns the new chat id.

        The bot gets the two service messages (migrate_to_chat_id in the old chat,
        migrate_from_chat_id in the new one); the old id then answers 400 with
        migrate_to_chat_id. The ``group`` handle follows the new chat.
        """
        old = group.chat
        if old.type != "group":
            raise ValueError(f"{old.title} is already a supergroup")
        new = self.world.add_chat(Chat(id=int(f"-100{abs(old.id)}"), type="supergroup",
                                       title=old.title, members=dict(old.members)))
        admins = [uid for uid, s in old.members.items() if s in ("creator", "administrator")]
        actor = self.world.users[admins[0]] if admins else self.world.bot
        to_msg = self.world.add_message(old, actor, media_kind="migrate_to_chat_id",
                                        extra={"migrate_to_chat_id": new.id})
        from_msg = self.world.add_message(new, actor, media_kind="migrate_from_chat_id",
                                          extra={"migrate_from_chat_id": old.id})
        old.migrated_to = new.id
        self.world.push_message_update(to_msg)
        self.world.push_message_update(from_msg)
        group.chat = new
        self._groups[new.id] = group
        return new.id

    def delete_topic(self, group: Group, thread_id: int) -> None:
        """A person deletes a forum topic: it and its messages vanish; sends to it fail."""
        topic = group.chat.topics.get(thread_id)
        if topic is None:
            raise KeyError(f"{group.title} has no topic {thread_id}")
        topic.deleted = True
        self.world.notify()

    def age_message(self, message: Message, *, inaccessible: bool = False) -> None:
        """Make a message old: the bot can no longer edit it (400 "message can't be edited");
        with ``inaccessible``, buttons pressed on it send an InaccessibleMessage (date 0)."""
        message.editable = False
        if inaccessible:
            message.accessible = False

    def push_update(self, kind: str, payload: Any) -> int:
        """Queue a raw update ``{"update_id": N, kind: payload}`` exactly as given (for one a
        bot's library cannot parse, as after a Bot API release); returns its update_id."""
        return self.world.updates.push(kind, payload)["update_id"]

    async def redeliver(self, update_id: int) -> None:
        """Queue an already delivered update again, with the same update_id."""
        self.world.updates.requeue(self.world.updates.history[update_id])

    # --- fault injection ----------------------------------------------------------------

    def inject_error(self, method: str | None = "sendMessage", *, chat_id: int | None = None,
                     error_code: int = 429, description: str | None = None,
                     retry_after: int | None = None, migrate_to_chat_id: int | None = None,
                     times: int = 1) -> None:
        """Make the next ``times`` matching calls fail with this error (None: any method)."""
        error = errors.make_error(error_code, description, retry_after, migrate_to_chat_id)
        self.world.faults.append(Fault(method, chat_id, times, error=error))

    def inject_delay(self, method: str | None, seconds: float, *, times: int = 1,
                     chat_id: int | None = None) -> None:
        """Delay the next ``times`` matching calls by ``seconds`` before answering."""
        self.world.faults.append(Fault(method, chat_id, times, delay=seconds))

    def hold(self, method: str | None, *, times: int = 1, chat_id: int | None = None) -> Hold:
        """Hold the next ``times`` matching calls until ``release()``; ``await hold.arrived()``
        returns once one came in. A held call whose bot went away (killed) is dropped."""
        hold = Hold()
        self.world.faults.append(Fault(method, chat_id, times, hold=hold))
        return hold

    def inject_status(self, method: str | None, http_status: int = 502, *, times: int = 1,
                      chat_id: int | None = None) -> None:
        """Answer the next ``times`` matching calls with a bare HTML page and this status."""
        self.world.faults.append(Fault(method, chat_id, times, http_status=http_status))

    def enforce_rate_limits(self, enabled: bool = True, *, strict: bool = False,
                            group_per_minute: int = 20) -> None:
        """Answer 429 like Telegram when the bot floods a chat or sends >30 msg/s overall.

        ``strict``: Telegram's limits to the letter (``StrictFloodLimiter``): >30 sends in any
        sliding second, >1/s to a private chat beyond a burst of 3, >``group_per_minute`` (20) a
        minute to a group.
        """
        if not enabled:
            self.world.flood = None
        else:
            self.world.flood = StrictFloodLimiter(group_per_minute=group_per_minute) if strict else FloodLimiter()

    # --- reading ------------------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        """Every API request so far, in arrival order."""
        return self.world.calls

    def calls_to(self, method: str) -> list[ApiCall]:
        """Recorded calls of one method (case-insensitive)."""
        return [c for c in self.world.calls if c.method.lower() == method.lower()]

    @property
    def callback_answers(self) -> dict[str, CallbackAnswer]:
        """The bot's answers to callback queries, by query id."""
        return self.world.callback_answers

    def commands(self, scope: str | dict[str, Any] = "default",
                 language_code: str = "") -> list[tuple[str, str]]:
        """(command, description) pairs the bot registered for a scope and language."""
        stored = self.world.commands.get((scope_key(scope), language_code), [])
        return [(c["command"], c["description"]) for c in stored]

    @property
    def deliveries(self) -> list[Delivery]:
        """Every POST of an update to the webhook, in the order they began, with how each ended."""
        return self.server.pusher.deliveries

    @property
    def webhook_timeout(self) -> float:
        """Seconds a webhook POST may take before it counts as failed and is tried again (60)."""
        return self.server.pusher.timeout

    @webhook_timeout.setter
    def webhook_timeout(self, seconds: float) -> None:
        self.server.pusher.timeout = seconds

    @property
    def webhook_url(self) -> str | None:
        """The URL set with setWebhook, if any."""
        return self.world.webhook.url if self.world.webhook else None

    def message(self, chat: Person | Group | int, message_id: int) -> Message:
        """One stored message (deleted ones too)."""
        chat_id = chat if isinstance(chat, int) else chat.id
        return self.world.chats[chat_id].messages[message_id]

    def busy(self) -> list[str]:
        """What is still moving on the Bot API's side, one line each; empty when at rest.

        An update counts until the bot confirms it (its next getUpdates, or a 2xx from its
        webhook): by then the bot has started handling it. A request counts while it is being
        answered (long polls excepted: a bot always has one open)."""
        world = self.world
        moving = []
        if world.updates.pending:
            moving.append(f"{len(world.updates.pending)} updates not yet confirmed by the bot")
        if world.in_flight:
            moving.append(f"{world.in_flight} Bot API requests in flight")
        if self.server.pusher.in_flight:
            moving.append(f"{self.server.pusher.in_flight} updates being delivered to the webhook")
        return moving

    @property
    def activity(self) -> int:
        """A number that grows with every request and every update (to tell that nothing moved)."""
        return len(self.world.calls) + self.world.updates.next_update_id

    async def settle(self, *probes: Callable[[], Awaitable[list[str]]], timeout: float = 15.0) -> None:
        """Wait until the world is at rest: nothing in `busy()`, nothing in any probe (a bot's own
        account of what it is doing, e.g. `Frontdesk.busy`), and nothing moved while they were read.
        AssertionError naming what still moves after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            before = self.activity
            moving = self.busy()
            for probe in probes:
                moving += await probe()
            moving += self.busy()
            if not moving and self.activity == before:
                return
            if time.monotonic() >= deadline:
                still = "; ".join(moving or ["requests and updates kept coming"])
                raise AssertionError(f"the bot did not come to rest within {timeout}s: {still}")
            await asyncio.sleep(0.02)

    async def wait_idle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until the bot fetched every update and made no call for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        world = self.world
        while True:
            now = time.monotonic()
            pending = world.updates.undelivered()
            idle_for = now - world.last_activity
            if not pending and not world.in_flight and idle_for >= quiet:
                return
            if now >= deadline:
                raise AssertionError(
                    f"bot not idle after {timeout}s: {pending} updates not fetched, "
                    f"{world.in_flight} requests in flight, last call {idle_for:.2f}s ago")
            await asyncio.sleep(min(0.05, max(0.01, quiet - idle_for)))

    def chat_json(self, chat_id: int) -> dict[str, Any]:
        """The API Chat object of a chat (for building custom updates)."""
        return chat_json(self.world.chats[chat_id], self.world.users)
