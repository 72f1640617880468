"""The request form in the conversation: its draft in the FSM data, moving it to a step, starting
a new one, and telling a stale form button from a live one. Shared by the form's handlers, the
coupon's, and the question that turns into a request."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import form_view, replay
from bot.callbacks import FormCB
from bot.settings import BotConfig
from bot.states import Form
from desk import forms
from desk.forms import CRITICALITY, DETAILS, PREVIEW, TITLE, TYPE, Draft, FormInputError
from desk.intake import Intake

STATE_OF_STEP = {
    TITLE: Form.title,
    TYPE: Form.type,
    DETAILS: Form.details,
    CRITICALITY: Form.criticality,
    PREVIEW: Form.preview,
}


async def draft_of(state: FSMContext) -> Draft:
    """The form being filled in, from the conversation's data (an empty one if there is none)."""
    return Draft.from_data(await state.get_data())


async def save(state: FSMContext, draft: Draft, **extra) -> None:
    await state.update_data(draft=draft.to_data(), **extra)


async def show_step(message: Message, state: FSMContext, config: BotConfig, language: str, draft: Draft,
                    step: str, notice: str | None = None) -> None:
    """Move the form to `step` and ask for it (after `notice`, when the last answer did not fit)."""
    if step == PREVIEW:
        forms.edit_done(draft)
    text, markup = form_view.prompt(config.form, draft, step, language)
    await replay.step(state, Form.extra if step.startswith("extra.") else STATE_OF_STEP[step], message,
                      f"{notice}\n\n{text}" if notice else text, markup, draft=draft.to_data(), step=step)


async def start_form(message: Message, state: FSMContext, config: BotConfig, language: str, *,
                     title: str | None = None, search_id: int | None = None) -> None:
    """A new, empty form; with `title` (a question the FAQ did not answer) it starts at the type."""
    draft = Draft(search_id=search_id)
    await state.set_data({})
    if title:
        try:
            draft.title = forms.clean_text(title, config.form.title_max_length)
        except FormInputError:
            draft.title = ""
    await show_step(message, state, config, language, draft, TYPE if draft.title else TITLE)


async def current_form(query: CallbackQuery, callback_data: FormCB, state: FSMContext,
                       intake: Intake) -> Draft | None:
    """The draft this button belongs to, or None after telling the customer it is stale."""
    draft = await draft_of(state)
    if await state.get_state() is not None and callback_data.form == draft.form_id:
        return draft
    number = await intake.sent_as(callback_data.form, query.from_user.id)
    if number is not None:
        await query.answer(_("This request was already sent as #{number}.").format(number=number), show_alert=True)
    else:
        await query.answer(_("This button belongs to a form that is no longer open."), show_alert=True)
    return None
