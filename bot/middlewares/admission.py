"""Admission: in a surge, updates are handled a few at a time in the order they came, so their
answers reach the pacer one after another from the first moment, not all together at the end.

Two hundred updates handled all at once share the CPU and the database, and each one finishes
only when nearly all of them do: the bot sent its first answers of a 200-question burst 1.0 to
1.5 s after the first one, and Telegram's 30 a second went unused meanwhile (a tenth of the
burst's rate, measured). Let in `AT_ONCE` at a time, the first answers are ready within
milliseconds and the rest follow at the pipeline's own pace, faster than the pacer lets them out.

An update holds its place while it works (the CPU and the database) and gives it up at its first
call to the Bot API (`step_aside`, called by the sending middleware): from then on it waits for
Telegram or the pacer, not for this process. It is admitted inside its chat's lock (events
isolation), so an update waiting for its chat never holds a place, and one busy chat never keeps
others out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

# Updates at work at once: enough that the CPU has work while some wait for the database. Fewer
# cost throughput with limits lifted (the loop then sleeps on each database call, and every wake-up
# is a thread switch); more let the first answers of a burst wait for as many others' work.
# bench/load_bench.py on 2 cores, 200 questions at once (strict: Telegram's limits; lifted: none):
#   16: strict 96.9 % of 30/s, lifted 52 answered/s (18.7 ms of CPU an update)
#   32: strict 97.0 %, lifted 57–62/s (15–17 ms)     64: strict 94.7 %, lifted 68/s (14 ms)
#   no admission: strict 89.1 %, lifted 91/s (11.6 ms)
# Since SQLite runs on the loop's thread (storage/sqlite_inline.py) and filters no longer hop to
# threads, the lifted figure hardly depends on it: 8: 171/s, 16: 159/s, 32: 148–199/s, none: 140/s
# (one run each but 32, on a quiet machine); 32 stays for the strict figure.
AT_ONCE = 32


class _Place:
    """One update's place among those at work; given up once, whoever gives it up first."""

    def __init__(self, gate: asyncio.Semaphore) -> None:
        self._gate: asyncio.Semaphore | None = gate

    def give_up(self) -> None:
        if self._gate is not None:
            self._gate.release()
            self._gate = None


_place: ContextVar[_Place | None] = ContextVar("frontdesk_admission_place", default=None)


def step_aside() -> None:
    """The update being handled now waits for Telegram, not for this process: its place goes to
    the next update in line. Nothing happens outside an admitted update, or after the first call."""
    place = _place.get()
    if place is not None:
        place.give_up()


class AdmissionMiddleware(BaseMiddleware):
    """Lets `at_once` updates at a time into their handling, first come first served."""

    def __init__(self, at_once: int = AT_ONCE) -> None:
        self._gate = asyncio.Semaphore(at_once)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        await self._gate.acquire()
        place = _Place(self._gate)
        token = _place.set(place)
        try:
            return await handler(event, data)
        finally:
            _place.reset(token)
            place.give_up()
