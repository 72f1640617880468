"""Filters on who is acting."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Filter
from aiogram.types import TelegramObject, User

from bot.settings import BotConfig


class IsAdmin(Filter):
    """The user is one of `desk.admin_ids`."""

    async def __call__(self, event: TelegramObject, config: BotConfig, event_from_user: User | None = None) -> bool:
        return event_from_user is not None and event_from_user.id in config.desk.admin_ids


#: A message that is not a command: form steps and writing modes take only these as content, so
#: a command typed there runs (or is refused as unknown) instead of becoming part of a request.
NOT_A_COMMAND = ~F.text.startswith("/")
