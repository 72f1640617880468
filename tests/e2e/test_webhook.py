"""Webhook mode: Telegram (the emulator) POSTs updates with the secret; wrong secrets are refused.
The webhook is registered once by the deploy step (`frontdesk webhook set`), never by a replica at
start; `/healthz` tells the load balancer whether a process can serve; SIGTERM drains."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
from services import PG_HOST, PG_PORT, REDIS_URL, drop_postgres_database, fresh_postgres_database, need
from tcp_proxy import Proxy
from world import TOKEN, Running, eventually, make_config, register_webhook

SECRET = "s3cret-token-of-this-desk"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def webhook_settings(port: int) -> dict:
    return {"mode": "webhook", "webhook_url": f"http://127.0.0.1:{port}/telegram", "webhook_secret": SECRET,
            "webhook_listen": f"127.0.0.1:{port}"}


@pytest.fixture
async def webhook_desk(emu, tmp_path):
    (tmp_path / "faq").mkdir(exist_ok=True)
    port = free_port()
    config = make_config(emu, tmp_path, telegram=webhook_settings(port))
    await register_webhook(config)  # the deploy step
    running = Running(config)
    await running.start()
    running.url = config.telegram.webhook_url
    running.health_url = f"http://127.0.0.1:{port}/healthz"
    yield running
    await running.stop()


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def post_update(url: str, update_id: int, user_id: int = 1) -> int:
    update = {"update_id": update_id, "message": {
        "message_id": 1, "date": 0, "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "X"}, "text": "/start"}}
    async with aiohttp.ClientSession() as session, session.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
        return response.status


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


async def test_a_replica_never_registers_the_webhook_and_says_when_it_is_missing(emu, tmp_path, caplog):
    (tmp_path / "faq").mkdir()
    config = make_config(emu, tmp_path, telegram=webhook_settings(free_port()))
    running = Running(config)
    with caplog.at_level(logging.WARNING):
        await running.start()
    try:
        assert not emu.calls_to("setWebhook") and emu.webhook_url is None
        warning = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("setup: webhook"))
        assert "sends updates to nowhere" in warning and "frontdesk webhook set" in warning
    finally:
        await running.stop()


async def test_healthz_answers_200_while_the_process_can_serve(webhook_desk):
    assert await get(webhook_desk.health_url) == (200, "ok\n")


# --- the deploy step: frontdesk webhook set | info | delete --------------------------------------


def config_file(emu, folder: Path, port: int, *, mode: str = "webhook", token: str = TOKEN,
                api_base: str | None = None, listen: str | None = None, extra: str = "") -> Path:
    (folder / "faq").mkdir(exist_ok=True)
    path = folder / "config.toml"
    path.write_text(f"""
[telegram]
token = "{token}"
api_base = "{api_base or emu.base_url}"
mode = "{mode}"
webhook_url = "http://127.0.0.1:{port}/telegram"
webhook_secret = "{SECRET}"
webhook_listen = "{listen or f'127.0.0.1:{port}'}"
private_per_second = 100.0
group_per_minute = 6000.0
{extra}
[desk]
agent_chat_id = -1001000000001
language = "en"
[storage]
url = "sqlite+aiosqlite:///{folder / 'frontdesk.db'}"
[kb]
path = "{folder / 'faq'}"
watch = false
""", encoding="utf-8")
    return path


async def frontdesk(*args: str, cwd: Path) -> tuple[int, str, str]:
    """A `frontdesk` command as the operator runs it (its own process, while the emulator serves)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "frontdesk.cli", *args, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode(), err.decode()


async def test_webhook_set_info_and_delete_from_the_command_line(emu, john, tmp_path):
    port = free_port()
    config = config_file(emu, tmp_path, port)

    code, out, err = await frontdesk("webhook", "set", "--config", str(config), cwd=tmp_path)
    assert code == 0, err
    url = f"http://127.0.0.1:{port}/telegram"
    assert out.startswith(f"webhook set: {url} (updates: ")
    assert emu.webhook_url == url and emu.world.webhook.secret_token == SECRET
    registered = emu.world.webhook.allowed_updates

    # Nobody listens yet: Telegram keeps the update and reports why it could not deliver it.
    await john.send("/start")
    await eventually(lambda: emu.world.webhook.last_error_message is not None, "a failed delivery")
    code, out, err = await frontdesk("webhook", "info", "--config", str(config), cwd=tmp_path)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:2] == [f"url: {url}", "pending_update_count: 1"]
    assert lines[2].startswith("last_error: ") and lines[2].endswith("Connection failed: ClientConnectorError")
    assert f"allowed_updates: {', '.join(registered)}" in lines

    # The process that serves it asks Telegram for the same kinds of update the command registered.
    running = Running(make_config(emu, tmp_path, telegram=webhook_settings(port)))
    await running.start()
    try:
        assert sorted(registered) == sorted(running.app.dispatcher.resolve_used_update_types())
        await emu.chat(john).wait_for(lambda m: "Hello, John" in m.shown_text)
    finally:
        await running.stop()

    code, out, err = await frontdesk("webhook", "delete", "--config", str(config), cwd=tmp_path)
    assert (code, out) == (0, "webhook deleted\n"), err
    assert emu.webhook_url is None
    code, out, _ = await frontdesk("webhook", "info", "--config", str(config), cwd=tmp_path)
    assert out.splitlines()[:3] == ["url: (none: the bot polls)", "pending_update_count: 0", "last_error: none"]


async def test_webhook_commands_fail_with_one_line(emu, tmp_path):
    port = free_port()
    (tmp_path / "polling").mkdir()
    polling = config_file(emu, tmp_path / "polling", port, mode="polling")
    code, out, err = await frontdesk("webhook", "set", "--config", str(polling), cwd=tmp_path)
    assert (code, out) == (2, "") and err.startswith("frontdesk: telegram.mode: ") and err.count("\n") == 1

    (tmp_path / "token").mkdir()
    wrong = config_file(emu, tmp_path / "token", port, token="999:WRONG")
    code, _, err = await frontdesk("webhook", "info", "--config", str(wrong), cwd=tmp_path)
    assert code == 1 and "rejected the token" in err and err.count("\n") == 1

    (tmp_path / "away").mkdir()
    away = config_file(emu, tmp_path / "away", port, api_base=f"http://127.0.0.1:{free_port()}")
    code, _, err = await frontdesk("webhook", "set", "--config", str(away), cwd=tmp_path)
    assert code == 1 and err.startswith("frontdesk: cannot reach the Bot API") and err.count("\n") == 1
    assert not emu.calls_to("setWebhook")


# --- /healthz when the database or Redis goes away ------------------------------------------------


@pytest.fixture
async def proxied_services():
    """PostgreSQL and Redis as the application sees them: through proxies the test can cut."""
    need("127.0.0.1", 6379, "Redis")
    url, name = await fresh_postgres_database()
    database, redis = Proxy(PG_HOST, PG_PORT), Proxy("127.0.0.1", 6379)
    await database.start()
    await redis.start()
    yield url.replace(f"{PG_HOST}:{PG_PORT}", database.address), REDIS_URL.replace("127.0.0.1:6379", redis.address), \
        database, redis
    for proxy in (database, redis):
        if proxy.serving:
            await proxy.cut()
    await drop_postgres_database(name)


async def test_healthz_turns_503_while_the_database_or_redis_is_away_and_recovers(emu, john, tmp_path,
                                                                                 proxied_services):
    pg_url, redis_url, database, redis = proxied_services
    (tmp_path / "faq").mkdir()
    port = free_port()
    config = make_config(emu, tmp_path, telegram=webhook_settings(port),
                         storage={"url": pg_url, "fsm_url": redis_url})
    await register_webhook(config)
    running = Running(config)
    await running.start()
    health = f"http://127.0.0.1:{port}/healthz"
    try:
        assert await get(health) == (200, "ok\n")

        await redis.cut()
        status, text = await get(health)
        assert status == 503 and text.startswith("unhealthy: redis: ")
        await redis.start()
        await eventually(lambda: _status(health, 200), "healthz 200 once Redis is back")

        await database.cut()
        status, text = await get(health)
        assert status == 503 and text.startswith("unhealthy: database: ")
        # An update that comes meanwhile is left unanswered (5xx): Telegram keeps it and sends it again.
        await john.send("/start")
        await eventually(lambda: (emu.world.webhook.last_error_message or "").startswith(
            "Wrong response from the webhook: 5"), "a 5xx answer to Telegram")
        await database.start()
        await eventually(lambda: _status(health, 200), "healthz 200 once the database is back")
        await emu.chat(john).wait_for(lambda m: "Hello, John" in m.shown_text, timeout=15)
    finally:
        await running.stop()


async def _status(url: str, wanted: int) -> bool:
    return (await get(url))[0] == wanted


class WebhookProcess:
    """`frontdesk run` in webhook mode as its own process (`args` after `--config`), serving on
    `port`; started, signalled, killed and started again like a deployed worker."""

    def __init__(self, folder: Path, config: Path, port: int, *args: str) -> None:
        self.folder = folder
        self.config = config
        self.port = port
        self.args = args
        self.health = f"http://127.0.0.1:{port}/healthz"
        self.log = folder / "frontdesk.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as stderr:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "frontdesk.cli", "run", "--config", str(self.config), *self.args,
                cwd=self.folder, stdout=asyncio.subprocess.DEVNULL, stderr=stderr)

        async def serving() -> bool:
            assert self.process.returncode is None, f"frontdesk run exited: {self.log.read_text()}"
            try:
                return await _status(self.health, 200)
            except aiohttp.ClientConnectionError:
                return False

        await eventually(serving, "frontdesk run serving /healthz", timeout=90)  # a cold start on busy cores

    async def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            await self.kill()


# --- SIGTERM: the drain ----------------------------------------------------------------------------


async def test_sigterm_drains_the_update_in_hand_then_exits_0(emu, john, tmp_path):
    port = free_port()
    # The shared config names no port of this process: the instance gets it from --listen (as with
    # the systemd template unit frontdesk@PORT).
    config = config_file(emu, tmp_path, port, listen="127.0.0.1:1", extra="drain_seconds = 20")
    code, _, err = await frontdesk("webhook", "set", "--config", str(config), cwd=tmp_path)
    assert code == 0, err
    worker = WebhookProcess(tmp_path, config, port, "--listen", f"127.0.0.1:{port}")
    url = f"http://127.0.0.1:{port}/telegram"
    try:
        await worker.start()
        hold = emu.hold("sendMessage", chat_id=john.id)
        await john.send("/start")
        await hold.arrived()  # the update is surely in hand: its reply is on its way

        worker.process.send_signal(signal.SIGTERM)
        await eventually(lambda: _status(worker.health, 503), "healthz 503 while draining")
        assert await get(worker.health) == (503, "unhealthy: draining: the process is stopping\n")
        assert await post_update(url, 10_000, john.id) == 503  # Telegram (or the balancer) tries elsewhere

        hold.release()
        await emu.chat(john).wait_for(lambda m: "Hello, John" in m.shown_text, timeout=15)
        assert await asyncio.wait_for(worker.process.wait(), 30) == 0, worker.log.read_text()
    finally:
        await worker.stop()
    text = worker.log.read_text()
    assert "drained: every update in hand answered" in text, text
    assert not emu.world.updates.pending  # the update in hand was answered 200, not left for redelivery
    assert len([m for m in emu.chat(john).messages if "Hello, John" in m.shown_text]) == 1
