"""Getting updates: long polling, offsets, webhooks and redelivery."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiohttp import web

from emulator import BotAPIEmulator, Person


async def test_long_poll_returns_an_update_sent_while_waiting(bot: Bot, anna: Person) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    assert not poll.done()

    await anna.send("hello?")
    updates = await asyncio.wait_for(poll, 2)

    assert [u.message.text for u in updates] == ["hello?"]
    assert updates[0].message.from_user.language_code == "ru"


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    assert await bot.get_updates(timeout=1) == []


async def test_offset_confirms_earlier_updates(bot: Bot, anna: Person) -> None:
    for text in ("one", "two", "three"):
        await anna.send(text)

    first = await bot.get_updates(limit=2, timeout=0)
    again = await bot.get_updates(timeout=0)
    rest = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)

    assert [u.message.text for u in first] == ["one", "two"]
    assert [u.message.text for u in again] == ["one", "two", "three"]
    assert [u.message.text for u in rest] == ["three"]
    assert [u.update_id for u in again] == sorted({u.update_id for u in again})


async def test_allowed_updates_filter(bot: Bot, anna: Person) -> None:
    await anna.send("text")
    await anna.press_data(await anna.send("anchor"), "x")

    updates = await bot.get_updates(timeout=0, allowed_updates=["callback_query"])

    assert [u.callback_query.data for u in updates] == ["x"]


async def test_redelivered_update_keeps_its_id(emu: BotAPIEmulator, bot: Bot,
                                               anna: Person) -> None:
    await anna.send("pay 100")
    [first] = await bot.get_updates(timeout=0)
    assert await bot.get_updates(offset=first.update_id + 1, timeout=0) == []

    await emu.redeliver(first.update_id)

    [again] = await bot.get_updates(timeout=0)
    assert again.update_id == first.update_id and again.message.text == "pay 100"


async def test_webhook_receives_updates_with_secret(emu: BotAPIEmulator, bot: Bot,
                                                    anna: Person) -> None:
    received: list[tuple[str | None, dict]] = []
    failures_left = 1

    async def endpoint(request: web.Request) -> web.Response:
        nonlocal failures_left
        if failures_left:
            # The first delivery fails: Telegram (and the emulator) must retry it.
            failures_left -= 1
            return web.Response(status=500)
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                         json.loads(await request.text())))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", endpoint)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        with pytest.raises(TelegramConflictError):
            await bot.get_updates(timeout=0)

        await anna.send("via webhook")
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.05)

        assert received[0][0] == "s3cret"
        assert received[0][1]["message"]["text"] == "via webhook"
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook") and info.pending_update_count == 0
        await bot.delete_webhook()
        assert emu.webhook_url is None
    finally:
        await runner.cleanup()


async def test_delete_webhook_can_drop_pending(bot: Bot, anna: Person) -> None:
    await anna.send("old news")

    await bot.delete_webhook(drop_pending_updates=True)

    assert await bot.get_updates(timeout=0) == []


async def test_webhook_info_reports_the_last_delivery_error_and_the_backlog(emu: BotAPIEmulator, bot: Bot,
                                                                          anna: Person) -> None:
    refused = asyncio.Event()

    async def endpoint(request: web.Request) -> web.Response:
        refused.set()
        return web.Response(status=503)

    app = web.Application()
    app.router.add_post("/hook", endpoint)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", allowed_updates=["message"])
        await anna.send("nobody answers")
        await asyncio.wait_for(refused.wait(), 5)
        for _ in range(200):  # the error is recorded right after the refusal is read
            info = await bot.get_webhook_info()
            if info.last_error_message:
                break
            await asyncio.sleep(0.02)

        assert info.last_error_message == "Wrong response from the webhook: 503 Service Unavailable"
        assert info.last_error_date is not None
        assert info.pending_update_count == 1 and info.allowed_updates == ["message"]
    finally:
        await bot.delete_webhook()
        await runner.cleanup()
    info = await bot.get_webhook_info()
    assert info.url == "" and info.pending_update_count == 1


async def test_set_webhook_refuses_a_secret_telegram_would_refuse(emu: BotAPIEmulator, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="secret token contains unallowed characters"):
        await bot.set_webhook("https://example.com/hook", secret_token="has spaces!")
    assert emu.webhook_url is None
