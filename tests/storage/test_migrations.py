"""Every Alembic revision goes up, down and up again, and the result matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage import migrate, search_index
from storage.database import create_engine
from storage.models import Base


async def _tables(engine) -> set[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))


async def _diff(engine) -> list:
    def compare(sync):
        context = MigrationContext.configure(sync, opts={"compare_type": True,
                                                         "include_object": search_index.has_model})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        return await connection.run_sync(compare)


async def test_up_down_up_matches_models(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
        assert await _diff(engine) == []
        await migrate.downgrade(engine, "base")
        assert await migrate.current_revision(engine) is None
        assert await _tables(engine) <= {"alembic_version"}
        await migrate.upgrade(engine)
        assert {"customers", "tickets", "ticket_messages", "attachments", "processed_updates",
                "fsm_states"} <= await _tables(engine)
    finally:
        await engine.dispose()


async def test_sqlite_runs_in_wal_mode_with_busy_timeout(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", busy_timeout_ms=1234)
    try:
        async with engine.connect() as connection:
            mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
            timeout = (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar()
        assert (mode, timeout) == ("wal", 1234)
    finally:
        await engine.dispose()


async def test_the_search_index_covers_what_was_there_before_it_and_goes_cleanly(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 's.db'}")
    try:
        await migrate.upgrade(engine, "0006")
        async with engine.begin() as connection:
            await connection.exec_driver_sql(
                "INSERT INTO customers (id, telegram_id, first_name, blocked_bot, created_at) "
                "VALUES (1, 501, 'Anna', 0, '2026-03-10 09:00:00')")
            await connection.exec_driver_sql(
                "INSERT INTO tickets (id, customer_id, title, problem_type, fields, details, criticality, state, "
                "plan, support_level, priority, last_message_from, created_at, updated_at) VALUES (1, 1, "
                "'Принтер', 'question', '{}', 'Бумага', 'normal', 'open', 'commercial', 1, 0, 'customer', "
                "'2026-03-10 09:00:00', '2026-03-10 09:00:00')")
            await connection.exec_driver_sql(
                "INSERT INTO ticket_messages (id, ticket_id, author_kind, author_name, text, created_at) "
                "VALUES (1, 1, 'customer', 'Anna', 'Не печатает', '2026-03-10 09:00:00')")
        await migrate.upgrade(engine)
        async with engine.connect() as connection:
            titles = (await connection.exec_driver_sql(
                "SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH '\"ПРИНТ\"'")).scalars().all()
            texts = (await connection.exec_driver_sql(
                "SELECT rowid FROM ticket_messages_fts WHERE ticket_messages_fts MATCH '\"печата\"'")).scalars().all()
        assert (titles, texts) == ([1], [1])
        await migrate.downgrade(engine, "0006")
        assert not await _tables(engine) & search_index.TABLES
        async with engine.begin() as connection:  # no trigger is left writing to a dropped table
            await connection.exec_driver_sql(
                "INSERT INTO ticket_messages (id, ticket_id, author_kind, author_name, text, created_at) "
                "VALUES (2, 1, 'support', 'Olga', 'Restart it', '2026-03-10 09:05:00')")
            await connection.exec_driver_sql("UPDATE tickets SET title = 'Printer' WHERE id = 1")
    finally:
        await engine.dispose()


def test_the_head_constant_is_alembics_head():
    # A new migration must move migrate.HEAD too: a start compares the database with it.
    assert migrate.alembic_head() == migrate.HEAD
