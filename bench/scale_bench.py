"""The load benchmark with several processes (`bench/load_bench.py --processes 1 3 [--redis-outage]`):
`frontdesk run` workers in webhook mode on a fresh PostgreSQL database and a Redis of their own, behind
HAProxy for more than one (tests/scale/cluster.py starts them), Telegram's limits lifted in the config
and in the emulator, which delivers like Telegram (up to 40 updates at once, each chat's in order).

- per process count: N customers press /start, ask one FAQ question at the same moment, then each fills
  in a whole request form (7 updates, every step a database write); answered/s, p50/p99; the ratio.
- --redis-outage (three processes): customers keep asking FAQ questions (one at a time each) while the
  workers' Redis is stopped for 10 s and started again (empty): questions asked and answered, lost and
  doubled answers, whether any worker died, and how long after Redis came back the service answered
  again (the first answer, and the last of the questions asked during the outage).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from cluster import Cluster  # tests/scale/cluster.py (load_bench puts it on the path)
from journeys import all_at_once, forms_at_once, reply_after
from services import drop_postgres_database, fresh_postgres_database

from emulator import BotAPIEmulator, Person

DESK = -1001000000001
QUESTION = "How do I reset my password?"
LIFTED = ("overall_per_second = 1000000.0\nprivate_per_second = 1000000.0\n"
          "group_per_minute = 1000000.0\nflood_limit = 1000\n")
OUTAGE = 10.0


@dataclass
class Rate:
    updates: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds

    def pct(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def burst(emu: BotAPIEmulator, people: list[Person], text: str, expect: str) -> Rate:
    seconds, latencies = await all_at_once(emu, people, text, expect)
    return Rate(len(people), seconds, latencies)


async def form_flow(emu: BotAPIEmulator, people: list[Person]) -> Rate:
    seconds, latencies = await forms_at_once(emu, people)
    return Rate(len(latencies), seconds, latencies)


class Desk:
    """The emulator, a fresh database and a cluster of `processes` workers, started and stopped."""

    def __init__(self, folder: Path, processes: int, customers: int) -> None:
        self.folder, self.processes = folder, processes
        self.emu = BotAPIEmulator(token="123456:SCALE", bot_username="frontdesk_bot")
        self.emu.add_group(DESK, "Support")
        self.people = [self.emu.add_user(800_000 + n, f"Customer{n}", language_code="en") for n in range(customers)]

    async def __aenter__(self) -> Desk:
        await self.emu.start()
        self.db_url, self.db_name = await fresh_postgres_database()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.cluster = Cluster(self.folder, self.emu.base_url, self.db_url, processes=self.processes,
                               limits=LIFTED, log_level="WARNING", balancer=self.processes > 1)
        await self.cluster.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.cluster.stop()
        await self.emu.stop()
        await drop_postgres_database(self.db_name)


async def throughput(folder: Path, processes: int, customers: int) -> tuple[Rate, Rate]:
    async with Desk(folder / f"p{processes}", processes, customers) as desk:
        await burst(desk.emu, desk.people, "/start", "Hello")
        question = await burst(desk.emu, desk.people, QUESTION, "password")
        form = await form_flow(desk.emu, desk.people)
    return question, form


async def redis_outage(folder: Path, customers: int) -> str:
    """Customers ask questions one after another while Redis is away for OUTAGE s."""
    async with Desk(folder / "outage", 3, customers) as desk:
        emu, redis = desk.emu, desk.cluster.redis
        await burst(emu, desk.people, "/start", "Hello")
        asked: list[tuple[Person, float]] = []
        answered: list[tuple[float, float]] = []  # (asked at, answered at)
        stop_asking = asyncio.Event()

        unanswered: list[str] = []

        async def ask(person: Person) -> None:
            while not stop_asking.is_set():
                since = time.monotonic()
                asked.append((person, since))
                await person.send(QUESTION)
                try:
                    reply = await reply_after(emu, person, since, "password", timeout=60)
                except SystemExit as gave_up:  # this customer is stuck: counted, the others go on
                    unanswered.append(str(gave_up))
                    return
                answered.append((since, reply.changed_at))

        askers = [asyncio.create_task(ask(p)) for p in desk.people]
        await asyncio.sleep(5)
        went = time.monotonic()
        await asyncio.to_thread(redis.stop)
        await asyncio.sleep(OUTAGE)
        await redis.start()
        back = time.monotonic()
        await asyncio.sleep(10)
        stop_asking.set()
        await asyncio.gather(*askers)
        if not unanswered:
            await emu.settle(timeout=60)
        alive = [w.name for w in desk.cluster.workers if w.popen.poll() is None]
        answers = {p.id: sum("password" in m.shown_text for m in emu.chat(p).bot_messages) for p in desk.people}
        per_person = {p.id: 0 for p in desk.people}
        for person, _ in asked:
            per_person[person.id] += 1
    during = [(a, r) for a, r in answered if went <= a < back]
    first_after = min((r for _, r in answered if r >= back), default=float("nan")) - back
    last_of_outage = max((r for _, r in during), default=float("nan")) - back
    lost = sum(max(0, per_person[k] - answers[k]) for k in per_person)
    doubled = sum(max(0, answers[k] - per_person[k]) for k in per_person)
    before = [r - a for a, r in answered if a < went - 1]
    return (f"  Redis stopped {OUTAGE:.0f} s with 3 processes, {customers} customers asking one question after "
            f"another: {len(asked)} asked, {len(answered)} answered, lost {lost}, doubled {doubled}; workers "
            f"alive after: {len(alive)} of 3\n"
            f"  answered again {first_after:.2f} s after Redis was back (first answer); the {len(during)} questions "
            f"asked during the outage all answered {last_of_outage:.2f} s after it was back (target ≤ 10 s); "
            f"median answer before the outage {statistics.median(before):.3f} s"
            + "".join(f"\n  unanswered: {line}" for line in unanswered))


async def run(folder: Path, process_counts: list[int], customers: int, outage: bool) -> None:
    results = {n: await throughput(folder, n, customers) for n in process_counts}
    print(f"{customers} customers, PostgreSQL, limits lifted, webhook through HAProxy for more than one process:")
    print(f"  {'processes':<10} {'FAQ burst answered/s':>22} {'p50':>7} {'p99':>7}   {'form updates/s':>15} "
          f"{'p50':>7} {'p99':>7}")
    for n, (question, form) in results.items():
        print(f"  {n:<10} {question.per_second:22.1f} {question.pct(0.5):7.3f} {question.pct(0.99):7.3f}   "
              f"{form.per_second:15.1f} {form.pct(0.5):7.3f} {form.pct(0.99):7.3f}")
    if len(process_counts) > 1:
        low, high = min(process_counts), max(process_counts)
        print(f"  ratio {high} : {low} processes: FAQ burst "
              f"{results[high][0].per_second / results[low][0].per_second:.2f}×, form "
              f"{results[high][1].per_second / results[low][1].per_second:.2f}×")
    if outage:
        print(await redis_outage(folder, min(customers, 50)))
