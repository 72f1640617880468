"""What "My requests" shows: the list with its filters and pages, one ticket with its discussion,
and the small prompts around writing, closing and rating. Every text a person wrote is escaped."""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.callbacks import ListCB, MenuAction, MenuCB, StarsCB, TicketAction, TicketCB
from bot.form_view import criticality_label, local_time
from bot.keyboard_builder import InlineKeyboardBuilder
from bot.telegram_text import MESSAGE_LIMIT, shown_length
from desk.agent_actions import signature
from desk.conversation import TicketShown
from desk.customer_tickets import CLOSED, FILTERS, WAITING_FOR_CUSTOMER, Page, discussion, indicator
from desk.lifecycle import State
from desk.settings import DeskConfig
from desk.sla import SLA
from storage.models import Ticket, TicketMessage

# One message of the discussion is cut to this many characters, so several fit in the view.
ENTRY_LIMIT = 1000
BUTTON_TITLE_LIMIT = 40

DOTS = {CLOSED: "⚪", WAITING_FOR_CUSTOMER: "🔴"}


def dot(ticket: Ticket) -> str:
    return DOTS.get(indicator(ticket), "🟢")


def state_label(state: str) -> str:
    return {
        State.NEW: _("new"),
        State.OPEN: _("in progress"),
        State.WAITING: _("waiting for your answer"),
        State.RESOLVED: _("resolved"),
        State.CLOSED: _("closed"),
    }.get(state, state)


def filter_label(show: str) -> str:
    return {
        "open": _("Open"),
        "waiting": _("Waiting for me"),
        "closed": _("Closed"),
        "all": _("All"),
    }[show]


# --- where a ticket view returns to ---------------------------------------------------------


def list_position(show: str, page: int) -> int:
    """The list a ticket was opened from, packed in TicketCB.back (0: not opened from a list)."""
    return 1 + FILTERS.index(show) * 1000 + page


def position_of(value: int) -> tuple[str, int] | None:
    """(filter, page) packed by `list_position`, or None for 0 or a value that packs nothing."""
    if value < 1 or (value - 1) // 1000 >= len(FILTERS):
        return None
    return FILTERS[(value - 1) // 1000], (value - 1) % 1000


# --- the list --------------------------------------------------------------------------------


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ticket_list(page: Page, show: str) -> tuple[str, InlineKeyboardMarkup]:
    """The list message: a legend, one line per ticket, filter, page and ticket buttons."""
    builder = InlineKeyboardBuilder()
    for name in FILTERS:
        mark = "✅ " if name == show else ""
        builder.button(text=f"{mark}{filter_label(name)} ({page.counts[name]})", callback_data=ListCB(show=name))
    sizes = [2, 2]
    if page.total == 0:
        text = _("<b>My requests</b>\n\nYou have no requests yet.") if page.counts["all"] == 0 else _(
            "<b>My requests: {filter}</b>\n\nThere are no requests here."
        ).format(filter=filter_label(show))
        builder.button(text=_("📝 New request"), callback_data=MenuCB(action=MenuAction.NEW))
        sizes.append(1)
        builder.adjust(*sizes)
        return text, builder.as_markup()

    lines = [_("<b>My requests: {filter}</b>").format(filter=filter_label(show))]
    if page.pages > 1:
        lines[0] += " " + _("(page {page} of {pages})").format(page=page.page + 1, pages=page.pages)
    lines.append(_("⚪ closed · 🟢 waiting for support · 🔴 waiting for you"))
    lines.append("")
    for ticket in page.tickets:
        lines.append(f"{dot(ticket)} #{ticket.id} {escape(ticket.title)} — {state_label(ticket.state)}")

    navigation = 0
    if page.page > 0:
        builder.button(text="◀️", callback_data=ListCB(show=show, page=page.page - 1))
        navigation += 1
    if page.page < page.pages - 1:
        builder.button(text="▶️", callback_data=ListCB(show=show, page=page.page + 1))
        navigation += 1
    if navigation:
        sizes.append(navigation)
    position = list_position(show, page.page)
    for ticket in page.tickets:
        builder.button(
            text=f"{dot(ticket)} #{ticket.id} {_short(ticket.title, BUTTON_TITLE_LIMIT)}",
            callback_data=TicketCB(action=TicketAction.VIEW, ticket=ticket.id, back=position),
        )
        sizes.append(1)
    builder.adjust(*sizes)
    return "\n".join(lines), builder.as_markup()


# --- one ticket ------------------------------------------------------------------------------


def _author(message: TicketMessage, desk: DeskConfig) -> str:
    if message.author_kind == "customer":
        return _("👤 You")
    return "🎧 " + escape(signature(desk, message.author_name))


def _entry(message: TicketMessage, desk: DeskConfig, sla: SLA, language: str) -> str:
    head = f"<b>{_author(message, desk)}</b> · {local_time(message.created_at, sla, language)}"
    body = escape(_short(message.text, ENTRY_LIMIT)) if message.text else ""
    files = f"📎 {len(message.attachments)}" if message.attachments else ""
    return "\n".join(part for part in (head, body, files) if part)


def ticket_text(ticket: Ticket, desk: DeskConfig, sla: SLA, language: str) -> str:
    """The header and as much of the discussion as fits one message (the latest messages)."""
    header = "\n".join([
        _("<b>Request #{number}</b>: {title}").format(number=ticket.id, title=escape(ticket.title)),
        _("State: {state}").format(state=f"{dot(ticket)} {state_label(ticket.state)}"),
        _("Criticality: {value}").format(value=criticality_label(ticket.criticality)),
        _("Created: {when}").format(when=local_time(ticket.created_at, sla, language)),
    ])
    if ticket.state != State.CLOSED and ticket.reply_clock_since is not None and ticket.reply_due is not None:
        # Reopened: the new reply clock's due time.
        header += "\n" + _("Support will answer by {when}.").format(when=local_time(ticket.reply_due, sla, language))
    if ticket.rating:
        header += "\n" + _("Your rating: {stars}").format(stars="⭐" * ticket.rating)
    messages = discussion(ticket)
    entries: list[str] = []
    # Room for the header, the separators and the "earlier messages" line.
    room = MESSAGE_LIMIT - shown_length(header) - 120
    for message in reversed(messages):
        entry = _entry(message, desk, sla, language)
        if shown_length(entry) + 2 > room:
            break
        entries.append(entry)
        room -= shown_length(entry) + 2
    entries.reverse()
    parts = [header]
    hidden = len(messages) - len(entries)
    if hidden:
        parts.append(_("… earlier messages not shown: {count}").format(count=hidden))
    parts.extend(entries)
    return "\n\n".join(parts)


def ticket_buttons(shown: TicketShown, position: int) -> InlineKeyboardMarkup:
    """The buttons of what the customer may do with the ticket now, and the way back to the list."""
    number = shown.ticket.id
    builder = InlineKeyboardBuilder()
    if shown.can_write:
        builder.button(text=_("💬 Write a message"), callback_data=TicketCB(action=TicketAction.WRITE, ticket=number))
    if shown.can_rate:
        builder.button(text=_("⭐ Rate"), callback_data=TicketCB(action=TicketAction.RATE, ticket=number))
    if shown.can_reopen:
        builder.button(text=_("🔄 Reopen"),
                       callback_data=TicketCB(action=TicketAction.REOPEN, ticket=number, back=position))
    if shown.can_write:
        builder.button(text=_("🔒 Close"), callback_data=TicketCB(action=TicketAction.CLOSE, ticket=number))
    show, page = position_of(position) or ("all", 0)
    builder.button(text=_("⬅️ Back to the list"), callback_data=ListCB(show=show, page=page))
    builder.adjust(1)
    return builder.as_markup()


def refusal(reason: str, number: int, details: dict) -> str:
    """A polite text for a `Refused` reason (and for a ticket that is not the customer's)."""
    texts = {
        "not_yours": _("This request was not found among yours."),
        "closed": _("Request #{number} is closed. If the problem is back, reopen it in «My requests»."),
        "not_closed": _("Request #{number} is not closed, there is nothing to reopen."),
        "too_late": _("Request #{number} was closed more than {days} days ago and cannot be reopened. "
                      "Please send a new request."),
        "bad_score": _("Please choose from 1 to 5 stars."),
        "nothing_to_rate": _("You can rate request #{number} once support has answered it."),
        "already_rated": _("You have already rated request #{number}. Thank you!"),
        "too_long": _("That is too long: {actual} characters, the limit is {limit}. Please shorten it."),
    }
    text = texts.get(reason, _("This cannot be done with request #{number} now."))
    return text.format(number=number, **details)


# --- prompts ---------------------------------------------------------------------------------


def writing_prompt(number: int) -> str:
    return _(
        "Write your message for request #{number}: text, photos, documents, videos or voice messages. "
        "Each message you send is added to the request. Press «Done» when finished, or /cancel."
    ).format(number=number)


def done_button(number: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ Done"), callback_data=TicketCB(action=TicketAction.DONE, ticket=number))
    return builder.as_markup()


def close_confirmation(number: int) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🔒 Yes, close it"), callback_data=TicketCB(action=TicketAction.CLOSE_SURE, ticket=number))
    builder.button(text=_("↩️ No, keep it open"), callback_data=TicketCB(action=TicketAction.KEEP, ticket=number))
    builder.adjust(1)
    return _("Close request #{number}? Do it when the problem is solved.").format(number=number), builder.as_markup()


def stars(number: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for score in range(1, 6):
        builder.button(text="⭐" * score, callback_data=StarsCB(ticket=number, stars=score))
    builder.adjust(1)
    return builder.as_markup()


def rate_prompt(number: int) -> str:
    return _("How would you rate the help with request #{number}? 1 ⭐ — poor, 5 ⭐ — excellent.").format(
        number=number
    )


def skip_button(number: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⏭ Skip"), callback_data=TicketCB(action=TicketAction.SKIP, ticket=number))
    return builder.as_markup()


def without_stars(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """`markup` without its stars (None when nothing is left).

    Stars may stand under a relayed answer next to «Reply» and «Close»: rating drops only the stars.
    """
    if markup is None:
        return None
    rows = []
    for row in markup.inline_keyboard:
        kept = [button for button in row if not (button.callback_data or "").startswith(f"{StarsCB.__prefix__}:")]
        if kept:
            rows.append(kept)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
