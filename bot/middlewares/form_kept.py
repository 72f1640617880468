"""A command typed in the middle of the request form runs, and the customer is told the form
is still there (a command is never taken as the form's content)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, TelegramObject
from aiogram.utils.i18n import gettext as _

from bot.states import Form


async def _form_in_progress(state: FSMContext | None) -> tuple[str, str] | None:
    """(state, form id) of the form in progress, or None."""
    current = await state.get_state() if state is not None else None
    if current is None or current not in Form.__all_states_names__:
        return None
    return current, str((await state.get_data()).get("draft", {}).get("form_id", ""))


class FormKeptMiddleware(BaseMiddleware):
    """Inner middleware of private messages: after a command that left the form as it was
    (/help, /requests, /language, an unknown one), says the form is kept."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Message) or not (event.text or "").startswith("/"):
            return await handler(event, data)
        state: FSMContext | None = data.get("state")
        before = await _form_in_progress(state)
        result = await handler(event, data)
        if before is not None and await _form_in_progress(state) == before:
            await event.answer(_("Your request form is kept: answer the last question above to go on, "
                                 "or /cancel to drop it."))
        return result
