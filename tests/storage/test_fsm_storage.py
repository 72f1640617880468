"""The FSM storage keeps state and data in the database, across engines (restarts)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import event

from storage import migrate
from storage.database import create_engine, create_sessionmaker
from storage.fsm import SQLAlchemyStorage, set_state_and_data

KEY = StorageKey(bot_id=1, chat_id=1001, user_id=1001)


def _now() -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC)


async def test_state_and_data_survive_a_new_engine(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'fsm.db'}"
    engine = create_engine(url)
    await migrate.upgrade(engine)
    storage = SQLAlchemyStorage(create_sessionmaker(engine), _now)
    await storage.set_state(KEY, "Form:title")
    await storage.update_data(KEY, {"title": "Printer is on fire", "files": ["a", "b"]})
    await engine.dispose()

    engine = create_engine(url)
    storage = SQLAlchemyStorage(create_sessionmaker(engine), _now)
    try:
        assert await storage.get_state(KEY) == "Form:title"
        assert await storage.get_data(KEY) == {"title": "Printer is on fire", "files": ["a", "b"]}
        other = StorageKey(bot_id=1, chat_id=2002, user_id=2002)
        assert await storage.get_state(other) is None
        assert await storage.get_data(other) == {}
        await storage.set_state(KEY, None)
        await storage.set_data(KEY, {})
        assert await storage.get_state(KEY) is None
        assert await storage.get_data(KEY) == {}
    finally:
        await engine.dispose()


async def test_a_handler_changing_what_it_read_or_wrote_changes_nothing_stored(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fsm.db'}")
    await migrate.upgrade(engine)
    storage = SQLAlchemyStorage(create_sessionmaker(engine), _now, only_process=True)  # data kept in memory
    try:
        written = {"draft": {"files": ["a"], "answers": [{"q": 1}]}, "offered": ("x",)}
        await storage.set_data(KEY, written)
        written["draft"]["files"].append("changed after writing")
        read = await storage.get_data(KEY)
        read["draft"]["answers"][0]["q"] = 2
        read["draft"]["files"].clear()
        assert await storage.get_data(KEY) == {"draft": {"files": ["a"], "answers": [{"q": 1}]}, "offered": ("x",)}
    finally:
        await engine.dispose()


async def test_a_step_sets_state_and_data_in_one_write(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fsm.db'}")
    await migrate.upgrade(engine)
    storage = SQLAlchemyStorage(create_sessionmaker(engine), _now)
    begins = []
    event.listen(engine.sync_engine, "before_cursor_execute",
                 lambda *args: begins.append(args[2]) if args[2].startswith("BEGIN IMMEDIATE") else None)
    try:
        await set_state_and_data(storage, KEY, "Form:type", {"draft": {"title": "Printer"}})
        assert len(begins) == 1
        assert await storage.get_state(KEY) == "Form:type"
        assert await storage.get_data(KEY) == {"draft": {"title": "Printer"}}
    finally:
        await engine.dispose()
