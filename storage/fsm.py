"""aiogram FSM storage in the bot's own database, so a conversation survives a restart."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import FSMRecord


class SQLAlchemyStorage(BaseStorage):
    """Keeps each chat's state and data in the `fsm_states` table (SQLite or PostgreSQL)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        now: Callable[[], datetime],
        key_builder: KeyBuilder | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._now = now
        self._key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)

    async def _upsert(self, key: StorageKey, **values: Any) -> None:
        storage_key = self._key_builder.build(key)
        # Setting what is already stored (a handler clearing a state that is clear) writes nothing.
        current = await self._read(key)
        if current is not None and all(getattr(current, name) == value for name, value in values.items()):
            return
        if current is None and all(value in (None, {}) for value in values.values()):
            return
        async with self._sessionmaker.begin() as session:
            record = await session.get(FSMRecord, storage_key)
            if record is None:
                record = FSMRecord(key=storage_key, state=None, data={})
                session.add(record)
            for name, value in values.items():
                setattr(record, name, value)
            record.updated_at = self._now()

    async def _read(self, key: StorageKey) -> FSMRecord | None:
        async with self._sessionmaker() as session:
            return (
                await session.execute(
                    select(FSMRecord).where(FSMRecord.key == self._key_builder.build(key))
                )
            ).scalar_one_or_none()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._read(key)
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, dict):
            raise TypeError(f"FSM data must be a dict, not {type(data).__name__}")
        await self._upsert(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._read(key)
        return dict(record.data) if record and record.data else {}

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""
