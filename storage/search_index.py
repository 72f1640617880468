"""The full-text index of what tickets say, for `/find` on SQLite: two FTS5 tables with the trigram
tokenizer over the tickets' titles and details and over their messages' texts, kept in step with
them by triggers (created by migration 0007).

A trigram index finds any substring of three characters or more, case-insensitively in every
alphabet (Cyrillic too), without reading every row: `/find` at 100,000 tickets answers in
milliseconds instead of a second. PostgreSQL needs none of it (see `desk.reports.find`).

Alembic's batch mode rebuilds a table on SQLite by copying it, which drops its triggers: a later
migration that batch-alters `tickets` or `ticket_messages` must call `drop` before and `create`
after it.
"""

from __future__ import annotations

from collections.abc import Callable

# (FTS table, the table it indexes, the columns)
INDEXED = (
    ("tickets_fts", "tickets", ("title", "details")),
    ("ticket_messages_fts", "ticket_messages", ("text",)),
)
# FTS5 keeps each index in shadow tables named after it.
_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")
TABLES = frozenset(f"{fts}{suffix}" for fts, _, _ in INDEXED for suffix in ("", *_SHADOWS))
# Trigrams: a needle shorter than this cannot be looked up (`/find` reads the rows instead).
SHORTEST = 3


def _statements(fts: str, table: str, columns: tuple[str, ...]) -> list[str]:
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    forget = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
    learn = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', content_rowid='id', "
        f"tokenize='trigram')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {learn} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {forget} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {table} BEGIN {forget} {learn} END",
        # What the table holds already.
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def create(execute: Callable[[str], object]) -> None:
    """Create the indexes and their triggers, and index what is there (SQLite only)."""
    for fts, table, columns in INDEXED:
        for statement in _statements(fts, table, columns):
            execute(statement)


def drop(execute: Callable[[str], object]) -> None:
    """Drop the indexes and their triggers (SQLite only)."""
    for fts, _, _ in INDEXED:
        for kind in ("insert", "delete", "update"):
            execute(f"DROP TRIGGER IF EXISTS {fts}_{kind}")
        execute(f"DROP TABLE IF EXISTS {fts}")


def has_model(obj, name: str, type_: str, reflected: bool, compare_to) -> bool:
    """Alembic's `include_object` hook: False for the index's tables, which have no model, so
    autogenerate (and the schema test) leaves them alone."""
    return not (type_ == "table" and reflected and name in TABLES)


def phrase(needle: str) -> str:
    """`needle` as an FTS5 phrase: matched as written, quotes and operators included."""
    return '"' + needle.replace('"', '""') + '"'
