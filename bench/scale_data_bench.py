"""Frontdesk at size: a 10,000-entry FAQ and 100,000 tickets in the database.

    .venv/bin/python bench/scale_data_bench.py [--tickets 100000] [--faq 10000] [--postgres] [--semantic MODE]

Writes a FAQ folder of generated entries and fills a fresh database (migrated to the head) with
customers, tickets (most closed, a backlog open), their messages, tags, reminders, outbox history and
FAQ searches, one customer owning many tickets; then starts `frontdesk run` on it against the Bot API
emulator (Telegram's limits lifted) and prints, each asked REPEAT times: the time from an agent's
`/queue`, `/queue #TAG`, `/find WORD` (a common word, and one no ticket holds: a full search),
`/find #TAG` and `/customer ID`, and from the busy customer's `/requests` ("My requests") and its
filter buttons, to the bot's reply; `/help` (no database) beside them as the floor; and the peak RSS
of the `frontdesk run` process. Targets (issue #11): peak RSS < 300 MB, each answer < 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_bench import DESK, Process, drop_database, fresh_database, frontdesk_config, start_process
from sqlalchemy import func, insert, select

from emulator import BotAPIEmulator
from emulator.driver import ChatView
from storage import migrate
from storage.database import create_engine
from storage.models import (
    Customer,
    OutboxMessage,
    Reminder,
    Search,
    Ticket,
    TicketMessage,
    TicketTag,
)

TOKEN = "123456:BENCH"
AGENT = 7_000_001
FIRST_CUSTOMER = 800_000
BUSY_TICKETS = 2_000  # the tickets of the one customer who asks for "My requests"
CUSTOMERS = 20_000
OPEN_SHARE = 0.05  # the backlog: tickets not closed
REPEAT = 5
CHUNK = 5_000
TARGET_MS = 200
TARGET_RSS_MB = 300
TAGS = ["billing", "refund", "vpn", "login", "mobile", "api", "invoice", "bug", "feature", "urgent",
        "printer", "email", "sso", "export", "import", "slow", "crash", "ui", "docs", "security"]
VOCABULARY = ("printer jams paper tray error code network vpn connect client password reset login account "
         "invoice payment refund card bank export report file upload download mobile app android iphone "
         "update version crash slow timeout server api token key email notification settings language "
         "принтер ошибка сеть пароль вход счёт оплата возврат карта отчёт файл загрузка приложение "
         "обновление сервер ключ почта уведомление настройки язык")
WORDS = VOCABULARY.split()
STATES = ["new", "open", "waiting", "resolved"]
CRITICALITY = (["low"] * 2 + ["normal"] * 5 + ["high"] * 2 + ["critical"])
PLANS = ["commercial"] * 6 + ["vip", "partner", "non_commercial", "consultation"]
COMMON_WORD = "printer"
ABSENT_WORD = "zebrafish"


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def write_faq(folder: Path, entries: int, rng: random.Random) -> None:
    """`entries` generated FAQ files, a thousand per sub-folder."""
    for n in range(entries):
        questions = "\n".join(f'  - "{sentence(rng, rng.randint(4, 9))}"' for _ in range(rng.randint(2, 5)))
        answer = " ".join(sentence(rng, rng.randint(8, 16)) for _ in range(rng.randint(2, 6)))
        sub = folder / f"{n // 1000:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"gen-{n}.md").write_text(f"---\nid: gen-{n}\nlang: en\nquestions:\n{questions}\n---\n\n{answer}\n",
                                         "utf-8")


async def _insert(connection, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        await connection.execute(insert(model), rows[start:start + CHUNK])


def _ticket(rng: random.Random, customer_id: int, now: datetime) -> dict:
    """Over two years, most closed; the backlog (OPEN_SHARE) opened in the last month."""
    state = "closed" if rng.random() > OPEN_SHARE else rng.choice(STATES)
    created = now - timedelta(seconds=rng.randint(0, (730 if state == "closed" else 30) * 86400))
    criticality = rng.choice(CRITICALITY)
    answered = state != "new"
    return {
        "customer_id": customer_id, "title": sentence(rng, rng.randint(3, 7))[:120],
        "problem_type": rng.choice(["question", "error", "billing", "improvement"]),
        "details": " ".join(sentence(rng, rng.randint(6, 14)) for _ in range(rng.randint(1, 3))),
        "criticality": criticality, "state": state, "plan": rng.choice(PLANS),
        "support_level": rng.choice([1, 1, 1, 2, 3]), "priority": int(rng.random() < 0.05),
        "last_message_from": rng.choice(["customer", "support"]),
        "first_response_due": created + timedelta(hours=6), "resolution_due": created + timedelta(days=3),
        "first_response_at": created + timedelta(hours=rng.randint(1, 8)) if answered else None,
        "created_at": created, "updated_at": created + timedelta(hours=9),
        "closed_at": created + timedelta(days=rng.randint(1, 10)) if state == "closed" else None,
        "rating": rng.choice([None, None, 3, 4, 5]) if state == "closed" else None,
        "last_activity_at": created + timedelta(hours=rng.randint(0, 200)),
        "topic_thread_id": rng.randint(1, 10**6), "card_chat_id": DESK, "card_message_id": rng.randint(1, 10**7),
    }


async def fill(url: str, tickets: int, rng: random.Random) -> tuple[int, int]:
    """Migrate and fill the database; returns (the busy customer's Telegram id, rows written)."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    written = 0
    try:
        await migrate.upgrade(engine)
        async with engine.begin() as connection:
            people = [{"telegram_id": FIRST_CUSTOMER + n, "first_name": f"Customer{n}", "language": "en",
                       "created_at": now - timedelta(days=800)} for n in range(CUSTOMERS)]
            await _insert(connection, Customer, people)
            ids = list((await connection.execute(select(Customer.id).order_by(Customer.id))).scalars())
            busy = ids[0]
            owners = [busy] * BUSY_TICKETS + [rng.choice(ids[1:]) for _ in range(tickets - BUSY_TICKETS)]
            await _insert(connection, Ticket, [_ticket(rng, owner, now) for owner in owners])
            rows = (await connection.execute(select(Ticket.id, Ticket.state, Ticket.created_at))).all()
            messages, tags, reminders, outbox, searches = [], [], [], [], []
            for ticket_id, state, created in rows:
                for m in range(rng.randint(1, 5)):
                    author = "customer" if m % 2 == 0 else rng.choice(["support", "support", "note"])
                    messages.append({"ticket_id": ticket_id, "author_kind": author, "author_name": "x",
                                     "text": sentence(rng, rng.randint(5, 25)),
                                     "created_at": created + timedelta(hours=m)})
                if rng.random() < 0.3:
                    for name in rng.sample(TAGS, rng.randint(1, 2)):
                        tags.append({"ticket_id": ticket_id, "name": name})
                for kind in ("fr_reminder", "fr_breach", "res_reminder", "res_breach"):
                    due = created + timedelta(hours=rng.randint(4, 80))
                    # Those of closed tickets cancelled; the rest done when due, or still to come.
                    done = "cancelled" if state == "closed" else "sent" if due <= now else "pending"
                    reminders.append({"key": f"{kind}:{ticket_id}:{int(due.timestamp())}", "kind": kind,
                                      "ticket_id": ticket_id, "due_at": due, "state": done, "created_at": created})
                for chat_key in ("desk", f"user:{FIRST_CUSTOMER + rng.randrange(CUSTOMERS)}", "desk"):
                    outbox.append({"kind": "to_customer", "chat_key": chat_key, "ticket_id": ticket_id,
                                   "payload": {}, "state": "sent", "not_before": created, "created_at": created,
                                   "sent_at": created})
                searches.append({"customer_telegram_id": FIRST_CUSTOMER + rng.randrange(CUSTOMERS),
                                 "query": sentence(rng, 5), "decision": "answer", "entry_id": "gen-1",
                                 "offered": [], "outcome": rng.choice(["shown", "helped", "not_helped"]),
                                 "created_at": created})
            for model, batch in ((TicketMessage, messages), (TicketTag, tags), (Reminder, reminders),
                                 (OutboxMessage, outbox), (Search, searches)):
                await _insert(connection, model, batch)
                written += len(batch)
            if engine.dialect.name == "postgresql":
                await connection.exec_driver_sql("ANALYZE")
        written += len(people) + len(rows)
        async with engine.connect() as connection:
            active = (await connection.execute(
                select(func.count()).select_from(Ticket).where(Ticket.state != "closed"))).scalar_one()
        print(f"  {len(rows)} tickets ({active} not closed), {len(people)} customers, {len(messages)} messages, "
              f"{len(tags)} tags, {len(reminders)} reminders, {len(outbox)} outbox rows, {len(searches)} searches")
        return FIRST_CUSTOMER, written
    finally:
        await engine.dispose()


async def answer_ms(emu: BotAPIEmulator, view: ChatView, action) -> float:
    """Milliseconds from doing `action` to the first bot message shown (sent or edited) after it."""
    since = time.monotonic()
    await action()
    deadline = since + 60
    while True:
        shown = [m.changed_at for m in view.bot_messages if m.changed_at >= since]
        if shown:
            return 1000 * (min(shown) - since)
        if time.monotonic() > deadline:
            raise SystemExit(f"no answer within 60 s; chat shows {[m.shown_text[:60] for m in view.messages][-3:]}")
        await emu.world.wait_change(deadline - time.monotonic())


async def probe(emu: BotAPIEmulator, view: ChatView, action) -> list[float]:
    times = []
    for _ in range(REPEAT):
        times.append(await answer_ms(emu, view, action))
        # The answer's other messages (/customer's history comes in many) go out before the next ask.
        await emu.wait_idle(quiet=0.3, timeout=120)
    return times


def line(name: str, times: list[float], target: float | None = TARGET_MS) -> str:
    worst = max(times)
    verdict = "" if target is None else ("  ✔" if worst < target else f"  ✘ (target < {target} ms)")
    return f"  {name:<40} p50 {statistics.median(times):7.1f} ms  max {worst:7.1f} ms{verdict}"


async def measure(folder: Path, url: str, busy_id: int, semantic: str | None = None) -> tuple[list[str], float, float]:
    emu = BotAPIEmulator(token=TOKEN, bot_username="frontdesk_bot")
    desk = emu.add_group(DESK, "Support")
    agent = emu.add_user(AGENT, "Olga", language_code="en")
    desk.add_member(agent)
    busy = emu.add_user(busy_id, "Customer0", language_code="en")
    await emu.start()
    config = frontdesk_config(folder, emu.base_url, url, lifted=True, kb=folder / "faq", semantic=semantic)
    started = time.monotonic()
    process: Process = await start_process(emu, [sys.executable, "-m", "frontdesk.cli", "run", "--config",
                                                  str(config)], folder / "frontdesk.log")
    start_seconds = time.monotonic() - started
    try:
        await asyncio.sleep(1.0)
        idle_rss = process.peak_rss_mb()
        group, chat = emu.chat(desk), emu.chat(busy)
        lines = [line("/help (the floor: no database)", await probe(emu, group, lambda: agent.send("/help", chat=desk)),
                      None)]
        for command in ("/queue", "/queue #billing", f"/find {COMMON_WORD}", f"/find {ABSENT_WORD}",
                        "/find #refund", f"/customer {busy_id}"):
            times = await probe(emu, group, lambda c=command: agent.send(c, chat=desk))
            lines.append(line(command + (" (no ticket has it)" if ABSENT_WORD in command else ""), times))
        lines.append(line("/requests (My requests, 2,000 tickets)",
                          await probe(emu, chat, lambda: busy.send("/requests"))))
        listing = max((m for m in chat.bot_messages if "My requests" in m.shown_text), key=lambda m: m.changed_at)
        presses = {"filter «Closed» / «All»": ["Closed", "All"] * 3, "page «▶️»": ["▶️"] * REPEAT}
        for name, buttons in presses.items():
            times = []
            for button in buttons:
                shown = emu.message(busy, listing.message_id)
                times.append(await answer_ms(emu, chat, lambda b=button, m=shown: busy.press(m, b)))
                await emu.wait_idle(quiet=0.3, timeout=120)
            lines.append(line(f"  its buttons: {name}", times))
        return lines, idle_rss, process.peak_rss_mb()
    finally:
        print(f"  frontdesk run started in {start_seconds:.1f} s")
        process.stop()
        await emu.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--faq", type=int, default=10_000, help="generated FAQ entries")
    parser.add_argument("--postgres", action="store_true", help="a fresh database on 127.0.0.1:5432")
    parser.add_argument("--semantic", choices=("off", "words", "sentences"), help="kb.semantic (default: the config's)")
    args = parser.parse_args()
    rng = random.Random(11)
    folder = Path(tempfile.mkdtemp(prefix="frontdesk-data-bench-"))
    print(f"scale data bench: {args.faq} FAQ entries, {args.tickets} tickets, "
          f"{'PostgreSQL' if args.postgres else 'SQLite'}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start; logs and database in {folder}")
    (folder / "faq").mkdir()
    started = time.monotonic()
    write_faq(folder / "faq", args.faq, rng)
    url, name = await fresh_database(folder, args.postgres)
    try:
        busy_id, written = await fill(url, args.tickets, rng)
        print(f"  generated in {time.monotonic() - started:.0f} s ({written} rows)")
        lines, idle_rss, peak_rss = await measure(folder, url, busy_id, args.semantic)
    finally:
        await drop_database(name)
    print(f"answers (each asked {REPEAT} times), frontdesk run with limits lifted:")
    print("\n".join(lines))
    verdict = "✔" if peak_rss < TARGET_RSS_MB else f"✘ (target < {TARGET_RSS_MB} MB)"
    print(f"  peak RSS of frontdesk run: {peak_rss:.0f} MB {verdict} (after start, before the commands: "
          f"{idle_rss:.0f} MB)")


if __name__ == "__main__":
    asyncio.run(main())
