"""aiogram FSM storage in the bot's own database, so a conversation survives a restart."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import FSMRecord


def _copied(value: Any) -> Any:
    """A deep copy of FSM data: JSON's values (dicts and lists copied, the rest never changes in
    place), several times faster than `copy.deepcopy`, which a busy bot paid on every step."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_copied(item) for item in value)
    return value


def _state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


def _data_dict(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the top level of `data`, which must be a dict."""
    if not isinstance(data, dict):
        raise TypeError(f"FSM data must be a dict, not {type(data).__name__}")
    return dict(data)


class SQLAlchemyStorage(BaseStorage):
    """Keeps each chat's state and data in the `fsm_states` table (SQLite or PostgreSQL).

    `only_process=True` (the embedded SQLite default, where one process owns the database) keeps
    a copy of the most recent chats' records in memory, written through: most updates read a
    chat's state several times and then need no query at all.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        now: Callable[[], datetime],
        key_builder: KeyBuilder | None = None,
        *,
        only_process: bool = False,
        cached_chats: int = 10_000,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._now = now
        self._key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)
        self._cache: OrderedDict[str, tuple[str | None, dict[str, Any]]] | None = (
            OrderedDict() if only_process else None)
        self._cached_chats = cached_chats

    async def _upsert(self, key: StorageKey, **values: Any) -> None:
        storage_key = self._key_builder.build(key)
        current = await self._read(storage_key)
        stored = dict(zip(("state", "data"), current or (None, {}), strict=True))
        # Setting what is already stored (a handler clearing a state that is clear) writes nothing.
        if all(stored[name] == value for name, value in values.items()):
            return
        self._forget(storage_key)
        async with self._sessionmaker.begin() as session:
            record = await session.get(FSMRecord, storage_key)
            if record is None:
                record = FSMRecord(key=storage_key, state=None, data={})
                session.add(record)
            for name, value in values.items():
                setattr(record, name, value)
            record.updated_at = self._now()
            written = (record.state, _copied(record.data or {}))
        self._remember(storage_key, written)

    async def _read(self, storage_key: str) -> tuple[str | None, dict[str, Any]] | None:
        if self._cache is not None and storage_key in self._cache:
            self._cache.move_to_end(storage_key)
            return self._cache[storage_key]
        async with self._sessionmaker() as session:
            record = (
                await session.execute(select(FSMRecord).where(FSMRecord.key == storage_key))
            ).scalar_one_or_none()
        found = (record.state, dict(record.data or {})) if record is not None else None
        self._remember(storage_key, found or (None, {}))
        return found

    def _remember(self, storage_key: str, value: tuple[str | None, dict[str, Any]]) -> None:
        if self._cache is None:
            return
        self._cache[storage_key] = value
        self._cache.move_to_end(storage_key)
        while len(self._cache) > self._cached_chats:
            self._cache.popitem(last=False)

    def _forget(self, storage_key: str) -> None:
        if self._cache is not None:
            self._cache.pop(storage_key, None)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._upsert(key, state=_state_name(state))

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._read(self._key_builder.build(key))
        return record[0] if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(key, data=_data_dict(data))

    async def set_state_and_data(self, key: StorageKey, state: StateType, data: Mapping[str, Any]) -> None:
        """Both in one write."""
        await self._upsert(key, state=_state_name(state), data=_data_dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._read(self._key_builder.build(key))
        # A deep copy: a handler changing a list inside must not change what is stored.
        return _copied(record[1]) if record else {}

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""


async def set_state_and_data(storage: BaseStorage, key: StorageKey, state: StateType, data: Mapping[str, Any]) -> None:
    """Set a conversation's state and data: in one write in the database (`SQLAlchemyStorage`);
    elsewhere (Redis) the data first, then the state."""
    if isinstance(storage, SQLAlchemyStorage):
        await storage.set_state_and_data(key, state, data)
        return
    await storage.set_data(key, data)
    await storage.set_state(key, state)
