"""Filters on who is acting."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject, User

from frontdesk.config import Config


class IsAdmin(Filter):
    """The user is one of `desk.admin_ids`."""

    async def __call__(self, event: TelegramObject, config: Config, event_from_user: User | None = None) -> bool:
        return event_from_user is not None and event_from_user.id in config.desk.admin_ids
