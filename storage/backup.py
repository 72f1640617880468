"""Backups of the embedded SQLite database, safe to take while the bot runs.

SQLite's online backup API copies the database as of one read transaction: in WAL mode the bot's
writers go on meanwhile, and the copy holds exactly what was committed when the backup began.
The copy is written beside the target and renamed into place only once it passed an integrity
check, so a failed backup never leaves a half file under the target's name.
PostgreSQL has its own tool for this (pg_dump); the command says so rather than half-doing it.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """The backup cannot be taken; the message is one line for the operator."""


@dataclass(frozen=True)
class BackupDone:
    target: Path
    pages: int
    size: int
    tickets: int


def sqlite_file(url: str) -> Path:
    """The SQLite file behind `url`; BackupError for anything else, with what to do instead."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        plain = parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=True)
        raise BackupError(
            f"storage.url is {parsed.get_backend_name()}, not SQLite: back it up with its own tool, e.g. "
            f"pg_dump --format=custom --file=frontdesk.dump '{plain}'"
        )
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("storage.url is an in-memory SQLite database: there is nothing to back up")
    return Path(parsed.database).expanduser()


def backup_sqlite(url: str, target: Path, *, overwrite: bool = False) -> BackupDone:
    """Copy the database behind `url` to `target` while it may be in use; checks the copy."""
    source = sqlite_file(url)
    if not source.is_file():
        raise BackupError(f"storage.url: {source} does not exist")
    target = target.expanduser()
    if target.resolve() == source.resolve():
        raise BackupError(f"{target} is the database itself")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists (pass --overwrite to replace it)")
    if not target.parent.is_dir():
        raise BackupError(f"folder {target.parent} does not exist")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)) as reader, \
                closing(sqlite3.connect(partial)) as writer:
            reader.backup(writer)  # all pages in one step: one consistent snapshot
            writer.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            (check,) = writer.execute("PRAGMA integrity_check").fetchone()
            if check != "ok":
                raise BackupError(f"the copy failed its integrity check: {check}")
            (pages,) = writer.execute("PRAGMA page_count").fetchone()
            tickets = _tickets(writer)
        os.replace(partial, target)
    except sqlite3.Error as error:
        raise BackupError(f"cannot back up {source}: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
    return BackupDone(target=target, pages=pages, size=target.stat().st_size, tickets=tickets)


def _tickets(connection: sqlite3.Connection) -> int:
    try:
        (count,) = connection.execute("SELECT count(*) FROM tickets").fetchone()
    except sqlite3.OperationalError:  # a database the bot never migrated
        return 0
    return count
