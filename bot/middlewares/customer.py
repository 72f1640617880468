"""Records who wrote (private chats) and settles the language of the reply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import Chat, TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from desk.clock import Clock
from desk.customers import Person, customer_language, find_customer, is_current, touch_customer


class CustomerMiddleware(BaseMiddleware):
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, default_language: str,
        desk_language: str,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._default = default_language
        self._desk = desk_language

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if user is None or user.is_bot:
            data["language"] = self._default
            return await handler(event, data)
        if chat is not None and chat.type == ChatType.PRIVATE:
            person = Person(user.id, user.first_name, user.username, user.language_code)
            # Most updates come from a known customer whose profile has not changed: a read is enough.
            async with self._sessionmaker() as session:
                customer = await find_customer(session, user.id)
            if customer is None or not is_current(customer, person):
                async with self._sessionmaker.begin() as session:
                    customer = await touch_customer(session, person, self._clock)
            data["language"] = customer_language(customer, self._default)
        else:
            # Groups are the agents' side: one desk language for everybody there.
            data["language"] = self._desk
        return await handler(event, data)
