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

    def done(self, update_id: int) -> None:
        """The webhook answered 2xx for this update: it leaves the queue (others stay, whatever
        their ids: with several deliveries at once, a later update may be answered first)."""
        self.delivered.add(update_id)
        self.pending = [u for u in self.pending if u["update_id"] != update_id]
        self.wake()

    def is_pending(self, update_id: int) -> bool:
        """Whether this update is still waiting for the bot's confirmation."""
        return any(u["update_id"] == update_id for u in self.pending)

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


#: Seconds the emulator waits for a webhook's answer before it counts the delivery as failed.
WEBHOOK_TIMEOUT = 60.0


@dataclass
class Delivery:
    """One POST of one update to the webhook and how it ended (for tests and benchmarks)."""

    update_id: int
    #: The chat whose updates go one at a time (None: an update of no chat, delivered alone).
    chat_id: int | None
    #: 1 for the first try, 2 for the first redelivery, ...
    attempt: int
    #: ``time.monotonic()`` when the POST began and when its answer (or failure) came.
    started: float
    finished: float | None = None
    #: The HTTP status, or None when the connection failed or timed out.
    status: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def chat_of(update: dict[str, Any]) -> int | None:
    """The chat an update belongs to, for delivering one chat's updates one at a time in order:
    the message's chat, the pressed message's chat (the presser's private chat if there is none),
    the chat of a membership change; None for anything else."""
    payload = update[_kind(update)]
    if not isinstance(payload, dict):
        return None
    for holder in (payload, payload.get("message")):
        if isinstance(holder, dict) and isinstance(holder.get("chat"), dict):
            return holder["chat"].get("id")
    sender = payload.get("from")
    return sender.get("id") if isinstance(sender, dict) else None


class WebhookPusher:
    """Delivers pending updates to the webhook like Telegram: up to the webhook's ``max_connections``
    requests at once, each chat's updates one at a time and in order (a chat's next update waits
    until the previous one was answered 2xx), every failure (non-2xx, connection refused or reset,
    no answer within ``timeout`` s) tried again after a growing pause (``retry_delays``), the secret
    token in ``X-Telegram-Bot-Api-Secret-Token``. An update leaves the queue only on a 2xx."""

    def __init__(self, queue: UpdateQueue, get_hook, stopping: asyncio.Event,
                 retry_delays: tuple[float, ...] = (0.05, 0.2, 0.5, 1.0),
                 timeout: float = WEBHOOK_TIMEOUT) -> None:
        self.queue = queue
        self.get_hook = get_hook
        self.stopping = stopping
        self.retry_delays = retry_delays
        self.timeout = timeout
        #: Every POST made, in the order they began.
        self.deliveries: list[Delivery] = []
        #: Update id -> its delivery task, for the updates in hand (posting or waiting to retry).
        self._tasks: dict[int, asyncio.Task] = {}
        #: The chats with an update in hand (None-chat updates are keyed by their own id).
        self._busy_chats: set[object] = set()

    @property
    def in_flight(self) -> int:
        """Updates being delivered now (posted and not yet answered, or waiting to be posted again)."""
        return len(self._tasks)

    async def run(self) -> None:
        """Until ``stopping``: start a delivery for every pending update whose chat is free, while
        fewer than ``max_connections`` are in hand."""
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        async with aiohttp.ClientSession(connector=connector) as session:
            try:
                while not self.stopping.is_set():
                    hook: Webhook | None = self.get_hook()
                    if hook is not None:
                        self._start_ready(hook, session)
                    await self.queue.wait_change(1.0)
            finally:
                for task in self._tasks.values():
                    task.cancel()
                await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    def _start_ready(self, hook: Webhook, session: aiohttp.ClientSession) -> None:
        limit = max(1, min(hook.max_connections, 100))
        for update in self.queue.available(hook.allowed_updates, len(self.queue.pending)):
            if len(self._tasks) >= limit:
                return
            key = _chat_key(update)
            if update["update_id"] in self._tasks or key in self._busy_chats:
                continue
            self._busy_chats.add(key)
            task = asyncio.create_task(self._deliver(hook, session, update))
            self._tasks[update["update_id"]] = task
            task.add_done_callback(lambda _t, u=update, k=key: self._finished(u, k))

    def _finished(self, update: dict[str, Any], key: object) -> None:
        self._tasks.pop(update["update_id"], None)
        self._busy_chats.discard(key)
        self.queue.wake()

    async def _deliver(self, hook: Webhook, session: aiohttp.ClientSession, update: dict[str, Any]) -> None:
        """POST one update until it is answered 2xx, the webhook changes, or the update is dropped."""
        update_id = update["update_id"]
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        body = json.dumps(update)
        attempt = 0
        while not self.stopping.is_set():
            if self.get_hook() is not hook or not self.queue.is_pending(update_id):
                return  # deleteWebhook, a new setWebhook, or drop_pending_updates
            attempt += 1
            delivery = Delivery(update_id, chat_of(update), attempt, started=time.monotonic())
            self.deliveries.append(delivery)
            try:
                async with session.post(hook.url, data=body, headers=headers,
                                        timeout=aiohttp.ClientTimeout(total=self.timeout)) as resp:
                    await resp.read()
                    delivery.status = resp.status
                    if not delivery.ok:
                        delivery.error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
            except TimeoutError:
                delivery.error = "Read timeout expired"  # Telegram's words
            except aiohttp.ClientError as exc:
                delivery.error = f"Connection failed: {type(exc).__name__}"
            delivery.finished = time.monotonic()
            if delivery.ok:
                self.queue.done(update_id)
                return
            hook.last_error_message = delivery.error
            hook.last_error_date = int(time.time())
            log.debug("webhook delivery of update %s failed: %s", update_id, delivery.error)
            await _sleep_or_stop(self.retry_delays[min(attempt - 1, len(self.retry_delays) - 1)], self.stopping)


def _chat_key(update: dict[str, Any]) -> object:
    chat_id = chat_of(update)
    return ("chat", chat_id) if chat_id is not None else ("update", update["update_id"])


async def _sleep_or_stop(delay: float, stopping: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), delay)
