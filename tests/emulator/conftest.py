"""Fixtures: a running emulator and a real aiogram Bot talking to it over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot

from emulator import BotAPIEmulator, Person

TOKEN = "123456:TEST"


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    """A started emulator, stopped after the test."""
    emulator = BotAPIEmulator(token=TOKEN, bot_username="frontdesk_bot")
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def bot(emu: BotAPIEmulator) -> AsyncIterator[Bot]:
    """A real aiogram Bot on the emulator; its session is closed after the test."""
    instance = Bot(emu.token, session=emu.aiogram_session())
    yield instance
    await instance.session.close()


@pytest.fixture
def anna(emu: BotAPIEmulator) -> Person:
    """A Russian-speaking customer."""
    return emu.add_user(1001, "Anna", language_code="ru", username="anna")
