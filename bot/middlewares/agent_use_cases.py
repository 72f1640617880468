"""Hands the desk's use cases to the handlers of the agent group and the admin commands, as
`agent_desk` (desk.agent_actions.AgentDesk) and `administration` (desk.admin.Administration).

They are built from the workflow data the dispatcher already carries; the bot's factory can build
them once and pass them as workflow data instead, and then this middleware steps aside.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from desk.admin import Administration
from desk.agent_actions import AgentDesk


class AgentUseCasesMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        config = data["config"]
        if "agent_desk" not in data:
            data["agent_desk"] = AgentDesk(data["sessionmaker"], data["clock"], config.desk, data["policy"],
                                           data["kb"], data["desk_chat"])
        if "administration" not in data:
            data["administration"] = Administration(data["sessionmaker"], data["sla"], data["kb"])
        return await handler(event, data)
