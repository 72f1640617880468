"""The world of an end-to-end test: the Bot API emulator, the real application on a SQLite file,
and people who write to it. The application is the one `frontdesk run` starts (Frontdesk).

Helpers live here (tests import them from `world`); the fixtures are in conftest.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.factory import build_bot
from emulator import BotAPIEmulator, Person
from frontdesk import webhook
from frontdesk.app import Frontdesk
from frontdesk.config import Config, parse_config

TOKEN = "123456:TEST"
DESK_CHAT = -1001000000001

Probe = Callable[[], Awaitable[list[str]]]
#: The `busy` probes of the applications running against each emulator (by its base URL), so a
#: person's next step can wait for the world to settle first, whichever way the test started them.
_probes: dict[str, list[Probe]] = {}


def watch(base_url: str, probe: Probe) -> None:
    _probes.setdefault(base_url, []).append(probe)


def unwatch(base_url: str, probe: Probe) -> None:
    probes = _probes.get(base_url, [])
    if probe in probes:
        probes.remove(probe)


def probes(emu: BotAPIEmulator) -> list[Probe]:
    return list(_probes.get(emu.base_url, []))


async def settled(emu: BotAPIEmulator, timeout: float = 15.0) -> None:
    """`settle` with every application running against this emulator."""
    await settle(emu, *probes(emu), timeout=timeout)


async def eventually(condition: Callable[[], Awaitable[bool] | bool], what: str, timeout: float = 15.0) -> None:
    """Wait until `condition()` holds; fail the test saying `what` did not happen when it does not."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = condition()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        assert time.monotonic() < deadline, f"{what}: not within {timeout}s"
        await asyncio.sleep(0.02)


def make_config(emu: BotAPIEmulator, folder: Path, **sections) -> Config:
    document = {
        # Telegram's pace would make every step of a story wait a second; the pacer has its own tests.
        "telegram": {"token": TOKEN, "api_base": emu.base_url, "polling_timeout": 5,
                     "private_per_second": 100.0, "group_per_minute": 6000.0},
        "desk": {"agent_chat_id": DESK_CHAT, "language": "en"},
        "storage": {"url": f"sqlite+aiosqlite:///{folder / 'frontdesk.db'}"},
        "kb": {"path": str(folder / "faq"), "watch": False},
        "i18n": {"default_language": "ru"},
    }
    for name, values in sections.items():
        document.setdefault(name, {}).update(values)
    return parse_config(document, source="test", environ={})


async def register_webhook(config: Config) -> None:
    """What the deploy step `frontdesk webhook set` does: register the config's webhook at Telegram."""
    bot = build_bot(config)
    try:
        await webhook.register(bot, config.telegram, webhook.used_update_types(config.desk.agent_chat_id))
    finally:
        await bot.session.close()


class Running:
    """The application under test; `restart()` stops it and starts a new one on the same database."""

    def __init__(self, config: Config, clock=None, *, set_webhook: bool = False) -> None:
        self.config = config
        self.clock = clock
        self.set_webhook = set_webhook
        self.app: Frontdesk | None = None

    async def start(self) -> None:
        self.app = Frontdesk(self.config, clock=self.clock, set_webhook=self.set_webhook)
        await self.app.start()
        watch(self.config.telegram.api_base, self.busy)

    async def stop(self) -> None:
        unwatch(self.config.telegram.api_base, self.busy)
        if self.app is not None:
            await self.app.stop()
            self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def busy(self) -> list[str]:
        return await self.app.busy() if self.app is not None else []

    async def settle(self, emu: BotAPIEmulator, timeout: float = 15.0) -> None:
        """See `settle`: the emulator and this application at rest."""
        await settle(emu, self.busy, timeout=timeout)


async def settle(emu: BotAPIEmulator, *apps: Probe, timeout: float = 15.0) -> None:
    """Wait until the world is at rest: the bot confirmed every update, no Bot API request is in
    flight, and each app (its `busy` method) handles no update and has nothing due in its outbox;
    and nothing moved while that was being read. Fails the test, naming what still moves, when
    that does not happen within `timeout` seconds. After it, "nothing more happened" can be asserted."""
    await emu.settle(*apps, timeout=timeout)


class Talk:
    """One person's side of a conversation: act, then wait for what the bot shows next."""

    def __init__(self, emu: BotAPIEmulator, person: Person, chat=None) -> None:
        self.emu = emu
        self.person = person
        self.view = emu.chat(chat if chat is not None else person)

    async def _after(self, action, expect: str | None, timeout: float):
        # What earlier steps set off arrives first, so it is never taken for this step's answer.
        await settled(self.emu)
        since = time.monotonic()
        await action
        return await self.view.wait_for(
            (lambda m: expect in m.shown_text) if expect is not None else None,
            timeout=timeout,
            since=since,
        )

    async def send(self, text: str, expect: str | None = None, timeout: float = 5.0):
        return await self._after(self.person.send(text), expect, timeout)

    async def press(self, message, button: str, expect: str | None = None, timeout: float = 5.0):
        return await self._after(self.person.press(message, button), expect, timeout)

    async def do(self, action, expect: str | None = None, timeout: float = 5.0):
        """Any driver coroutine (a photo, an album, a sticker), then the bot's next message."""
        return await self._after(action, expect, timeout)


async def until_preview(t: Talk, title: str, details: str = "Details.", criticality: str = "🟡 Normal",
                        timeout: float = 5.0):
    """A customer fills in the request form (type "Question") up to its preview; returns the preview."""
    await t.send("/new", expect="New request", timeout=timeout)
    step = await t.send(title, expect="What kind of problem", timeout=timeout)
    step = await t.press(step, "Question", expect="Describe the problem", timeout=timeout)
    step = await t.send(details, expect="Added to the description", timeout=timeout)
    step = await t.press(step, "➡️ Continue", expect="How critical", timeout=timeout)
    return await t.press(step, criticality, expect="Check your request", timeout=timeout)


async def file_request(t: Talk, title: str, details: str = "Details.", criticality: str = "🟡 Normal",
                       timeout: float = 5.0):
    """The whole form, sent; returns the customer's "is registered" message."""
    preview = await until_preview(t, title, details, criticality, timeout=timeout)
    return await t.press(preview, "✅ Send the request", expect="is registered", timeout=timeout)
