"""Hands the customer's intake use cases to the handlers of the private chat, as `intake`
(desk.intake.Intake) and `questions` (desk.questions.Questions), so the handlers see no sessions.

They are built from the workflow data the dispatcher already carries; the bot's factory can build
them once and pass them as workflow data instead, and then this middleware steps aside.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.types import TelegramObject

from desk.intake import Intake
from desk.questions import Questions


class IntakeUseCases(BaseMiddleware):
    """A missing dependency raises KeyError: a wiring mistake fails loudly, on the first update."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if "intake" not in data:
            data["intake"] = Intake(data["sessionmaker"], data["clock"], data["sla"], data["config"].form)
        if "questions" not in data:
            data["questions"] = Questions(data["sessionmaker"], data["clock"], data["kb"], data["policy"])
        return await handler(event, data)

    def install(self, router: Router) -> None:
        """On the router's messages and button presses, once a handler of it matched."""
        router.message.middleware(self)
        router.callback_query.middleware(self)
