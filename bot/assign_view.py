"""Texts of duty and assignment in the agent group: `/duty`, `/assign`, `/unassign`, `/mine`."""

from __future__ import annotations

from datetime import datetime
from html import escape

from aiogram.utils.i18n import gettext as _

from bot.card_view import CRITICALITY_MARK, duration_text, state_label
from desk import reports
from desk.assignments import OnDuty
from storage.models import Ticket


def show_duty(duty: OnDuty) -> str:
    """The answer to `/duty on|off`."""
    if not duty.on:
        return _("You are off duty: new tickets are not assigned to you.")
    if duty.cap == 0:
        return _("You are on duty at support level {level}. Automatic assignment is off "
                 "(desk.assign_cap = 0).").format(level=duty.level)
    return _("You are on duty at support level {level}: new tickets come to you in turn, up to {cap} open "
             "(you have {count}).").format(level=duty.level, cap=duty.cap, count=duty.open_tickets)


def show_mine(tickets: list[Ticket], now: datetime) -> str:
    """`/mine`: the agent's open tickets, the nearest due time first, each with its time left."""
    if not tickets:
        return _("You have no open tickets.")
    lines = [_("<b>Your open tickets</b> ({count}), by due time:").format(count=len(tickets))]
    for ticket in tickets:
        due = reports.next_due(ticket)
        left = _("no deadline") if due is None else (
            _("{time} left").format(time=duration_text(due - now)) if due > now
            else _("overdue by {time}").format(time=duration_text(now - due)))
        lines.append(f"{CRITICALITY_MARK.get(ticket.criticality, '')} #{ticket.id} {escape(ticket.title[:50])} — "
                     f"{state_label(ticket.state)} · {left}")
    return "\n".join(lines)


def mention(telegram_id: int, name: str | None, username: str | None) -> str:
    """An agent mentioned in a message: @username, or a link to them by id when they have none."""
    if username:
        return f"@{escape(username)}"
    return f'<a href="tg://user?id={telegram_id}">{escape(name or str(telegram_id))}</a>'
