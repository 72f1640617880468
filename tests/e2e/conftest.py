"""The world of an end-to-end test: the Bot API emulator, the real application on a SQLite file,
and people who write to it. The application is the one `frontdesk run` starts (Frontdesk)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from emulator import BotAPIEmulator, Person
from frontdesk.app import Frontdesk
from frontdesk.config import Config, parse_config

TOKEN = "123456:TEST"
DESK_CHAT = -1001000000001


def make_config(emu: BotAPIEmulator, folder: Path, **sections) -> Config:
    document = {
        "telegram": {"token": TOKEN, "api_base": emu.base_url, "polling_timeout": 5},
        "desk": {"agent_chat_id": DESK_CHAT},
        "storage": {"url": f"sqlite+aiosqlite:///{folder / 'frontdesk.db'}"},
        "kb": {"path": str(folder / "faq"), "watch": False},
        "i18n": {"default_language": "ru"},
    }
    for name, values in sections.items():
        document.setdefault(name, {}).update(values)
    return parse_config(document, source="test", environ={})


class Running:
    """The application under test; `restart()` stops it and starts a new one on the same database."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.app: Frontdesk | None = None

    async def start(self) -> None:
        self.app = Frontdesk(self.config)
        await self.app.start()

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.stop()
            self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    emulator = BotAPIEmulator(token=TOKEN, bot_username="frontdesk_bot")
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
def config(emu: BotAPIEmulator, tmp_path: Path) -> Config:
    (tmp_path / "faq").mkdir()
    return make_config(emu, tmp_path)


@pytest.fixture
async def frontdesk(config: Config) -> AsyncIterator[Running]:
    running = Running(config)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
def anna(emu: BotAPIEmulator) -> Person:
    """A customer whose Telegram speaks Russian."""
    return emu.add_user(1001, "Анна", language_code="ru", username="anna")


@pytest.fixture
def john(emu: BotAPIEmulator) -> Person:
    """A customer whose Telegram speaks English."""
    return emu.add_user(1002, "John", language_code="en-US", username="john")
