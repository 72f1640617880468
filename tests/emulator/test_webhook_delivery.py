"""Webhook delivery as Telegram does it: many requests at once (up to max_connections), one chat's
updates one at a time and in order, redelivery after a 5xx, a refused connection or a timeout."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiogram import Bot
from aiohttp import web

from emulator import BotAPIEmulator

SECRET = "s3cret"


async def until(condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    """Wait until `condition()` holds; fail naming `what` when it does not within `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout}s"
        await asyncio.sleep(0.01)


class Endpoint:
    """The bot's webhook: records every request; `answer` decides each one (a status to return)."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.secrets: set[str | None] = set()
        self.in_flight: dict[int, int] = {}  # chat id -> requests of that chat being answered now
        self.most_at_once = 0
        self.most_per_chat = 0
        self.answer: Callable[[dict], Awaitable[int]] = self._ok
        self.url = ""

    @staticmethod
    async def _ok(update: dict) -> int:
        return 200

    async def handle(self, request: web.Request) -> web.Response:
        update = json.loads(await request.text())
        chat = update["message"]["chat"]["id"]
        self.secrets.add(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        self.in_flight[chat] = self.in_flight.get(chat, 0) + 1
        self.most_at_once = max(self.most_at_once, sum(self.in_flight.values()))
        self.most_per_chat = max(self.most_per_chat, self.in_flight[chat])
        try:
            status = await self.answer(update)
        finally:
            self.in_flight[chat] -= 1
        if 200 <= status < 300:
            self.received.append(update)
        return web.Response(status=status)

    def texts(self, chat: int) -> list[str]:
        return [u["message"]["text"] for u in self.received if u["message"]["chat"]["id"] == chat]


@pytest.fixture
async def endpoint() -> AsyncIterator[Endpoint]:
    hook = Endpoint()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5, handler_cancellation=True)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield hook
    await runner.cleanup()


async def test_updates_of_different_chats_are_delivered_at_once_up_to_max_connections(
        emu: BotAPIEmulator, bot: Bot, endpoint: Endpoint) -> None:
    people = [emu.add_user(2000 + n, f"P{n}") for n in range(8)]
    gate = asyncio.Event()

    async def answer(update: dict) -> int:
        await gate.wait()
        return 200

    endpoint.answer = answer
    await bot.set_webhook(endpoint.url, secret_token=SECRET, max_connections=5)
    for person in people:
        await person.send(f"hello from {person.id}")

    await until(lambda: sum(endpoint.in_flight.values()) == 5, "five chats' updates in hand at once")
    gate.set()
    await until(lambda: len(endpoint.received) == 8, "all eight updates answered")

    assert endpoint.most_at_once == 5  # max_connections, never more
    assert endpoint.secrets == {SECRET}
    assert emu.busy() == []


async def test_one_chat_gets_its_updates_one_at_a_time_in_order_even_after_a_failure(
        emu: BotAPIEmulator, bot: Bot, endpoint: Endpoint) -> None:
    anna, boris = emu.add_user(3001, "Anna"), emu.add_user(3002, "Boris")
    failed: set[str] = set()

    async def answer(update: dict) -> int:
        text = update["message"]["text"]
        await asyncio.sleep(0.01)  # long enough for a second request of the chat to overlap
        if text.endswith("2") and text not in failed:
            failed.add(text)  # the chat's second update fails once: the third must wait for it
            return 503
        return 200

    endpoint.answer = answer
    await bot.set_webhook(endpoint.url, secret_token=SECRET)
    for n in range(1, 6):
        await anna.send(f"anna {n}")
        await boris.send(f"boris {n}")

    # The endpoint counts a request when it arrives; its delivery is recorded when the answer is back.
    await until(lambda: len(endpoint.received) == 10 and all(d.finished is not None for d in emu.deliveries),
                "ten updates answered")

    assert endpoint.texts(anna.id) == [f"anna {n}" for n in range(1, 6)]
    assert endpoint.texts(boris.id) == [f"boris {n}" for n in range(1, 6)]
    assert endpoint.most_per_chat == 1
    assert endpoint.most_at_once == 2  # the two chats were served side by side
    retried = [d for d in emu.deliveries if d.attempt == 2]
    assert sorted(d.chat_id for d in retried) == [anna.id, boris.id] and all(d.ok for d in retried)
    assert {d.status for d in emu.deliveries if d.attempt == 1 and not d.ok} == {503}


async def test_an_update_not_answered_in_time_is_delivered_again(emu: BotAPIEmulator, bot: Bot,
                                                                 endpoint: Endpoint) -> None:
    anna = emu.add_user(3001, "Anna")
    emu.webhook_timeout = 0.3
    attempts = 0
    release = asyncio.Event()

    async def answer(update: dict) -> int:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            await release.wait()  # the first attempt hangs past the emulator's timeout
        return 200

    endpoint.answer = answer
    await bot.set_webhook(endpoint.url)
    await anna.send("are you there?")

    await until(lambda: endpoint.texts(anna.id) == ["are you there?"] and len(emu.deliveries) == 2
                and emu.deliveries[1].finished is not None, "the redelivered update answered")
    release.set()

    first, second = emu.deliveries
    assert (first.attempt, first.ok, first.error) == (1, False, "Read timeout expired")
    assert (second.attempt, second.ok) == (2, True)
    assert second.started >= first.finished >= first.started + 0.3
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 0 and info.last_error_message == first.error


async def test_a_webhook_that_refuses_connections_gets_the_updates_once_it_listens(
        emu: BotAPIEmulator, bot: Bot, endpoint: Endpoint) -> None:
    anna = emu.add_user(3001, "Anna")
    await bot.set_webhook("http://127.0.0.1:9/hook")  # the discard port: nobody listens there
    await anna.send("first")
    await anna.send("second")
    await until(lambda: sum(d.finished is not None for d in emu.deliveries) >= 3, "three refused attempts")
    refused = [d for d in emu.deliveries if d.finished is not None]
    assert {d.update_id for d in emu.deliveries} == {emu.deliveries[0].update_id}  # "second" waits its turn
    assert all(d.status is None and d.error.startswith("Connection failed") for d in refused)

    await bot.set_webhook(endpoint.url)

    await until(lambda: endpoint.texts(anna.id) == ["first", "second"], "both updates answered in order")
    await until(lambda: emu.busy() == [], "the emulator at rest")
