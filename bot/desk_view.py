"""Texts of the desk commands in the agent group."""

from __future__ import annotations

from datetime import datetime
from html import escape

from aiogram.utils.i18n import gettext as _

from bot.card_view import CRITICALITY_MARK, duration_text, state_label
from desk import reports
from storage.models import Ticket


def show_queue(tickets: list[Ticket], now: datetime, tag: str = "") -> str:
    """`/queue [#TAG]`: the tickets `reports.queue` lists, each with its time left (customers loaded)."""
    if not tickets:
        return _("No open tickets tagged {tag}.").format(tag=escape(tag)) if tag else _("The queue is empty.")
    lines = [_("<b>Open tickets</b> tagged {tag} (critical first, then by due time):").format(tag=escape(tag))
             if tag else _("<b>Open tickets</b> (critical first, then by due time):")]
    for ticket in tickets:
        due = reports.next_due(ticket)
        left = _("no deadline") if due is None else (
            _("{time} left").format(time=duration_text(due - now)) if due > now
            else _("overdue by {time}").format(time=duration_text(now - due)))
        who = f" · {escape(ticket.assignee_name)}" if ticket.assignee_name else ""
        lines.append(f"{CRITICALITY_MARK.get(ticket.criticality, '')} #{ticket.id} {escape(ticket.title[:50])} — "
                     f"{state_label(ticket.state)} · {left}{who}")
    return "\n".join(lines)


async def queue_text(session, now: datetime) -> str:
    """The queue read in the caller's session (the daily digest), shown as `show_queue`."""
    return show_queue(await reports.queue(session), now)


def show_found(needle: str, tickets: list[Ticket]) -> str:
    """`/find TEXT`: what was found."""
    if not tickets:
        return _("Nothing found for «{needle}».").format(needle=escape(needle))
    lines = [_("Found {count}:").format(count=len(tickets))]
    lines += [f"#{t.id} {escape(t.title[:60])} — {state_label(t.state)}" for t in tickets]
    return "\n".join(lines)


def show_stats(data: reports.Stats) -> str:
    """`/stats`: counts by state, the median first response, the average rating."""
    total = sum(data.by_state.values())
    lines = [_("<b>Tickets:</b> {total}").format(total=total)]
    for state in ("new", "open", "waiting", "resolved", "closed"):
        if data.by_state.get(state):
            lines.append(f"  {state_label(state)}: {data.by_state[state]}")
    if data.median_first_response is not None:
        lines.append(_("Median first response: {time} ({count} answered)").format(
            time=duration_text(data.median_first_response), count=data.answered))
    else:
        lines.append(_("Median first response: no answers yet"))
    if data.average_rating is not None:
        lines.append(_("Average rating: {value:.1f} of 5 ({count} rated)").format(
            value=data.average_rating, count=data.rated))
    if data.by_tag:
        lines.append(_("By tag: {counts}").format(
            counts=", ".join(f"#{escape(name)} {count}" for name, count in data.by_tag.items())))
    return "\n".join(lines)


async def stats_text(session) -> str:
    """The numbers read in the caller's session (the daily digest), shown as `show_stats`."""
    return show_stats(await reports.stats(session))


def agent_help(note_prefix: str) -> str:
    """`/help` in the agent group: what agents can do here."""
    return "\n".join([
        _("<b>The desk</b>: each ticket has a card (in its own topic, or in this chat). Write in a ticket's "
          "topic, or reply to its card, to answer the customer; start with {prefix} or /note for an internal "
          "note. The card's buttons take, escalate, resolve and close it.").format(prefix=escape(note_prefix)),
        "",
        _("/queue — open tickets, critical first, then by due time (/queue #TAG: only those tagged)"),
        _("/tag NAME… — in a ticket: put tags on it; /untag NAME takes one off"),
        _("/duty on [LEVEL] — new tickets at that support level come to you in turn; /duty off stops them"),
        _("/assign [@username] — in a ticket: assign it to you (or to that agent); /unassign — to nobody"),
        _("/mine — your open tickets by due time"),
        _("/ticket N — one ticket's card"),
        _("/customer ID — a customer's whole history (the id is on the card)"),
        _("/find TEXT — tickets containing a text (/find #TAG: tickets with that tag)"),
        _("/stats — counts by state, the median first response, ratings"),
        _("/report — the report of the last seven days"),
        _("/faq ID — in a ticket: send that FAQ entry's answer to the customer"),
        _("/t ID — in a ticket: send that template, filled in, to the customer; /t WORD finds templates, "
          "/t alone lists them (also the card's 📎 Templates button)"),
        _("/ban [reason] — in a ticket: ban its customer (/ban ID [reason] for anybody by Telegram id)"),
        _("/unban ID — lift a ban"),
        _("/banned — who is banned, by whom, why and when"),
    ])
