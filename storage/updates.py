"""Processed update ids."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate


async def was_processed(session: AsyncSession, update_id: int) -> bool:
    found = await session.execute(
        select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == update_id)
    )
    return found.first() is not None


async def mark_processed(session: AsyncSession, update_id: int, now: datetime) -> None:
    if await session.get(ProcessedUpdate, update_id) is None:
        session.add(ProcessedUpdate(update_id=update_id, processed_at=now))


async def forget_before(session: AsyncSession, moment: datetime) -> int:
    """Drop ids older than `moment` (Telegram keeps undelivered updates for 24 hours at most)."""
    result = await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < moment))
    return result.rowcount or 0
