"""Hands the customer's use cases to the handlers, built from the workflow data the dispatcher
already carries (the database, the clock, the desk's policy and settings), so the handlers see no sessions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.types import TelegramObject

from desk.conversation import Conversation
from desk.membership import Membership
from desk.privacy import Privacy


class CustomerUseCases(BaseMiddleware):
    """Puts `conversation`, `privacy` and `membership` into the handler data.

    A missing dependency raises KeyError: a wiring mistake fails loudly, on the first update.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        sessions, clock = data["sessionmaker"], data["clock"]
        data["conversation"] = Conversation(sessions, clock, data["policy"], page_size=data["config"].desk.page_size)
        data["privacy"] = Privacy(sessions, clock)
        data["membership"] = Membership(sessions, clock)
        return await handler(event, data)

    def install(self, router: Router) -> None:
        """Before the router's filters, which may use the use cases too."""
        for observer in (router.message, router.callback_query, router.my_chat_member):
            observer.outer_middleware(self)
