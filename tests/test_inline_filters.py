"""Plain filters run on the event loop (`bot.inline_filters`), with the meaning they had: aiogram
would send each check to a thread."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.types import Chat, Message, Update, User

from bot.handlers import build_root_router
from bot.inline_filters import run_inline
from desk.desk_chat import DeskChat

pytestmark = pytest.mark.asyncio


def message(text: str) -> Update:
    return Update(
        update_id=1,
        message=Message(message_id=1, date=datetime(2026, 1, 1, tzinfo=UTC), text=text,
                        chat=Chat(id=7, type="private"), from_user=User(id=7, is_bot=False, first_name="A")),
    )


def dispatcher_seeing(seen: list[str]) -> Dispatcher:
    router = Router()
    router.message.filter(F.chat.type == "private")  # a router-wide plain filter

    @router.message(F.text == "hello", lambda message, bot: bot is not None)  # keyword args still picked
    async def greeted(message: Message) -> None:
        seen.append(f"greeted {message.text}")

    @router.message(F.text)
    def anything(message: Message) -> None:  # a plain handler too
        seen.append(f"other {message.text}")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


async def test_plain_filters_and_handlers_decide_as_before_without_a_thread(monkeypatch):
    seen: list[str] = []
    dispatcher = dispatcher_seeing(seen)
    assert run_inline(dispatcher) >= 5  # the router's filter, two of the first handler's, the second's, a handler

    async def no_threads(*_args, **_kwargs):
        raise AssertionError("a filter or handler went to a thread")

    monkeypatch.setattr(asyncio, "to_thread", no_threads)
    bot = Bot("42:TEST")
    await dispatcher.feed_update(bot, message("hello"))
    await dispatcher.feed_update(bot, message("bye"))
    assert seen == ["greeted hello", "other bye"]
    await bot.session.close()


async def test_without_it_aiogram_would_hop_to_a_thread(monkeypatch):
    """The premise, so the test above cannot pass for the wrong reason."""
    dispatcher = dispatcher_seeing([])
    hops = 0
    real = asyncio.to_thread

    async def counted(function, *args, **kwargs):
        nonlocal hops
        hops += 1
        return await real(function, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counted)
    bot = Bot("42:TEST")
    await dispatcher.feed_update(bot, message("hello"))
    await bot.session.close()
    assert hops >= 3


async def test_every_filter_of_the_bots_routers_runs_inline():
    dispatcher = Dispatcher()
    dispatcher.include_router(build_root_router(DeskChat(-100)))
    assert run_inline(dispatcher) > 0
    assert run_inline(dispatcher) == 0  # nothing plain is left
