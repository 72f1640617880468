"""The agent group's chat id: from config, followed when Telegram migrates the group."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Setting

KEY = "desk_chat_id"


class DeskChat:
    """The current id of the agents' group (a group upgraded to a supergroup gets a new id)."""

    def __init__(self, configured: int) -> None:
        self.configured = configured
        self.id = configured

    async def load(self, session: AsyncSession) -> None:
        """Use the id learned from a migration, if the configured group was migrated."""
        saved = await session.get(Setting, f"{KEY}:{self.configured}")
        if saved is not None:
            self.id = int(saved.value)

    async def migrated(self, session: AsyncSession, new_id: int) -> None:
        """Follow the group to its new id, now and after restarts."""
        saved = await session.get(Setting, f"{KEY}:{self.configured}")
        if saved is None:
            session.add(Setting(key=f"{KEY}:{self.configured}", value=str(new_id)))
        else:
            saved.value = str(new_id)
        self.id = new_id

    def is_desk(self, chat_id: int) -> bool:
        return chat_id == self.id
