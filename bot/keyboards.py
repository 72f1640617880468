"""Inline keyboards shown to customers."""

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.callbacks import LangCB, MenuAction, MenuCB
from bot.keyboard_builder import InlineKeyboardBuilder

LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}


def main_menu() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("❓ Ask a question"), callback_data=MenuCB(action=MenuAction.ASK))
    builder.button(text=_("📝 New request"), callback_data=MenuCB(action=MenuAction.NEW))
    builder.button(text=_("📋 My requests"), callback_data=MenuCB(action=MenuAction.MINE))
    builder.button(text=_("ℹ️ Help"), callback_data=MenuCB(action=MenuAction.HELP))
    builder.button(text=_("🌐 Language"), callback_data=MenuCB(action=MenuAction.LANG))
    builder.adjust(1, 2, 2)
    return builder.as_markup()


def language_menu(current: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code, name in LANGUAGE_NAMES.items():
        mark = "✅ " if code == current else ""
        builder.button(text=f"{mark}{name}", callback_data=LangCB(code=code))
    return builder.as_markup()
