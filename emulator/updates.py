"""The bot's update queue: long polling (getUpdates) and webhook delivery.

Telegram keeps updates until the bot confirms them by asking for a higher ``offset``; we
do the same, so a bot that crashes before confirming sees the updates again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

log = logging.getLogger(__name__)


@dataclass
class Webhook:
    """The webhook the bot registered with setWebhook."""

    url: str
    secret_token: str | None = None
    allowed_updates: list[str] | None = None
    max_connections: int = 40
    last_error_message: str | None = None
    last_error_date: int | None = None


@dataclass
class UpdateQueue:
    """Pending updates in id order, with wake-ups for long polls and the webhook pusher."""

    next_update_id: int = 1
    pending: list[dict[str, Any]] = field(default_factory=list)
    #: Ids already handed to the bot at least once (long poll result or webhook 2xx).
    delivered: set[int] = field(default_factory=set)
    #: Every update ever queued, by id, so a test can redeliver one.
    history: dict[int, dict[str, Any]] = field(default_factory=dict)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Append a new update ``{"update_id": N, kind: payload}`` and return it."""
        update = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        self.history[update["update_id"]] = update
        self.pending.append(update)
        self.wake()
        return update

    def requeue(self, update: dict[str, Any]) -> None:
        """Put an already delivered update back, keeping its update_id (for idempotency tests)."""
        self.pending = [u for u in self.pending if u["update_id"] != update["update_id"]]
        self.pending.insert(0, update)
        self.pending.sort(key=lambda u: u["update_id"])
        self.delivered.discard(update["update_id"])
        self.wake()

    def wake(self) -> None:
        """Wake everyone waiting for a change (new update or shutdown)."""
        self._changed.set()
        self._changed = asyncio.Event()

    def confirm(self, offset: int) -> None:
        """Drop every update with an id below ``offset`` (Telegram's confirmation rule)."""
        if offset < 0:
            # A negative offset keeps only the last -offset updates.
            self.pending = self.pending[offset:]
            return
        self.pending = [u for u in self.pending if u["update_id"] >= offset]

    def drop_all(self) -> None:
        """Forget every pending update (deleteWebhook/setWebhook drop_pending_updates)."""
        for update in self.pending:
            self.delivered.add(update["update_id"])
        self.pending.clear()

    def available(self, allowed: list[str] | None, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` pending updates whose kind is allowed (all if ``allowed`` is empty)."""
        chosen = [u for u in self.pending if not allowed or _kind(u) in allowed]
        return chosen[:limit]

    def undelivered(self) -> int:
        """How many pending updates the bot has never received."""
        return sum(1 for u in self.pending if u["update_id"] not in self.delivered)

    async def wait_change(self, timeout: float) -> None:
        """Sleep until something is pushed or ``timeout`` seconds pass."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    async def long_poll(self, offset: int | None, limit: int, timeout: float,
                        allowed: list[str] | None, stopping: asyncio.Event
                        ) -> list[dict[str, Any]]:
        """getUpdates: confirm ``offset``, then wait up to ``timeout`` s for updates."""
        if offset is not None:
            self.confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self.available(allowed, limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or stopping.is_set():
                self.delivered.update(u["update_id"] for u in batch)
                return batch
            await self.wait_change(remaining)


def _kind(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")


async def push_to_webhook(queue: UpdateQueue, get_hook, stopping: asyncio.Event,
                          retry_delays: tuple[float, ...] = (0.05, 0.2, 0.5, 1.0)) -> None:
    """Background task: POST pending updates one by one to the webhook, retrying failures.

    ``get_hook`` returns the current Webhook or None (then the task waits). An update is
    dropped from the queue only after the endpoint answers 2xx, like Telegram.
    """
    attempt = 0
    async with aiohttp.ClientSession() as session:
        while not stopping.is_set():
            hook: Webhook | None = get_hook()
            batch = queue.available(hook.allowed_updates if hook else None, 1)
            if hook is None or not batch:
                await queue.wait_change(1.0)
                continue
            update = batch[0]
            headers = {"Content-Type": "application/json"}
            if hook.secret_token:
                headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
            try:
                async with session.post(hook.url, data=json.dumps(update), headers=headers,
                                        timeout=aiohttp.ClientTimeout(total=10)) as resp:
                    await resp.read()
                    ok = 200 <= resp.status < 300
                    error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
            except (TimeoutError, aiohttp.ClientError) as exc:
                ok, error = False, f"Connection failed: {type(exc).__name__}"
            if ok:
                attempt = 0
                queue.delivered.add(update["update_id"])
                queue.confirm(update["update_id"] + 1)
                continue
            hook.last_error_message = error
            hook.last_error_date = int(time.time())
            log.debug("webhook delivery of update %s failed: %s", update["update_id"], error)
            delay = retry_delays[min(attempt, len(retry_delays) - 1)]
            attempt += 1
            await _sleep_or_stop(delay, stopping)


async def _sleep_or_stop(delay: float, stopping: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), delay)
