"""The full-text index of what tickets say, for `/find` (created by migration 0007).

On SQLite: two FTS5 tables with the trigram tokenizer over the tickets' titles and details and over
their messages' texts, kept in step with them by triggers; `desk.reports.find` looks a needle up
in them. On PostgreSQL: trigram GIN indexes (the pg_trgm extension) on the lowercased title,
details and message text, which the planner uses for `/find`'s own `lower(...) LIKE '%...%'`.

A trigram index finds any substring of three characters or more, case-insensitively in every
alphabet (Cyrillic too), without reading every row: `/find` for a word no ticket holds, at
100,000 tickets, answers in milliseconds instead of a second (SQLite) or half a second (PostgreSQL).
Neither has a model: SQLAlchemy's metadata cannot say "FTS5 table" or "only on PostgreSQL", so
`has_model` keeps autogenerate (and the schema test) from taking them for strays.

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
# PostgreSQL: (index, table, column)
TRIGRAM_INDEXES = (
    ("ix_tickets_title_trgm", "tickets", "title"),
    ("ix_tickets_details_trgm", "tickets", "details"),
    ("ix_ticket_messages_text_trgm", "ticket_messages", "text"),
)
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


def create(execute: Callable[[str], object], dialect: str) -> None:
    """Create the index (on SQLite with its triggers) and index what is there."""
    if dialect == "postgresql":
        # pg_trgm is a trusted extension: the database's owner may create it.
        execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for index, table, column in TRIGRAM_INDEXES:
            execute(f"CREATE INDEX {index} ON {table} USING gin (lower({column}) gin_trgm_ops)")
        return
    for fts, table, columns in INDEXED:
        for statement in _statements(fts, table, columns):
            execute(statement)


def drop(execute: Callable[[str], object], dialect: str) -> None:
    """Drop the index (and its triggers). The pg_trgm extension stays: something else may use it."""
    if dialect == "postgresql":
        for index, _, _ in TRIGRAM_INDEXES:
            execute(f"DROP INDEX IF EXISTS {index}")
        return
    for fts, _, _ in INDEXED:
        for kind in ("insert", "delete", "update"):
            execute(f"DROP TRIGGER IF EXISTS {fts}_{kind}")
        execute(f"DROP TABLE IF EXISTS {fts}")


def has_model(obj, name: str, type_: str, reflected: bool, compare_to) -> bool:
    """Alembic's `include_object` hook: False for the index's tables and PostgreSQL indexes, which
    have no model, so autogenerate (and the schema test) leaves them alone."""
    ours = TABLES if type_ == "table" else {index for index, _, _ in TRIGRAM_INDEXES} if type_ == "index" else ()
    return not (reflected and name in ours)


def phrase(needle: str) -> str:
    """`needle` as an FTS5 phrase: matched as written, quotes and operators included."""
    return '"' + needle.replace('"', '""') + '"'
