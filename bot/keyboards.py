"""Inline keyboards shown to customers."""

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import LangCB, MenuCB

LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}


def main_menu() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("❓ Ask a question"), callback_data=MenuCB(action="ask"))
    builder.button(text=_("📝 New request"), callback_data=MenuCB(action="new"))
    builder.button(text=_("📋 My requests"), callback_data=MenuCB(action="mine"))
    builder.button(text=_("ℹ️ Help"), callback_data=MenuCB(action="help"))
    builder.button(text=_("🌐 Language"), callback_data=MenuCB(action="lang"))
    builder.adjust(1, 2, 2)
    return builder.as_markup()


def language_menu(current: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code, name in LANGUAGE_NAMES.items():
        mark = "✅ " if code == current else ""
        builder.button(text=f"{mark}{name}", callback_data=LangCB(code=code))
    return builder.as_markup()
