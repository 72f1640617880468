"""The world of an end-to-end test: the Bot API emulator, the real application on a SQLite file,
and people who write to it. The application is the one `frontdesk run` starts (Frontdesk).

Helpers live here (tests import them from `world`); the fixtures are in conftest.py."""

from __future__ import annotations

import time
from pathlib import Path

from emulator import BotAPIEmulator, Person
from frontdesk.app import Frontdesk
from frontdesk.config import Config, parse_config

TOKEN = "123456:TEST"
DESK_CHAT = -1001000000001


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


class Running:
    """The application under test; `restart()` stops it and starts a new one on the same database."""

    def __init__(self, config: Config, clock=None) -> None:
        self.config = config
        self.clock = clock
        self.app: Frontdesk | None = None

    async def start(self) -> None:
        self.app = Frontdesk(self.config, clock=self.clock)
        await self.app.start()

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.stop()
            self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()


class Talk:
    """One person's side of a conversation: act, then wait for what the bot shows next."""

    def __init__(self, emu: BotAPIEmulator, person: Person, chat=None) -> None:
        self.emu = emu
        self.person = person
        self.view = emu.chat(chat if chat is not None else person)

    async def _after(self, action, expect: str | None, timeout: float):
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
