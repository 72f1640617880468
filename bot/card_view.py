"""The ticket card in the agent group: its text, its buttons and its topic's name."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date

from bot.callbacks import CardAction, CardCB, SuggestCB, TemplateAction, TemplateCB
from bot.form_view import criticality_label, kind_label, local_time
from bot.keyboard_builder import InlineKeyboardBuilder
from bot.settings import BotConfig
from bot.telegram_text import MESSAGE_LIMIT, cut, shown_length
from desk.customer_context import CustomerContext, CustomerHistory, PastTicket
from desk.lifecycle import MAX_LEVEL
from desk.sla import SLA
from kb.entries import Entry
from storage.models import Ticket

TOPIC_NAME_LIMIT = 128
# How a card's text begins as Telegram shows it (see `_head`): "🎫 #12 · ...".
CARD_NUMBER = re.compile(r"^🎫 #(\d+) ")
# How much of an earlier ticket's title the card shows.
PAST_TITLE = 40
CRITICALITY_MARK = {"low": "🟢", "normal": "🟡", "high": "🟠", "critical": "🔴"}
# Callback data holds at most 64 bytes: a longer entry id is listed on the card without a button.
SUGGESTION_ID_LIMIT = 40
SUGGESTION_MARKS = ("1️⃣", "2️⃣", "3️⃣")


def state_label(state: str) -> str:
    return {
        "new": _("🆕 new"),
        "open": _("🛠 in progress"),
        "waiting": _("⏳ waiting for the customer"),
        "resolved": _("✅ resolved"),
        "closed": _("🔒 closed"),
    }.get(state, state)


def tags_text(names: Sequence[str]) -> str:
    """Tags as agents write them: "#billing #vip" (safe HTML)."""
    return " ".join(f"#{escape(name)}" for name in names)


def topic_name(ticket: Ticket) -> str:
    name = f"#{ticket.id} {CRITICALITY_MARK.get(ticket.criticality, '')} {ticket.title}"
    return name[:TOPIC_NAME_LIMIT]


def duration_text(delta: timedelta) -> str:
    """A span of time as agents read it: `5h07m`, `-0h30m`."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _due_line(label: str, due: datetime | None, done: datetime | None, sla: SLA, language: str, now: datetime) -> str:
    if due is None:
        return f"{label}: " + _("by agreement")
    when = local_time(due, sla, language)
    if done is not None:
        return f"{label}: {when} " + (_("✔ met") if done <= due else _("✖ late"))
    status = _("{left} left").format(left=duration_text(due - now)) if due > now else _(
        "⚠️ overdue by {left}").format(left=duration_text(now - due))
    return f"{label}: {when} ({status})"


def card_text(ticket: Ticket, config: BotConfig, sla: SLA, now: datetime,
              context: CustomerContext | None = None, suggestions: Sequence[Entry] = ()) -> str:
    """Every field of the ticket (and, given, who the customer is to the desk and the FAQ answers
    suggested for it), safe HTML, within Telegram's message limit; details that do not fit end in
    "…" (their rest: `details_rest`)."""
    head = _head(ticket, config, sla, now, context, suggestions)
    shown, rest = _details_parts(ticket, head)
    if not shown:
        return head
    more = "…" if rest else ""
    return f"{head}\n\n<blockquote>{escape(shown)}{more}</blockquote>"


def _head(ticket: Ticket, config: BotConfig, sla: SLA, now: datetime, context: CustomerContext | None,
          suggestions: Sequence[Entry]) -> str:
    """The card without the details."""
    language = config.desk.language
    customer = ticket.customer
    who = escape(customer.first_name or "—")
    if customer.username:
        who += f" (@{escape(customer.username)})"
    who += f", id <code>{customer.telegram_id}</code>"
    if customer.blocked_bot:
        who += " " + _("⛔ blocked the bot: answers cannot be delivered")
    chosen = config.form.type(ticket.problem_type)
    lines = [
        f"🎫 <b>#{ticket.id}</b> · {criticality_label(ticket.criticality)}"
        + (" · ⬆️ " + _("priority") if ticket.priority else ""),
        f"<b>{escape(ticket.title)}</b>",
        "",
        _("Customer: {who}").format(who=who),
        _("Type: {value}").format(value=escape(chosen.label.get(language) if chosen else ticket.problem_type)),
    ]
    for step in chosen.steps if chosen else []:
        value = ticket.fields.get(step.key)
        if value:
            lines.append(f"{escape(step.label.get(language))}: {escape(value)}")
    if context is not None:
        lines.extend(customer_lines(context, config, sla))
    lines.append(_("Plan: {plan} · support level {level}").format(plan=escape(ticket.plan), level=ticket.support_level))
    state = state_label(ticket.state)
    if ticket.assignee_name:
        state += " · " + _("taken by {name}").format(name=escape(ticket.assignee_name))
    elif ticket.unassigned_reason and ticket.state != "closed":
        state += " · " + (_("⚠️ nobody can take it: every agent on duty is at the cap")
                          if ticket.unassigned_reason == "all_full" else _("⚠️ nobody can take it: nobody is on duty"))
    lines.append(_("State: {state}").format(state=state))
    if ticket.tags:
        lines.append(_("Tags: {tags}").format(tags=tags_text([tag.name for tag in ticket.tags])))
    if ticket.state != "closed":
        lines.append(_due_line(_("First response due"), ticket.first_response_due, ticket.first_response_at,
                               sla, language, now))
        lines.append(_due_line(_("Resolution due"), ticket.resolution_due, ticket.resolved_at, sla, language, now))
        if ticket.reply_clock_since is not None and ticket.reply_due is not None:
            # Reopened (or written to after it was resolved): support owes an answer again.
            lines.append(_due_line(_("Answer due since reopening"), ticket.reply_due, None, sla, language, now))
    counts: dict[str, int] = {}
    for message in ticket.messages[:1]:
        for attachment in message.attachments:
            counts[attachment.kind] = counts.get(attachment.kind, 0) + 1
    if counts:
        lines.append(_("Attachments: {value}").format(
            value=", ".join(f"{kind_label(kind)}: {count}" for kind, count in counts.items())))
    if ticket.rating:
        lines.append(_("Rating: {stars}").format(stars="★" * ticket.rating + "☆" * (5 - ticket.rating)))
    if suggestions and ticket.state != "closed":
        lines += ["", _("💡 Suggested answers:")]
        lines += [f"{mark} {escape(entry.title)} (<code>{escape(entry.id)}</code>)"
                  for mark, entry in zip(SUGGESTION_MARKS, suggestions, strict=False)]
    return "\n".join(lines)


def _details_parts(ticket: Ticket, head: str) -> tuple[str, str]:
    """The details as far as they fit the card after `head` (measured as Telegram measures),
    and the rest, which goes to the ticket's thread after the card."""
    # "\n\n" before the quote, and "…" when cut.
    room = MESSAGE_LIMIT - shown_length(head) - 3
    return cut(ticket.details or "", max(room, 0))


def details_rest(ticket: Ticket, config: BotConfig, sla: SLA, now: datetime,
                 context: CustomerContext | None = None, suggestions: Sequence[Entry] = ()) -> str:
    """The part of the details the card cannot hold ("" when it holds them all)."""
    return _details_parts(ticket, _head(ticket, config, sla, now, context, suggestions))[1]


def _past_line(past: PastTicket, config: BotConfig, sla: SLA) -> str:
    day = format_date(past.created_at.astimezone(sla.calendar.tz), "d MMM yyyy", locale=config.desk.language)
    return f"  #{past.number} «{escape(past.title[:PAST_TITLE])}» · {state_label(past.state)} · {day}"


def _standing(context: CustomerContext) -> str:
    rating = (_("average rating given {average:.1f}★ ({count})").format(average=context.average_rating,
                                                                      count=context.ratings)
              if context.average_rating is not None else _("no ratings given"))
    return _("Customer's plan: {plan} · coupons left: {coupons} · {rating}").format(
        plan=escape(context.plan or "—"), coupons=context.coupons_left, rating=rating)


def customer_lines(context: CustomerContext, config: BotConfig, sla: SLA) -> list[str]:
    """The card's lines about the customer: their earlier tickets (how many, the last three), their
    plan, coupons left and the average rating they gave."""
    if not context.earlier:
        lines = [_("Earlier requests: none")]
    else:
        lines = [_("Earlier requests: {count}").format(count=context.earlier)]
        lines.extend(_past_line(past, config, sla) for past in context.last)
    lines.append(_standing(context))
    return lines


def customer_history_text(history: CustomerHistory, config: BotConfig, sla: SLA) -> str:
    """`/customer ID [PAGE]`: the customer and a page of their tickets, newest first, with the
    command for the next (older) page."""
    who = escape(history.first_name or "—")
    if history.username:
        who += f" (@{escape(history.username)})"
    lines = [_("👤 <b>{who}</b>, id <code>{id}</code>").format(who=who, id=history.telegram_id),
             _standing(history.context), "",
             _("Requests: {count}").format(count=history.context.earlier)]
    if history.pages > 1:
        lines[-1] += " · " + _("page {page} of {pages}").format(page=history.page, pages=history.pages)
    lines.extend(_past_line(past, config, sla) for past in history.tickets)
    if history.page < history.pages:
        lines += ["", _("Older: /customer {id} {page}").format(id=history.telegram_id, page=history.page + 1)]
    return "\n".join(lines)


def details_continued(ticket: Ticket, rest: str) -> str:
    """The message after the card with the rest of the details, safe HTML (may need splitting)."""
    return _("📄 #{number}, the details continued:").format(number=ticket.id) + \
        f"\n<blockquote>…{escape(rest)}</blockquote>"


def card_buttons(ticket: Ticket, suggestions: Sequence[Entry] = ()) -> InlineKeyboardMarkup | None:
    """The card's buttons: the life cycle's, then one per suggested answer ("send it")."""
    if ticket.state == "closed":
        return None
    builder = InlineKeyboardBuilder()
    if ticket.assignee_id is None:
        builder.button(text=_("🙋 Take"), callback_data=CardCB(action=CardAction.TAKE, ticket=ticket.id))
    else:
        builder.button(text=_("↩️ Release"), callback_data=CardCB(action=CardAction.RELEASE, ticket=ticket.id))
    builder.button(text=_("⬆️ Priority"), callback_data=CardCB(action=CardAction.PRIORITY, ticket=ticket.id))
    if ticket.support_level < MAX_LEVEL:
        builder.button(text=_("⏫ Escalate to L{level}").format(level=ticket.support_level + 1),
                       callback_data=CardCB(action=CardAction.ESCALATE, ticket=ticket.id))
    if ticket.state != "waiting":
        builder.button(text=_("⏳ Waiting for customer"),
                       callback_data=CardCB(action=CardAction.WAITING, ticket=ticket.id))
    if ticket.state != "resolved":
        builder.button(text=_("✅ Resolve"), callback_data=CardCB(action=CardAction.RESOLVE, ticket=ticket.id))
    builder.button(text=_("🔒 Close"), callback_data=CardCB(action=CardAction.CLOSE, ticket=ticket.id))
    builder.button(text=_("📎 Templates"), callback_data=TemplateCB(action=TemplateAction.LIST, ticket=ticket.id))
    builder.adjust(2)
    for position, entry in enumerate(suggestions[:len(SUGGESTION_MARKS)], start=1):
        if len(entry.id) > SUGGESTION_ID_LIMIT or ":" in entry.id:
            continue  # does not fit callback data; `/faq ID` sends it
        builder.row(InlineKeyboardButton(
            text=_("{mark} Send: {title}").format(mark=SUGGESTION_MARKS[position - 1], title=entry.title[:40]),
            callback_data=SuggestCB(ticket=ticket.id, position=position, entry=entry.id).pack(),
        ))
    return builder.as_markup()


def number_on_card(text: str) -> int | None:
    """The ticket number a card's text (as Telegram shows it, without markup) begins with."""
    found = CARD_NUMBER.match(text)
    return int(found.group(1)) if found else None
