"""Updates the library cannot parse (a new or changed field after a Bot API release) are
skipped, logged with their id and the validation error, and counted; everybody else is served.

Without this, one such update stalls the bot: aiogram validates a getUpdates batch as a whole,
so polling fetches the same batch forever; a webhook answers 500 and Telegram sends it again.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, __version__
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import ClientDecodeError
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError

from bot.metrics import Metrics

log = logging.getLogger(__name__)


def parse_problem(bot: Bot, raw: Any) -> str | None:
    """Why aiogram cannot parse `raw` as an Update (one line), or None when it can."""
    try:
        Update.model_validate(raw, context={"bot": bot})
    except ValidationError as error:
        return "; ".join(f"{'.'.join(str(part) for part in item['loc']) or 'update'}: {item['msg']}"
                         for item in error.errors())
    return None


def skip_update(raw: Any, problem: str, metrics: Metrics | None) -> None:
    """Log and count one update that is skipped because it cannot be parsed."""
    update_id = raw.get("update_id") if isinstance(raw, dict) else None
    log.error("update %s cannot be parsed by aiogram %s and is skipped: %s", update_id, __version__, problem)
    if metrics is not None:
        metrics.unparsed.inc()


class TolerantSession(AiohttpSession):
    """An AiohttpSession whose getUpdates answer leaves out the updates aiogram cannot parse.

    Each such update is replaced by a bare ``{"update_id": N}``, so polling confirms it (the
    next offset passes it) and the dispatcher skips it as an update of no known kind.
    """

    def __init__(self, *args: Any, metrics: Metrics | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics

    def check_response(self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int,
                       content: str) -> Response[TelegramType]:
        try:
            return super().check_response(bot, method, status_code, content)
        except ClientDecodeError:
            if not isinstance(method, GetUpdates):
                raise
            repaired = self._parsable_batch(bot, content)
            if repaired is None:
                raise
            return super().check_response(bot, method, status_code, repaired)

    def _parsable_batch(self, bot: Bot, content: str) -> str | None:
        """The answer with each unparsable update reduced to its id; None if that cannot help."""
        try:
            data = self.json_loads(content)
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("result"), list):
            return None
        batch = []
        for raw in data["result"]:
            problem = parse_problem(bot, raw)
            if problem is None:
                batch.append(raw)
                continue
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            if not isinstance(update_id, int):
                return None  # without its id polling cannot move past it: the error stays visible
            skip_update(raw, problem, self.metrics)
            batch.append({"update_id": update_id})
        return self.json_dumps({**data, "result": batch})


class TolerantRequestHandler(SimpleRequestHandler):
    """The webhook endpoint: an update aiogram cannot parse is answered 200 (so Telegram does not
    send it again and again), logged and counted."""

    def __init__(self, *args: Any, metrics: Metrics | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        if self.verify_secret(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), bot):
            try:
                raw = await request.json(loads=bot.session.json_loads)
            except ValueError as error:
                raw, problem = None, f"not JSON: {error}"
            else:
                problem = parse_problem(bot, raw)
            if problem is not None:
                skip_update(raw, problem, self.metrics)
                return web.Response(status=200)
        return await super().handle(request)
