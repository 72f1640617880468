"""What the benchmarks' customers do, shared by load_bench.py and scale_bench.py: wait for a reply,
ask all at once, fill in the request form all at once. Latencies are seconds on time.monotonic()."""

from __future__ import annotations

import asyncio
import time

from emulator import BotAPIEmulator, Person


async def reply_after(emu: BotAPIEmulator, person: Person, since: float, expect: str | None,
                      timeout: float = 120.0):
    """The first bot message in the person's chat changed after `since` (containing `expect`)."""
    view = emu.chat(person)
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in view.bot_messages
                 if m.changed_at >= since and (expect is None or expect in m.shown_text)]
        if found:
            return min(found, key=lambda m: m.changed_at)
        left = deadline - time.monotonic()
        if left <= 0:
            raise SystemExit(f"no reply{f' with {expect!r}' if expect else ''} to {person.id} in {timeout}s; "
                             f"chat shows {[m.shown_text[:40] for m in view.messages][-4:]}")
        await emu.world.wait_change(left)


async def all_at_once(emu: BotAPIEmulator, people: list[Person], text: str,
                      expect: str | None) -> tuple[float, list[float]]:
    """Everybody sends `text` at once: the seconds until the last reply, and each one's latency."""
    start = time.monotonic()
    for person in people:
        await person.send(text)
    replies = await asyncio.gather(*(reply_after(emu, p, start, expect) for p in people))
    return max(r.changed_at for r in replies) - start, [r.changed_at - start for r in replies]


async def forms_at_once(emu: BotAPIEmulator, people: list[Person]) -> tuple[float, list[float]]:
    """Every customer fills in a whole request form at once: the seconds it took, and every step's
    latency (7 per customer)."""
    latencies: list[float] = []

    async def one(person: Person) -> None:
        async def step(action, expect: str):
            since = time.monotonic()
            await action
            message = await reply_after(emu, person, since, expect)
            latencies.append(message.changed_at - since)
            return message

        await step(person.send("/new"), "New request")
        shown = await step(person.send("VPN does not connect"), "What kind of problem")
        shown = await step(person.press(shown, "Question"), "Describe the problem")
        shown = await step(person.send("It fails since the morning."), "Added to the description")
        shown = await step(person.press(shown, "➡️ Continue"), "How critical")
        shown = await step(person.press(shown, "🔴 Critical"), "Check your request")
        await step(person.press(shown, "✅ Send the request"), "is registered")

    start = time.monotonic()
    await asyncio.gather(*(one(p) for p in people))
    return time.monotonic() - start, latencies
