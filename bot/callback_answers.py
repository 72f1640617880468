"""Answering a pressed button is a courtesy (it stops the spinner), never the work itself.

Telegram refuses answers to presses made while the bot was down ("query is too old and response
timeout expired or query ID is invalid"); if that error reached the handler, it would abort the
work the press asked for. This request middleware logs the failed answer and lets the handler
go on, as if it had been answered.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import ClientDecodeError, TelegramAPIError
from aiogram.methods import AnswerCallbackQuery, Response, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)


class CallbackAnswersNeverFail(BaseRequestMiddleware):
    """answerCallbackQuery errors (after the retries of the inner middlewares) are logged, not raised."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not isinstance(method, AnswerCallbackQuery):
            return await make_request(bot, method)
        try:
            return await make_request(bot, method)
        except (TelegramAPIError, ClientDecodeError) as error:
            log.warning("could not answer callback query %s (%s: %s); its work goes on",
                        method.callback_query_id, type(error).__name__, error)
            # The session hands the result to the caller: False, "not answered".
            return False  # type: ignore[return-value]
