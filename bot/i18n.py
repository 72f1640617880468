"""gettext catalogs (Babel) and the choice of language for each update."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject
from aiogram.utils.i18n import I18n, I18nMiddleware

LOCALES = Path(__file__).with_name("locales")


def build_i18n(default_language: str) -> I18n:
    return I18n(path=LOCALES, default_locale=default_language, domain="messages")


class DeskI18nMiddleware(I18nMiddleware):
    """Uses the language the customer middleware settled on (chosen, Telegram's, or default)."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        return data.get("language") or self.i18n.default_locale
