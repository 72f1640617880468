"""How FAQ answers and suggestions look in the chat."""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.callbacks import FormAction, FormCB, QuestionAction, QuestionCB
from bot.keyboard_builder import InlineKeyboardBuilder
from kb.entries import Entry
from kb.render import answer_to_html
from storage.models import Ticket


def feedback_buttons(search_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ Helped"), callback_data=QuestionCB(action=QuestionAction.YES, search=search_id))
    builder.button(
        text=_("❌ Did not help — contact support"),
        callback_data=QuestionCB(action=QuestionAction.NO, search=search_id),
    )
    builder.adjust(1)
    return builder.as_markup()


def deflection_buttons(form_id: str) -> InlineKeyboardMarkup:
    """Under an answer offered inside the request form: it solved it, or send the request anyway."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ This solved it"), callback_data=FormCB(action=FormAction.SOLVED, form=form_id))
    builder.button(text=_("📨 Still send my request"), callback_data=FormCB(action=FormAction.GO_ON, form=form_id))
    builder.adjust(1)
    return builder.as_markup()


def suggestion_buttons(search_id: int, entries: list[Entry]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for position, entry in enumerate(entries):
        builder.button(
            text=entry.title[:60], callback_data=QuestionCB(action=QuestionAction.PICK, search=search_id, pick=position)
        )
    builder.button(
        text=_("🙋 None of these — contact support"),
        callback_data=QuestionCB(action=QuestionAction.NO, search=search_id),
    )
    builder.adjust(1)
    return builder.as_markup()


def request_button(search_id: int, active: list[Ticket]) -> InlineKeyboardMarkup:
    """Open a request with the question; or, for a customer with requests in progress, add the
    message to one of them (they may simply be answering support)."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📝 Open a request"),
                   callback_data=QuestionCB(action=QuestionAction.TICKET, search=search_id))
    for ticket in active:
        label = _("➕ Add to request #{number} «{title}»").format(number=ticket.id, title=ticket.title[:30])
        builder.button(text=label,
                       callback_data=QuestionCB(action=QuestionAction.APPEND, search=search_id, pick=ticket.id))
    builder.adjust(1)
    return builder.as_markup()


async def send_answer(message: Message, entry: Entry, markup: InlineKeyboardMarkup | None) -> None:
    """The entry's answer, split into messages Telegram accepts; the buttons go under the last."""
    chunks = answer_to_html(entry.answer)
    chunks[0] = f"<b>{escape(entry.title)}</b>\n\n{chunks[0]}"
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        await message.answer(chunk, reply_markup=markup if last else None)
