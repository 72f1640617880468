"""The groups the bot has been added to, remembered so an admin can find the id of the one to make
the agents' desk (`frontdesk doctor` lists them)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Setting

PREFIX = "group:"


@dataclass(frozen=True)
class SeenGroup:
    chat_id: int
    title: str
    kind: str  # "group" or "supergroup"
    forum: bool
    status: str  # the bot's status there when last seen: member, administrator, left, kicked
    seen_at: datetime


async def remember(session: AsyncSession, group: SeenGroup) -> None:
    """Record (or update) what the bot last saw of a group."""
    value = json.dumps({"title": group.title, "kind": group.kind, "forum": group.forum, "status": group.status,
                        "seen_at": group.seen_at.isoformat()}, ensure_ascii=False)
    row = await session.get(Setting, f"{PREFIX}{group.chat_id}")
    if row is None:
        session.add(Setting(key=f"{PREFIX}{group.chat_id}", value=value))
    else:
        row.value = value


async def seen(session: AsyncSession) -> list[SeenGroup]:
    """Every group remembered, the most recently seen first."""
    rows = (await session.execute(select(Setting).where(Setting.key.startswith(PREFIX)))).scalars()
    groups = []
    for row in rows:
        data = json.loads(row.value)
        groups.append(SeenGroup(int(row.key.removeprefix(PREFIX)), data["title"], data["kind"], data["forum"],
                                data["status"], datetime.fromisoformat(data["seen_at"])))
    return sorted(groups, key=lambda group: group.seen_at, reverse=True)
