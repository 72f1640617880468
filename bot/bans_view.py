"""How bans look in the agent group: the list `/banned` shows."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from aiogram.utils.i18n import gettext as _

from storage.models import Ban


def moment(when: datetime) -> str:
    """A moment as the desk reads it in a list: date and time, UTC."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def show_bans(bans: list[Ban]) -> str:
    """`/banned`: each ban in force with who gave it, why and when."""
    if not bans:
        return _("Nobody is banned.")
    lines = [_("<b>Banned: {count}</b>").format(count=len(bans))]
    for ban in bans:
        lines.append(_("• {id} — by {by}, {when}: {why}").format(
            id=ban.telegram_id, by=escape(ban.banned_by_name), when=moment(ban.banned_at),
            why=escape(ban.reason) if ban.reason else _("no reason given")))
    return "\n".join(lines)
