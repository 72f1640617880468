"""What the request form shows: each step's prompt and buttons, and the preview."""

from __future__ import annotations

from datetime import datetime
from html import escape

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from babel.dates import format_datetime

from bot.callbacks import FormAction, FormCB
from bot.keyboard_builder import InlineKeyboardBuilder
from bot.telegram_text import MESSAGE_LIMIT, cut, shown_length
from desk.forms import CRITICALITY, DETAILS, TITLE, TYPE, Draft
from desk.settings import FormConfig
from desk.sla import SLA
from storage.models import Ticket

# Telegram's limit for a message, counted on the text as shown; HTML tags are not counted by it.


def criticality_label(key: str) -> str:
    return {
        "low": _("🟢 Low"),
        "normal": _("🟡 Normal"),
        "high": _("🟠 High"),
        "critical": _("🔴 Critical"),
    }.get(key, key)


def kind_label(kind: str) -> str:
    return {
        "photo": _("photos"),
        "document": _("documents"),
        "video": _("videos"),
        "voice": _("voice messages"),
        "audio": _("audio files"),
        "animation": _("animations"),
        "video_note": _("video notes"),
    }.get(kind, kind)


def _navigation(builder: InlineKeyboardBuilder, draft: Draft, *, back: bool = True) -> None:
    if back:
        builder.button(text=_("⬅️ Back"), callback_data=FormCB(action=FormAction.BACK, form=draft.form_id))
    builder.button(text=_("✖️ Cancel"), callback_data=FormCB(action=FormAction.CANCEL, form=draft.form_id))


def prompt(config: FormConfig, draft: Draft, step: str, language: str) -> tuple[str, InlineKeyboardMarkup]:
    """The message that asks for `step`, with its buttons."""
    builder = InlineKeyboardBuilder()
    sizes: list[int] = []
    if step == TITLE:
        text = _("New request. Name the problem briefly, in one line (up to {limit} characters).").format(
            limit=config.title_max_length
        )
        # The first step has nothing behind it; opened from the preview, Back returns there.
        _navigation(builder, draft, back=draft.editing)
        sizes = [2 if draft.editing else 1]
    elif step == TYPE:
        text = _("What kind of problem is it?")
        for item in config.types:
            mark = "✅ " if item.key == draft.problem_type else ""
            builder.button(
                text=mark + item.label.get(language),
                callback_data=FormCB(action=FormAction.TYPE, choice=item.key, form=draft.form_id),
            )
        sizes = [2] * ((len(config.types) + 1) // 2) + [2]
        _navigation(builder, draft)
    elif step.startswith("extra."):
        form_step = _extra_step(config, draft, step)
        text = escape(form_step.prompt.get(language))
        if not form_step.required:
            builder.button(text=_("⏭ Skip"), callback_data=FormCB(action=FormAction.SKIP, form=draft.form_id))
        sizes = [1] if not form_step.required else []
        _navigation(builder, draft)
        sizes.append(2)
    elif step == DETAILS:
        text = _(
            "Describe the problem in detail: what you did, what you expected, what happened. "
            "You can attach screenshots, documents, videos or voice messages (up to {limit} files), "
            "several at once. Press «Continue» when everything is sent."
        ).format(limit=config.max_attachments)
        builder.button(text=_("➡️ Continue"), callback_data=FormCB(action=FormAction.DONE, form=draft.form_id))
        _navigation(builder, draft)
        sizes = [1, 2]
    elif step == CRITICALITY:
        text = _(
            "How critical is it?\n"
            "🟢 Low — an improvement or a question that can wait\n"
            "🟡 Normal — something works wrong, there is a workaround\n"
            "🟠 High — a function does not work\n"
            "🔴 Critical — work has stopped"
        )
        for key in ("low", "normal", "high", "critical"):
            builder.button(
                text=criticality_label(key),
                callback_data=FormCB(action=FormAction.CRITICALITY, choice=key, form=draft.form_id),
            )
        _navigation(builder, draft)
        sizes = [2, 2, 2]
    else:
        return preview(config, draft, language)
    builder.adjust(*sizes) if sizes else builder.adjust(2)
    return text, builder.as_markup()


def back_only(draft: Draft) -> InlineKeyboardMarkup:
    """Back to the preview (a step entered from it: the coupon)."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅️ Back"), callback_data=FormCB(action=FormAction.BACK, form=draft.form_id))
    return builder.as_markup()


def _extra_step(config: FormConfig, draft: Draft, step: str):
    chosen = config.type(draft.problem_type)
    key = step.split(".", 1)[1]
    return next(item for item in chosen.steps if item.key == key)


def preview(config: FormConfig, draft: Draft, language: str) -> tuple[str, InlineKeyboardMarkup]:
    """Every field and every attachment count, with buttons to edit each, submit or cancel."""
    chosen = config.type(draft.problem_type)
    lines = [_("<b>Check your request</b>"), ""]
    lines.append(_("<b>Title:</b> {value}").format(value=escape(draft.title)))
    lines.append(_("<b>Type:</b> {value}").format(value=escape(chosen.label.get(language) if chosen else "—")))
    for step in chosen.steps if chosen else []:
        value = draft.fields.get(step.key) or "—"
        lines.append(f"<b>{escape(step.label.get(language))}:</b> {escape(value)}")
    lines.append(_("<b>Criticality:</b> {value}").format(value=criticality_label(draft.criticality)))
    details_at = len(lines)
    lines.append("")
    counts = draft.counts()
    if counts:
        described = ", ".join(f"{kind_label(kind)}: {count}" for kind, count in counts.items())
        lines.append(_("<b>Attachments:</b> {value}").format(value=described))
    else:
        lines.append(_("<b>Attachments:</b> none"))
    if draft.coupon:
        lines.append(_("<b>Coupon:</b> {code} — a special request").format(code=escape(draft.coupon)))
    lines += ["", _("After sending, the text cannot be changed, but you can add messages to the request.")]
    # Everything else first: the details get what is left of the message, measured as Telegram does
    # (the ticket keeps them whole; "…" says the preview shows a part).
    label = _("<b>Details:</b> {value}")
    room = MESSAGE_LIMIT - shown_length("\n".join(lines)) - shown_length(label.format(value="")) - 1
    details, rest = cut(draft.details, max(room, 0))
    lines[details_at] = label.format(value=escape(details) + ("…" if rest else "") if details else "—")

    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ Send the request"), callback_data=FormCB(action=FormAction.SUBMIT, form=draft.form_id))
    edits = [(TITLE, _("✏️ Title")), (TYPE, _("✏️ Type"))]
    edits += [(f"extra.{s.key}", "✏️ " + s.label.get(language)) for s in (chosen.steps if chosen else [])]
    edits += [(DETAILS, _("✏️ Details")), (CRITICALITY, _("✏️ Criticality"))]
    for step, label in edits:
        builder.button(text=label, callback_data=FormCB(action=FormAction.EDIT, choice=step, form=draft.form_id))
    builder.button(text=_("🎟 I have a coupon"), callback_data=FormCB(action=FormAction.COUPON, form=draft.form_id))
    builder.button(text=_("✖️ Cancel"), callback_data=FormCB(action=FormAction.CANCEL, form=draft.form_id))
    builder.adjust(1, *([2] * ((len(edits) + 1) // 2)), 1, 1)
    return "\n".join(lines), builder.as_markup()


def local_time(moment: datetime, sla: SLA, language: str) -> str:
    """A moment as the customer reads it: weekday, date and time in the desk's time zone."""
    return format_datetime(moment, "EEE d MMM, HH:mm", tzinfo=sla.calendar.tz, locale=language)


def outside_hours_notice(sla: SLA, ticket: Ticket, language: str) -> str:
    """For a ticket opened while support is closed (and its plan's clock is not around the clock):
    when support works, and by when to expect the first answer."""
    config = sla.config
    return _(
        "Support works {start}–{end} ({zone}) on working days, and now it is closed. "
        "Expect the first answer by {due}."
    ).format(
        start=config.work_start.strftime("%H:%M"),
        end=config.work_end.strftime("%H:%M"),
        zone=config.timezone,
        due=local_time(ticket.first_response_due, sla, language),
    )


def coupon_problem(problem: str) -> str:
    return {
        "unknown": _("There is no such coupon code for you. Check the code, or send the request without it."),
        "voided": _("This coupon was replaced by a newer code and is no longer valid."),
        "expired": _("This coupon has expired."),
        "spent": _("All the special requests of this coupon have been used."),
    }.get(problem, _("This coupon cannot be used."))
