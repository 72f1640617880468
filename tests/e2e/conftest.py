"""Fixtures of the end-to-end tests; the helpers they use are in world.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from world import DESK_CHAT, TOKEN, Running, Talk, make_config

from emulator import BotAPIEmulator, Person
from frontdesk.config import Config


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
def clock():
    """The application's clock: the system's, unless a test module moves its own."""
    return


@pytest.fixture
async def frontdesk(config: Config, clock) -> AsyncIterator[Running]:
    running = Running(config, clock)
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


@pytest.fixture
def talk(emu: BotAPIEmulator):
    return lambda person, chat=None: Talk(emu, person, chat)


@pytest.fixture
async def db(config: Config):
    """A session factory on the application's database, for asserting what was stored."""
    from storage.database import create_engine, create_sessionmaker

    engine = create_engine(config.storage.url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture(params=["forum", "plain"])
def either_desk(request, emu: BotAPIEmulator):
    """The agents' group, once with topics and once without (`.kind`: "forum" or "plain"); no agent."""
    group = emu.add_group(DESK_CHAT, "Support desk", forum=request.param == "forum")
    group.kind = request.param
    return group


@pytest.fixture
def forum_desk(emu: BotAPIEmulator):
    """The agents' group with topics on, and one agent in it (`.agent`)."""
    group = emu.add_group(DESK_CHAT, "Support desk", forum=True)
    agent = emu.add_user(5001, "Ivan", language_code="en")
    group.add_member(agent, status="administrator")
    group.agent = agent
    return group


@pytest.fixture
def plain_desk(emu: BotAPIEmulator):
    """The agents' group without topics (cards in one chat), and one agent in it (`.agent`)."""
    group = emu.add_group(DESK_CHAT, "Support desk")
    group.agent = emu.add_user(5001, "Ivan", language_code="en")
    group.add_member(group.agent, status="administrator")
    return group
