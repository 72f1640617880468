"""A redelivered update that already moved a conversation repeats the reply it was to send.

A step of a conversation (the request form's, chiefly) changes the conversation's state and then
sends its reply. A process killed between the two leaves the update unconfirmed, so Telegram sends
it again, most likely to another process, which finds the conversation already past the step: the
press looks stale, the text looks like an answer to the next question, and the reply the customer
waits for is never sent. So the reply is written into the conversation's data together with the
change (`step`), named by the update that made it, and `ReplayMiddleware` answers that update's
redelivery with the kept reply instead of handling it again. A kill after the reply went out but
before the update was confirmed shows the reply twice: the documented at-least-once window.

The update being handled reaches `step` the way the current language reaches `gettext`: through a
context variable that the middleware sets for the handler's call.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject, Update

from storage.fsm import set_state_and_data

log = logging.getLogger(__name__)

#: The key of the kept reply in a conversation's FSM data.
KEPT = "kept_reply"
_handling: ContextVar[int | None] = ContextVar("frontdesk_update_handled", default=None)


async def step(state: FSMContext, target: State | None, message: Message, text: str,
               markup: InlineKeyboardMarkup | None = None, *, fresh: bool = False, **data: Any) -> None:
    """Move the conversation to `target` with `data` merged into its data (with `fresh`, `data` is
    all it keeps), then send `text` (with `markup`) to `message`'s chat; the reply is kept with the
    change for a redelivery."""
    update_id = _handling.get()
    if update_id is not None:
        data[KEPT] = {
            "update": update_id,
            "state": target.state if target is not None else None,
            "text": text,
            "markup": markup.model_dump(mode="json", exclude_none=True) if markup is not None else None,
        }
    # One write in the database; in Redis the data (with the state it belongs to) first: a kill
    # between the two writes leaves a kept reply whose state the redelivery puts right.
    merged = data if fresh else {**await state.get_data(), **data}
    await set_state_and_data(state.storage, state.key, target, merged)
    await message.answer(text, reply_markup=markup)


class ReplayMiddleware(BaseMiddleware):
    """Outer middleware of private messages and button presses (after the conversation's state is
    loaded): a redelivery of the update that made the conversation's last step gets that step's
    reply again, and nothing else is done with it."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        update: Update | None = data.get("event_update")
        state: FSMContext | None = data.get("state")
        if update is None or state is None or state.key.chat_id != state.key.user_id:
            return await handler(event, data)  # not a private chat: no conversation steps there
        kept = (await state.get_data()).get(KEPT)
        if isinstance(kept, dict) and kept.get("update") == update.update_id:
            await self._replay(event, state, kept)
            return None
        token = _handling.set(update.update_id)
        try:
            return await handler(event, data)
        finally:
            _handling.reset(token)

    @staticmethod
    async def _replay(event: TelegramObject, state: FSMContext, kept: dict[str, Any]) -> None:
        log.info("update %s was handled before its reply was sent (a process stopped in between); "
                 "sending the kept reply", kept["update"])
        if await state.get_state() != kept["state"]:
            await state.set_state(kept["state"])
        markup = InlineKeyboardMarkup.model_validate(kept["markup"]) if kept["markup"] else None
        if isinstance(event, CallbackQuery):
            await event.answer()
        if state.key.chat_id and event.bot is not None:
            await event.bot.send_message(state.key.chat_id, kept["text"], reply_markup=markup)
