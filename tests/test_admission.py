"""Admission: updates are let into their handling `at_once` at a time, first come first served, and
one gives up its place at its first call to Telegram (bot/middlewares/admission.py). The end-to-end
side (nobody waits behind a chat's queue or a send on its way) is in tests/e2e/test_surge.py."""

import asyncio

from bot.middlewares.admission import AdmissionMiddleware, step_aside


async def settle() -> None:
    for _ in range(20):  # every runnable task runs to its next wait
        await asyncio.sleep(0)


class Updates:
    """Updates fed to the middleware, each handled until the test lets it finish."""

    def __init__(self, gate: AdmissionMiddleware) -> None:
        self.gate = gate
        self.let_in: list[int] = []
        self.finish: dict[int, asyncio.Event] = {}
        self.calls_telegram: set[int] = set()

    async def _handle(self, number: int, data: dict) -> None:
        self.let_in.append(number)
        if number in self.calls_telegram:
            step_aside()
            step_aside()  # a second call gives up nothing more
        await self.finish[number].wait()

    def arrive(self, *numbers: int) -> list[asyncio.Task]:
        for number in numbers:
            self.finish[number] = asyncio.Event()
        return [asyncio.create_task(self.gate(self._handle, number, {})) for number in numbers]


async def test_updates_are_let_in_a_few_at_a_time_in_the_order_they_came():
    updates = Updates(AdmissionMiddleware(at_once=2))
    handling = updates.arrive(*range(6))
    await settle()
    assert updates.let_in == [0, 1]
    updates.finish[1].set()
    await settle()
    assert updates.let_in == [0, 1, 2]
    updates.finish[0].set()
    updates.finish[2].set()
    await settle()
    assert updates.let_in == [0, 1, 2, 3, 4]
    for finish in updates.finish.values():
        finish.set()
    await asyncio.gather(*handling)


async def test_an_update_that_calls_telegram_gives_its_place_to_the_next_once():
    updates = Updates(AdmissionMiddleware(at_once=2))
    updates.calls_telegram = {0}
    handling = updates.arrive(*range(5))
    await settle()
    # Update 0 waits for Telegram now, not for this process: 2 takes its place, and no one else.
    assert updates.let_in == [0, 1, 2]
    updates.finish[0].set()  # its end frees no second place
    await settle()
    assert updates.let_in == [0, 1, 2]
    updates.finish[1].set()
    await settle()
    assert updates.let_in == [0, 1, 2, 3]
    for finish in updates.finish.values():
        finish.set()
    await asyncio.gather(*handling)
    assert updates.let_in == [0, 1, 2, 3, 4]

