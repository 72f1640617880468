"""The ban gate: a banned person's messages and button presses in a private chat stop here, before
any handler, so they create nothing (no ticket, no FAQ search, no customer record) and reach nobody.
The rule is the desk's (`desk.bans`); this only asks and obeys."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import Chat, TelegramObject, Update, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from desk.bans import Bans
from desk.customers import telegram_language

log = logging.getLogger(__name__)


class BanGate(BaseMiddleware):
    """An outer middleware of updates. Registered after flood control, so a banned person who floods
    is dropped by the counter without a database read per message; before the processed-update
    record and the customer middleware, so their updates leave nothing behind."""

    def __init__(self, bans: Bans, i18n: I18n, default_language: str) -> None:
        self.bans = bans
        self.i18n = i18n
        self.default_language = default_language

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if (not isinstance(event, Update) or user is None or chat is None or chat.type != ChatType.PRIVATE
                or not (event.message or event.edited_message or event.callback_query)):
            return await handler(event, data)
        gate = await self.bans.gate(user.id)
        if not gate.banned:
            return await handler(event, data)
        log.debug("update %s of banned user %s dropped", event.update_id, user.id)
        # The customer middleware has not run: the language is Telegram's.
        language = telegram_language(user.language_code) or self.default_language
        with self.i18n.context(), self.i18n.use_locale(language):
            if event.callback_query is not None:
                await event.callback_query.answer()
            if gate.tell:
                await data["bot"].send_message(chat.id, _(
                    "Sorry, support no longer answers messages from this account. "
                    "Your messages are not passed on to anybody."))
        return None
