"""`frontdesk db backup`: a copy taken while writes go on restores to a sound database holding every
ticket committed before the backup began; PostgreSQL and bad targets are refused with one line."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime

import pytest

from storage import migrate
from storage.backup import BackupError, backup_sqlite
from storage.database import create_engine, create_sessionmaker
from storage.models import Customer, Ticket


def _ticket(customer_id: int, index: int) -> Ticket:
    now = datetime.now(UTC)
    return Ticket(customer_id=customer_id, title=f"Ticket {index}", problem_type="question", details="x" * 2000,
                  criticality="normal", plan="basic", created_at=now, updated_at=now)


async def test_a_backup_taken_under_writes_holds_every_ticket_committed_before_it(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'frontdesk.db'}"
    engine = create_engine(url)
    await migrate.upgrade(engine)
    sessions = create_sessionmaker(engine)
    async with sessions.begin() as session:
        customer = Customer(telegram_id=1, first_name="Anna", created_at=datetime.now(UTC))
        session.add(customer)
        await session.flush()
        session.add_all(_ticket(customer.id, i) for i in range(3000))  # a database of some megabytes
    committed: list[int] = []
    progress = asyncio.Event()
    writing = True

    async def writer() -> None:  # one ticket per transaction, as the bot writes them
        index = 3000
        while writing:
            async with sessions.begin() as session:
                ticket = _ticket(customer.id, index)
                session.add(ticket)
                await session.flush()
                number = ticket.id
            committed.append(number)
            progress.set()
            index += 1
            await asyncio.sleep(0)

    async def commits(count: int) -> None:  # a stalled writer fails the test (TimeoutError)
        async with asyncio.timeout(60):
            while len(committed) < count:
                progress.clear()
                await progress.wait()

    task = asyncio.create_task(writer())
    try:
        await commits(20)
        before = set(committed)
        done = await asyncio.to_thread(backup_sqlite, url, tmp_path / "copy.db")
        await commits(len(before) + 20)  # and the writes went on after it
    finally:
        writing = False
        await task
        await engine.dispose()

    with closing(sqlite3.connect(tmp_path / "copy.db")) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        held = {number for (number,) in copy.execute("SELECT id FROM tickets")}
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == (migrate.head_revision(),)
    assert before <= held
    assert len(held) >= 3000 + len(before) and done.tickets == len(held)
    assert not list(tmp_path.glob(".copy.db.partial-*"))


def test_a_postgresql_url_is_refused_with_the_pg_dump_line(tmp_path):
    with pytest.raises(BackupError, match=r"^storage.url is postgresql, not SQLite: .*pg_dump --format=custom"):
        backup_sqlite("postgresql+asyncpg://postgres:secret@127.0.0.1:5432/frontdesk", tmp_path / "x")
    with pytest.raises(BackupError) as refused:
        backup_sqlite("postgresql+asyncpg://postgres:secret@127.0.0.1:5432/frontdesk", tmp_path / "x")
    assert "secret" not in str(refused.value)


def test_the_command_writes_a_copy_and_refuses_to_overwrite(tmp_path):
    (tmp_path / "config.toml").write_text(f'[storage]\nurl = "sqlite+aiosqlite:///{tmp_path / "live.db"}"\n')

    def frontdesk(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "frontdesk.cli", *args], check=False, capture_output=True,
                              text=True, timeout=120, cwd=tmp_path)

    assert frontdesk("db", "upgrade").returncode == 0
    first = frontdesk("db", "backup", "backup.db")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("backed up to backup.db: ") and "0 tickets; integrity check ok" in first.stdout
    again = frontdesk("db", "backup", "backup.db")
    assert again.returncode == 1
    assert again.stderr.strip() == "frontdesk: backup.db exists (pass --overwrite to replace it)"
    assert frontdesk("db", "backup", "backup.db", "--overwrite").returncode == 0
    missing = frontdesk("db", "backup", "no/such/folder/backup.db")
    assert missing.returncode == 1 and missing.stderr.strip() == "frontdesk: folder no/such/folder does not exist"
