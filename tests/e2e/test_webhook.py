"""Webhook mode: Telegram (the emulator) POSTs updates with the secret; wrong secrets are refused."""

from __future__ import annotations

import socket

import aiohttp
import pytest
from world import Running, make_config

SECRET = "s3cret-token-of-this-desk"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def webhook_desk(emu, tmp_path):
    (tmp_path / "faq").mkdir(exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    running = Running(make_config(emu, tmp_path, telegram={
        "mode": "webhook", "webhook_url": url, "webhook_secret": SECRET, "webhook_listen": f"127.0.0.1:{port}"}))
    await running.start()
    running.url = url
    yield running
    await running.stop()


async def test_updates_arrive_by_webhook(webhook_desk, emu, john, talk):
    assert emu.webhook_url == webhook_desk.url
    await talk(john).send("/start", expect="Hello, John")
    await webhook_desk.restart()
    await talk(john).send("/help", expect="How I can help")


async def test_a_request_without_the_secret_is_refused(webhook_desk, emu):
    update = {"update_id": 999, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"},
                                            "from": {"id": 1, "is_bot": False, "first_name": "X"}, "text": "/start"}}
    async with aiohttp.ClientSession() as session:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with session.post(webhook_desk.url, json=update, headers=headers) as response:
                assert response.status == 401
    assert not emu.calls_to("sendMessage")
