"""Load benchmark: `frontdesk run` against the Bot API emulator, beside a bare aiogram bot (the floor)
measured in the same run.

    .venv/bin/python bench/load_bench.py [--customers 200] [--postgres] [--skip-strict | --strict-only]
    .venv/bin/python bench/load_bench.py --processes 1 3 [--redis-outage] [--customers 200]   (scale_bench.py)
    .venv/bin/python bench/load_bench.py --reminders 1000 [--postgres]   (reminder_bench.py)

Phases, each with N customers (default 200) who already pressed /start:
- burst: every customer asks one FAQ question at the same moment; answered/s, p50/p99 latency from
  the customer's message to the bot's reply, CPU seconds per update, peak RSS; Telegram's limits
  lifted in the config, the floor under the same load;
- form: every customer fills in a whole request form at once (7 updates each, every step a
  database write); updates/s beside the floor answering the same number of messages;
- strict: default limits against an emulator that answers 429 past Telegram's limits: sends/s over
  the burst as a share of 30/s (from the emulator's record of the sends it let through, first to
  last) and the most in any one second, the 429s, answers lost or doubled;
  then one chat with 50 replies queued (flood control raised to 60 in 10 s for it), and another
  chat's question (its delay);
- --reminders N, alone: N reminders falling due at once, then one customer's question (its delay
  beside the same customer's without them), and how long the N took to go out; strict emulator.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from journeys import all_at_once, forms_at_once, reply_after

from emulator import BotAPIEmulator, Person

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCH"
DESK = -1001000000001
FIRST_USER = 500_000
QUESTION = "How do I reset my password?"
BUSY_REPLIES = 50  # one chat's queue (the strict phase lets a person send 60 in 10 s, not 30)
BUSY_FLOOD_LIMIT = 60
TICK = os.sysconf("SC_CLK_TCK")
PROFILE = os.environ.get("FRONTDESK_BENCH_PROFILE")  # a file: cProfile the limits-lifted run into it


@dataclass
class Process:
    """A bot under load in its own process, with its CPU time and peak memory read from /proc."""

    popen: subprocess.Popen

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.popen.terminate()
        try:
            self.popen.wait(60 if PROFILE else 10)  # a profiled process drains slower, then writes its profile
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


@dataclass
class Figures:
    updates: int
    seconds: float
    latencies: list[float]
    cpu: float
    rss_mb: float

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds

    def pct(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")

    def line(self, name: str, unit: str = "answered/s") -> str:
        return (f"  {name:<34} {self.per_second:7.1f} {unit}  p50 {self.pct(0.5):6.3f} s  "
                f"p99 {self.pct(0.99):6.3f} s  CPU {1000 * self.cpu / self.updates:5.2f} ms/update  "
                f"peak RSS {self.rss_mb:5.0f} MB")


def frontdesk_config(folder: Path, api_base: str, db_url: str, *, lifted: bool, extra: str = "",
                     kb: Path = ROOT / "faq", flood_limit: int | None = None, semantic: str | None = None) -> Path:
    limits = ("overall_per_second = 1000000.0\nprivate_per_second = 1000000.0\n"
              "group_per_minute = 1000000.0\nflood_limit = 1000\n") if lifted else ""
    if flood_limit is not None and not lifted:
        limits = f"flood_limit = {flood_limit}\n"
    blend = f'semantic = "{semantic}"\n' if semantic else ""
    path = folder / "config.toml"
    path.write_text(
        f'[telegram]\ntoken = "{TOKEN}"\napi_base = "{api_base}"\npolling_timeout = 5\n{limits}\n'
        f'[desk]\nagent_chat_id = {DESK}\nlanguage = "en"\n\n'
        f'[storage]\nurl = "{db_url}"\n\n'
        f'[kb]\npath = "{kb}"\nwatch = false\n{blend}\n'
        f'[i18n]\ndefault_language = "en"\n\n[log]\nlevel = "WARNING"\n{extra}')
    return path


def spawn(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=ROOT)


def failed_to_start(args: list[str], log: Path) -> SystemExit:
    return SystemExit(f"{args[0]} did not start; see {log}:\n{log.read_text()[-2000:]}")


async def start_process(emu: BotAPIEmulator, args: list[str], log: Path) -> Process:
    """Start a bot and wait until it polls."""
    since = len(emu.calls)
    popen = spawn(args, log)
    deadline = time.monotonic() + 60
    while not any(c.method.lower() == "getupdates" for c in emu.calls[since:]):
        if popen.poll() is not None or time.monotonic() > deadline:
            raise failed_to_start(args, log)
        await asyncio.sleep(0.05)
    return Process(popen)


async def burst(emu: BotAPIEmulator, people: list[Person], text: str, process: Process,
                expect: str | None = None) -> Figures:
    """Everybody sends `text` at once; each one's latency to the first reply after it."""
    cpu0 = process.cpu()
    await asyncio.sleep(0.3)  # let the previous phase's stragglers settle
    seconds, latencies = await all_at_once(emu, people, text, expect)
    return Figures(len(people), seconds, latencies, process.cpu() - cpu0, process.peak_rss_mb())


async def form_flow(emu: BotAPIEmulator, people: list[Person], process: Process) -> Figures:
    """Every customer fills in a whole request form, all at once; latency of every step."""
    cpu0 = process.cpu()
    seconds, latencies = await forms_at_once(emu, people)
    return Figures(len(latencies), seconds, latencies, process.cpu() - cpu0, process.peak_rss_mb())


async def echo_flow(emu: BotAPIEmulator, people: list[Person], process: Process, steps: int = 7) -> Figures:
    """The floor's form: the same number of updates per customer, each waiting for its reply."""
    cpu0 = process.cpu()
    latencies: list[float] = []

    async def one(person: Person) -> None:
        for n in range(steps):
            since = time.monotonic()
            await person.send(f"step {n}")
            message = await reply_after(emu, person, since, f"step {n}")
            latencies.append(message.changed_at - since)

    start = time.monotonic()
    await asyncio.gather(*(one(p) for p in people))
    return Figures(len(latencies), time.monotonic() - start, latencies, process.cpu() - cpu0,
                   process.peak_rss_mb())


def new_emulator(customers: int) -> tuple[BotAPIEmulator, list[Person]]:
    emu = BotAPIEmulator(token=TOKEN, bot_username="frontdesk_bot")
    people = [emu.add_user(FIRST_USER + n, f"Customer{n}", language_code="en") for n in range(customers)]
    emu.add_group(DESK, "Support")
    return emu, people


async def fresh_database(folder: Path, postgres: bool) -> tuple[str, str | None]:
    if not postgres:
        return f"sqlite+aiosqlite:///{folder / 'frontdesk.db'}", None
    sys.path.insert(0, str(ROOT / "tests"))
    from services import fresh_postgres_database
    return await fresh_postgres_database()


async def drop_database(name: str | None) -> None:
    if name:
        from services import drop_postgres_database
        await drop_postgres_database(name)


async def measure_floor(customers: int, folder: Path) -> tuple[Figures, Figures]:
    emu, people = new_emulator(customers)
    await emu.start()
    process = await start_process(emu, [sys.executable, str(ROOT / "bench/floor_bot.py"), emu.base_url, TOKEN],
                                  folder / "floor.log")
    try:
        await burst(emu, people, "/start", process)
        question = await burst(emu, people, QUESTION, process)
        form = await echo_flow(emu, people, process)
    finally:
        process.stop()
        await emu.stop()
    return question, form


async def measure_frontdesk(customers: int, folder: Path, postgres: bool) -> tuple[Figures, Figures]:
    emu, people = new_emulator(customers)
    await emu.start()
    url, name = await fresh_database(folder / "lifted", postgres)
    config = frontdesk_config(folder / "lifted", emu.base_url, url, lifted=True)
    command = [sys.executable, "-m", "frontdesk.cli", "run", "--config", str(config)]
    if PROFILE:
        command[1:1] = ["-m", "cProfile", "-o", PROFILE]
    process = await start_process(emu, command, folder / "frontdesk.log")
    try:
        await burst(emu, people, "/start", process)
        question = await burst(emu, people, QUESTION, process, expect="password")
        form = await form_flow(emu, people, process)
    finally:
        process.stop()
        await emu.stop()
        await drop_database(name)
    return question, form


async def measure_strict(customers: int, folder: Path, postgres: bool) -> str:
    """Default limits, strict emulator: the burst's send rate, 429s, lost and doubled answers."""
    emu, people = new_emulator(customers)
    await emu.start()
    url, name = await fresh_database(folder / "strict", postgres)
    config = frontdesk_config(folder / "strict", emu.base_url, url, lifted=False, flood_limit=BUSY_FLOOD_LIMIT)
    process = await start_process(emu, [str(Path(sys.executable).parent / "frontdesk"), "run", "--config",
                                        str(config)], folder / "frontdesk-strict.log")
    try:
        await burst(emu, people, "/start", process)
        emu.enforce_rate_limits(strict=True)
        limiter = emu.world.flood
        figures = await burst(emu, people, QUESTION, process, expect="password")
        await emu.wait_idle(quiet=1.0, timeout=60)
        sent = sorted(limiter.accepted)  # the burst's sends, as the emulator counted them
        answers = [sum("password" in m.shown_text for m in emu.chat(p).bot_messages) for p in people]
        # One chat with a queue of replies (1 a second is its limit), then another chat's question.
        busy, other = people[0], people[1]
        for n in range(BUSY_REPLIES):
            await busy.send(f"How do I reset my password? ({n})")
        await asyncio.sleep(3)
        asked = time.monotonic()
        await other.send("How do I close my request?")
        other_reply = await reply_after(emu, other, asked, None)
        answered_before = sum("password" in m.shown_text and m.changed_at < asked
                              for m in emu.chat(busy).bot_messages) - 1  # less the burst's answer
        busy_left = BUSY_REPLIES - answered_before
        await emu.wait_idle(quiet=1.0, timeout=120)
    finally:
        process.stop()
        await emu.stop()
        await drop_database(name)
    # Sustained: from the first send the emulator let through to the last (the first needs the
    # pipeline's own latency), and the most it let through in any one second.
    rate = (len(sent) - 1) / (sent[-1] - sent[0])
    peak = max(bisect.bisect_left(sent, at + 1.0) - n for n, at in enumerate(sent))
    return (f"  {'strict emulator, default limits':<34} {rate:7.1f} sends/s = {100 * rate / 30:5.1f} % of 30/s "
            f"sustained over {len(sent)} sends, at most {peak} in any second "
            f"({figures.per_second:.1f}/s from the burst to the last answer)  "
            f"p50 {figures.pct(0.5):6.3f} s  p99 {figures.pct(0.99):6.3f} s  429s {limiter.refused}  "
            f"lost {answers.count(0)}  doubled {sum(a > 1 for a in answers)}\n"
            f"  one chat with {BUSY_REPLIES} replies queued ({busy_left} still to go): another "
            f"chat's first reply after {other_reply.changed_at - asked:.3f} s (target < 1 s); "
            f"429s in all {limiter.refused}{by_limit(limiter.refused_by)}")


def by_limit(refused_by) -> str:
    """` (overall: 2, private: 1)`: which of Telegram's limits gave the 429s; "" when none did."""
    return f" ({', '.join(f'{name}: {count}' for name, count in sorted(refused_by.items()))})" if refused_by else ""


async def lifted_phases(args: argparse.Namespace, folder: Path) -> None:
    floor_q, floor_form = await measure_floor(args.customers, folder)
    desk_q, desk_form = await measure_frontdesk(args.customers, folder, args.postgres)
    print(f"burst of {args.customers} FAQ questions, limits lifted:")
    print(floor_q.line("bare aiogram bot (floor)"))
    print(desk_q.line("frontdesk"))
    print(f"  ratio: {ratio(desk_q.per_second, floor_q.per_second)} (target ≥ 0.5), "
          f"p99 {desk_q.pct(0.99):.3f} s (target ≤ 1 s)")
    print(f"request form, {args.customers} customers × 7 updates at once:")
    print(floor_form.line("bare aiogram bot (floor)", "updates/s"))
    print(desk_form.line("frontdesk", "updates/s"))
    print(f"  ratio: {ratio(desk_form.per_second, floor_form.per_second)} (target ≥ 0.4)")


def ratio(value: float, floor: float) -> str:
    return f"{value / floor:5.2f} × floor"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--postgres", action="store_true", help="run Frontdesk on PostgreSQL (127.0.0.1:5432)")
    parser.add_argument("--skip-strict", action="store_true", help="leave out the strict-limits phase")
    parser.add_argument("--strict-only", action="store_true", help="only the strict-limits phase")
    parser.add_argument("--reminders", type=int, default=None, metavar="N",
                        help="instead: N reminders falling due at once beside one customer's FAQ question "
                             "(bench/reminder_bench.py), default limits, strict emulator")
    parser.add_argument("--processes", type=int, nargs="+", default=None, metavar="N",
                        help="instead: N webhook processes on PostgreSQL (behind HAProxy for N > 1), side by side "
                             "with the ratio, e.g. --processes 1 3 (bench/scale_bench.py)")
    parser.add_argument("--redis-outage", action="store_true",
                        help="with --processes: then 3 processes with their Redis stopped for 10 s mid-way")
    args = parser.parse_args()
    if args.processes:
        sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "scale"), str(ROOT / "bench")]
        import scale_bench

        folder = Path(tempfile.mkdtemp(prefix="frontdesk-scale-bench-"))
        print(f"scale bench: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; logs in {folder}")
        await scale_bench.run(folder, args.processes, args.customers, args.redis_outage)
        return
    if args.reminders:
        import reminder_bench

        folder = Path(tempfile.mkdtemp(prefix="frontdesk-reminder-bench-"))
        (folder / "reminders").mkdir()
        print(f"reminder bench: {args.reminders} reminders due at once, "
              f"{'PostgreSQL' if args.postgres else 'SQLite'}, {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f} at start; logs in {folder}")
        print(await reminder_bench.measure(args.reminders, folder / "reminders", args.postgres))
        return
    load = os.getloadavg()
    print(f"load bench: {args.customers} customers, {'PostgreSQL' if args.postgres else 'SQLite'}, "
          f"{os.cpu_count()} cores, load average {load[0]:.1f} at start")
    # Kept afterwards: the bots' logs are there when a phase fails.
    folder = Path(tempfile.mkdtemp(prefix="frontdesk-bench-"))
    print(f"logs and databases in {folder}")
    for phase in ("lifted", "strict"):
        (folder / phase).mkdir()
    if not args.strict_only:
        await lifted_phases(args, folder)
    if not args.skip_strict:
        print(f"burst of {args.customers} FAQ questions, default limits, strict emulator:")
        print(await measure_strict(args.customers, folder, args.postgres))
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
