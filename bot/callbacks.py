"""Typed callback data: short prefixes, parsed and checked before anything is done."""

from aiogram.filters.callback_data import CallbackData


class MenuCB(CallbackData, prefix="m"):
    """A main-menu button: ask, new, mine, help, lang."""

    action: str


class LangCB(CallbackData, prefix="lang"):
    code: str
