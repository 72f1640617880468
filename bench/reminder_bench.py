"""Reminders falling due at once beside one customer's question (`bench/load_bench.py --reminders 1000`).

`frontdesk run` with default limits against the strict emulator, the scheduler sweeping every second.
One customer asks a FAQ question a few times (their latency without reminders); then N tickets waiting
for their customers, each with a customer reminder already due, are written to the database in one
transaction; the next sweep (every 30 s, the default) does them and the outbox sends N notices to N chats (at Telegram's
30 a second) while the same customer keeps asking, once every ASK_EVERY seconds. Printed: the
customer's latency without and during the reminders, with the difference; how long the N notices
took to go out (from the commit to the last one shown); 429s; notices lost or doubled.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from journeys import reply_after
from load_bench import (
    FIRST_USER,
    QUESTION,
    drop_database,
    fresh_database,
    frontdesk_config,
    new_emulator,
    start_process,
)
from sqlalchemy import insert, select

from emulator import BotAPIEmulator, Person
from storage.database import create_engine
from storage.models import Customer, Reminder, Ticket

SWEEP_SECONDS = 30.0  # the scheduler's default
ASK_EVERY = 1.5  # seconds between the customer's questions (under 1 a second per chat, flood control)
BASELINE_ASKS = 6
NOTICE = "still waiting for your answer"
TARGET = 2.0  # the bound on the customer's answer while the reminders go out, seconds


async def _ask(emu: BotAPIEmulator, person: Person) -> tuple[float, float]:
    """The customer asks; (when they asked, seconds until the answer was shown)."""
    asked = time.monotonic()
    await person.send(QUESTION)
    answer = await reply_after(emu, person, asked, "password", timeout=60)
    return asked, answer.changed_at - asked


async def _plant(url: str, count: int) -> float:
    """N customers, each with one ticket waiting for them and its customer reminder due a minute ago,
    in one transaction; returns time.monotonic() at the commit."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        async with engine.begin() as connection:
            first = FIRST_USER + 1
            await connection.execute(insert(Customer), [
                {"telegram_id": first + n, "first_name": f"Waiting{n}", "created_at": now} for n in range(count)])
            customers = dict((await connection.execute(
                select(Customer.telegram_id, Customer.id).where(Customer.telegram_id >= first))).all())
            await connection.execute(insert(Ticket), [
                {"customer_id": customers[first + n], "title": f"Printer {n} jams", "problem_type": "question",
                 "criticality": "normal", "state": "waiting", "plan": "commercial", "last_message_from": "support",
                 "created_at": now - timedelta(days=1), "updated_at": now - timedelta(days=1),
                 "last_activity_at": now - timedelta(days=1)} for n in range(count)])
            tickets = list((await connection.execute(
                select(Ticket.id).where(Ticket.customer_id.in_(list(customers.values()))))).scalars())
            due = now - timedelta(minutes=1)
            await connection.execute(insert(Reminder), [
                {"key": f"customer_reminder:{ticket}:{int(due.timestamp())}", "kind": "customer_reminder",
                 "ticket_id": ticket, "due_at": due, "priority": 1, "state": "pending", "created_at": now}
                for ticket in tickets])
        return time.monotonic()
    finally:
        await engine.dispose()


def _notices(emu: BotAPIEmulator, people: list[Person]) -> list[list[float]]:
    """For each reminded customer, when each notice was shown (time.monotonic())."""
    return [[m.changed_at for m in emu.chat(p).bot_messages if NOTICE in m.shown_text] for p in people]


async def measure(count: int, folder: Path, postgres: bool) -> str:
    emu, people = new_emulator(1 + count)
    asker, reminded = people[0], people[1:]
    await emu.start()
    url, name = await fresh_database(folder, postgres)
    scheduler = f'\n[scheduler]\nsweep_seconds = {SWEEP_SECONDS}\ndigest_time = ""\nreport_time = ""\n'
    config = frontdesk_config(folder, emu.base_url, url, lifted=False, extra=scheduler)
    process = await start_process(emu, [sys.executable, "-m", "frontdesk.cli", "run", "--config", str(config)],
                                  folder / "frontdesk.log")
    try:
        emu.enforce_rate_limits(strict=True)
        limiter = emu.world.flood
        started = time.monotonic()
        await asker.send("/start")
        await reply_after(emu, asker, started, None)
        alone = []
        for _ in range(BASELINE_ASKS):
            alone.append((await _ask(emu, asker))[1])
            await asyncio.sleep(ASK_EVERY)
        committed = await _plant(url, count)
        during: list[tuple[float, float]] = []
        deadline = committed + 600
        while sum(bool(n) for n in _notices(emu, reminded)) < count and time.monotonic() < deadline:
            during.append(await _ask(emu, asker))
            await asyncio.sleep(ASK_EVERY)
        await emu.wait_idle(quiet=1.0, timeout=60)
        shown = _notices(emu, reminded)
    finally:
        process.stop()
        await emu.stop()
        await drop_database(name)
    moments = [times[0] for times in shown if times]
    first, last = (min(moments) - committed, max(moments) - committed) if moments else (float("nan"),) * 2
    # Only the questions asked while notices were going out count as "during" (the sweep may come
    # up to SWEEP_SECONDS after the commit).
    while_sending = [latency for asked, latency in during
                     if committed + first - ASK_EVERY <= asked <= committed + last]
    worst = max(while_sending, default=float("nan"))
    base = statistics.median(alone)
    return (
        f"  one customer's FAQ answer, alone: p50 {base:.3f} s  max {max(alone):.3f} s ({len(alone)} asks)\n"
        f"  the same while {count} reminders go out: p50 {statistics.median(while_sending or [0]):.3f} s  "
        f"max {worst:.3f} s ({len(while_sending)} asks, one every {ASK_EVERY} s); "
        f"worst minus alone p50 {worst - base:+.3f} s, ×{worst / base:.1f} (target: delayed ≤ {TARGET:.0f} s)\n"
        f"  {count} reminders: first shown {first:.2f} s after the commit, last {last:.2f} s "
        f"({len(moments) / (last - first) if last > first else float('nan'):.1f}/s between); "
        f"429s {limiter.refused}; lost {sum(not t for t in shown)}; doubled {sum(len(t) > 1 for t in shown)}")
