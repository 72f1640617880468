"""The request form in a private chat: title, type, the type's own steps, details, criticality,
preview, submit. Every step keeps its state on wrong input and says what it expects."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import form_view, kb_view, keyboards, replay
from bot.attachments import attachment_of
from bot.callbacks import FormAction, FormCB, MenuAction, MenuCB
from bot.edits import edit_markup
from bot.filters import NOT_A_COMMAND
from bot.form_steps import current_form, draft_of, save, show_step, start_form
from bot.metrics import Metrics
from bot.settings import BotConfig
from bot.states import Form
from desk import forms
from desk.customers import Person
from desk.forms import CRITICALITY, DETAILS, PREVIEW, TITLE, TYPE, Draft, FormInputError
from desk.intake import Intake
from desk.lifecycle import Refused
from desk.questions import Questions
from desk.sla import SLA

log = logging.getLogger(__name__)


def _input_error(error: FormInputError) -> str:
    if error.code == "empty":
        return _("That is empty. Please write it as text.")
    if error.code == "too_long":
        return _("That is too long: {actual} characters, the limit is {limit}. Please shorten it.").format(
            actual=error.actual, limit=error.limit
        )
    if error.code == "too_many":
        return _("At most {limit} files can be attached to one request; this one was not added.").format(
            limit=error.limit
        )
    if error.code == "unsupported":
        return _("This kind of file cannot be attached. Send photos, documents, videos or voice messages.")
    return _("This answer does not fit here.")


# --- starting ------------------------------------------------------------------------------


async def new_command(message: Message, state: FSMContext, config: BotConfig, language: str) -> None:
    await start_form(message, state, config, language)


async def new_button(query: CallbackQuery, state: FSMContext, config: BotConfig, language: str) -> None:
    await query.answer()
    await start_form(query.message, state, config, language)


# --- buttons common to every step ------------------------------------------------------------


async def cancel_button(query: CallbackQuery, callback_data: FormCB, state: FSMContext,
                        intake: Intake) -> None:
    if await current_form(query, callback_data, state, intake) is None:
        return
    await query.answer()
    await replay.step(state, None, query.message, _("The request was cancelled. What next?"), keyboards.main_menu(),
                      fresh=True)


async def back_button(query: CallbackQuery, callback_data: FormCB, state: FSMContext,
                      intake: Intake, config: BotConfig, language: str) -> None:
    draft = await current_form(query, callback_data, state, intake)
    if draft is None:
        return
    await query.answer()
    current = (await state.get_data()).get("step", TITLE)
    if await state.get_state() == Form.coupon.state:
        target = PREVIEW
    else:
        target = forms.previous_step(config.form, draft, current) or TITLE
    if target == PREVIEW:
        draft = forms.abandon_edit(draft)
    await show_step(query.message, state, config, language, draft, target)


# --- title ------------------------------------------------------------------------------------


async def title_entered(message: Message, state: FSMContext, config: BotConfig, language: str,
                        questions: Questions) -> None:
    draft = await draft_of(state)
    try:
        draft.title = forms.clean_text(message.text, config.form.title_max_length)
    except FormInputError as error:
        await message.answer(_input_error(error))
        return
    following = forms.next_step(config.form, draft, TITLE)
    if not draft.editing and await _deflect(message, state, draft, draft.title, following, questions):
        return
    await show_step(message, state, config, language, draft, following)


async def _deflect(message: Message, state: FSMContext, draft: Draft, text: str, resume: str,
                   questions: Questions) -> bool:
    """If the FAQ answers `text` confidently (with an entry not offered yet in this form), show
    the answer with "this solved it" / "still send my request" and return True."""
    offered = await questions.deflect(message.chat.id, text, draft.deflected, draft.search_id)
    if offered is None:
        return False
    draft.deflected.append(offered.entry.id)
    await state.set_state(Form.deflect)
    await save(state, draft, step=resume, deflect_search=offered.search_id)
    await message.answer(_("Maybe this answers it?"))
    await kb_view.send_answer(message, offered.entry, kb_view.deflection_buttons(draft.form_id))
    return True


async def deflection_answered(query: CallbackQuery, callback_data: FormCB, state: FSMContext,
                              intake: Intake, questions: Questions, config: BotConfig,
                              language: str) -> None:
    draft = await current_form(query, callback_data, state, intake)
    if draft is None:
        return
    data = await state.get_data()
    solved = callback_data.action == FormAction.SOLVED
    await questions.deflection_outcome(data.get("deflect_search", 0), query.from_user.id, solved)
    await query.answer()
    await edit_markup(query.message, None)
    if solved:
        await state.clear()
        await query.message.answer(_("Glad it helped! The request was not sent."),
                                   reply_markup=keyboards.main_menu())
        return
    await show_step(query.message, state, config, language, draft, data.get("step", TYPE))


async def deflect_not_button(message: Message) -> None:
    await message.answer(_("Please answer with the buttons above: did this solve it, or shall I send your request?"))


async def title_not_text(message: Message) -> None:
    await message.answer(_("Please send the title as a text message."))


# --- problem type ------------------------------------------------------------------------------


async def type_chosen(query: CallbackQuery, callback_data: FormCB, state: FSMContext,
                      intake: Intake, config: BotConfig, language: str) -> None:
    draft = await current_form(query, callback_data, state, intake)
    if draft is None:
        return
    try:
        forms.choose_type(config.form, draft, callback_data.choice)
    except FormInputError:
        await query.answer(_("This type is no longer offered; please choose another."), show_alert=True)
        return
    await query.answer()
    await show_step(query.message, state, config, language, draft, forms.next_step(config.form, draft, TYPE))


async def type_not_button(message: Message, state: FSMContext, config: BotConfig, language: str) -> None:
    await show_step(message, state, config, language, await draft_of(state), TYPE,
                    notice=_("Please choose the type with one of the buttons."))


# --- the type's own steps -----------------------------------------------------------------------


def _extra(config: BotConfig, draft: Draft, step: str):
    chosen = config.form.type(draft.problem_type)
    key = step.split(".", 1)[1]
    return next((item for item in chosen.steps if item.key == key), None) if chosen else None


async def extra_entered(message: Message, state: FSMContext, config: BotConfig, language: str) -> None:
    draft = await draft_of(state)
    step = (await state.get_data()).get("step", "")
    form_step = _extra(config, draft, step)
    if form_step is None:  # the config changed under a form in progress
        await show_step(message, state, config, language, draft, PREVIEW)
        return
    try:
        draft.fields[form_step.key] = forms.clean_text(message.text, config.form.field_max_length)
    except FormInputError as error:
        await message.answer(_input_error(error))
        return
    await show_step(message, state, config, language, draft, forms.next_step(config.form, draft, step))


async def extra_skipped(query: CallbackQuery, callback_data: FormCB, state: FSMContext,
                        intake: Intake, config: BotConfig, language: str) -> None:
    draft = await current_form(query, callback_data, state, intake)
    if draft is None:
        return
    step = (await state.get_data()).get("step", "")
    form_step = _extra(config, draft, step)
    if form_step is not None and form_step.required:
        await query.answer(_("This step cannot be skipped."), show_alert=True)
        return
    await query.answer()
    if form_step is not None:
        draft.fields.pop(form_step.key, None)
    await show_step(query.message, state, config, language, draft, forms.next_step(config.form, draft, step))


async def extra_not_text(message: Message) -> None:
    await message.answer(_("Please answer with a text message."))


# --- details -----------------------------------------------------------------------------------


async def details_message(message: Message, state: FSMContext, config: BotConfig, language: str) -> None:
    draft = await draft_of(state)
    # Every answer here carries the step's buttons, so «Continue» is always at hand.
    markup = form_view.prompt(config.form, draft, DETAILS, language)[1]
    attachment = attachment_of(message)
    text = message.text or message.caption or ""
    if attachment is None and not message.text:
        await message.answer(_(
            "This cannot be added to a request. Send text, photos, documents, videos or voice messages."
        ), reply_markup=markup)
        return
    try:
        if attachment is not None:
            forms.add_attachment(config.form, draft, attachment)
        added = forms.add_details(config.form, draft, text)
    except FormInputError as error:
        await message.answer(_input_error(error), reply_markup=markup)
        return
    if attachment is None and not added:
        await message.answer(_input_error(FormInputError("empty")), reply_markup=markup)
        return
    acknowledged = (await state.get_data()).get("acked_groups", [])
    if attachment is not None and attachment.media_group_id:
        # One acknowledgement per album, not one per picture.
        if attachment.media_group_id in acknowledged:
            await save(state, draft)
            return
        acknowledged = [*acknowledged[-9:], attachment.media_group_id]
    if attachment is not None:
        text = _("Attached. Files in the request: {count}. Send more, or press «Continue».").format(
            count=len(draft.attachments)
        )
    else:
        text = _("Added to the description. Send more, or press «Continue».")
    await replay.step(state, Form.details, message, text, markup, draft=draft.to_data(), acked_groups=acknowledged)


async def details_done(query: CallbackQuery, callback_data: FormCB, state: FSMContext,
                       intake: Intake, questions: Questions, config: BotConfig, language: str) -> None:
    draft = await current_form(query, callback_data, state, intake)
    if draft is None:
        return
    if not draft.details:
        await query.answer(_("Please describe the problem in a text message first."), show_alert=True)
        return
    await query.answer()
    following = forms.next_step(config.form, draft, DETAILS)
    if not draft.editing and await _deflect(query.message, state, draft, f"{draft.title}\n{draft.details}",
                                             following, questions):
        return
    await show_step(query.message, state, config, language, draft, following)


# --- criticality -------------------------------------------------------------------------------


async def criticality_chosen(query: CallbackQuery, callback_data: FormCB, state: FSMContext,
                             intake: Intake, config: BotConfig, language: str) -> None:
    draft = await current_form(query, callback_data, state, intake)
    if draft is None:
        return
    if callback_data.choice not in forms.CRITICALITIES:
        await query.answer(_("This button is out of date."), show_alert=True)
        return
    await query.answer()
    draft.criticality = callback_data.choice
    await show_step(query.message, state, config, language, draft, forms.next_step(config.form, draft, CRITICALITY))


async def criticality_not_button(message: Message, state: FSMContext, config: BotConfig, language: str) -> None:
    await show_step(message, state, config, language, await draft_of(state), CRITICALITY,
                    notice=_("Please choose the criticality with one of the buttons."))


# --- preview, edit, submit ---------------------------------------------------------------------


async def edit_field(query: CallbackQuery, callback_data: FormCB, state: FSMContext,
                     intake: Intake, config: BotConfig, language: str) -> None:
    draft = await current_form(query, callback_data, state, intake)
    if draft is None:
        return
    if callback_data.choice not in forms.steps(config.form, draft.problem_type)[:-1]:
        await query.answer(_("This button is out of date."), show_alert=True)
        return
    await query.answer()
    forms.begin_edit(draft, callback_data.choice)
    if callback_data.choice == DETAILS:
        await state.update_data(acked_groups=[])
    await show_step(query.message, state, config, language, draft, callback_data.choice)


async def submit(query: CallbackQuery, callback_data: FormCB, state: FSMContext,
                 intake: Intake, config: BotConfig, sla: SLA, language: str, metrics: Metrics) -> None:
    draft = await current_form(query, callback_data, state, intake)
    if draft is None:
        return
    user = query.from_user
    person = Person(user.id, user.first_name, user.username, user.language_code)
    try:
        sent = await intake.submit(person, draft)
    except Refused as refused:
        if refused.reason == "incomplete":
            await query.answer(_("Some fields are still empty."), show_alert=True)
            draft.editing = True
            await show_step(query.message, state, config, language, draft, refused.details["missing"][0])
            return
        draft.coupon = None
        await query.answer()
        await show_step(query.message, state, config, language, draft, PREVIEW,
                        notice=form_view.coupon_problem(refused.reason))
        return
    await query.answer()
    if sent.created:
        metrics.tickets.labels(sent.ticket.criticality).inc()
    log.info("ticket #%s opened by %s (created=%s)", sent.ticket.id, user.id, sent.created)
    await edit_markup(query.message, None)
    text = _("Your request #{number} is registered. Our specialists will answer here; "
             "you can follow it in «My requests».").format(number=sent.ticket.id)
    if sent.support_closed:
        text = f"{text}\n\n{form_view.outside_hours_notice(sla, sent.ticket, language)}"
    # The form is gone; what stays is the reply, for a redelivery of this press.
    await replay.step(state, None, query.message, text, keyboards.main_menu(), fresh=True)


async def preview_not_button(message: Message, state: FSMContext, config: BotConfig, language: str) -> None:
    await show_step(message, state, config, language, await draft_of(state), PREVIEW,
                    notice=_("Please use the buttons: send the request, edit a field, or cancel."))


async def stale_button(query: CallbackQuery, callback_data: FormCB, state: FSMContext,
                       intake: Intake) -> None:
    """A form button that fits no step now: already sent, cancelled, or pressed twice."""
    if await current_form(query, callback_data, state, intake) is not None:
        await query.answer(_("This button is out of date."), show_alert=True)


def build_router() -> Router:
    """A new router with this module's handlers (each dispatcher gets its own)."""
    router = Router(name="pm_form")
    router.message.register(new_command, Command("new"))
    router.callback_query.register(new_button, MenuCB.filter(F.action == MenuAction.NEW))
    router.callback_query.register(cancel_button, FormCB.filter(F.action == FormAction.CANCEL))
    router.callback_query.register(back_button, FormCB.filter(F.action == FormAction.BACK))
    router.message.register(title_entered, Form.title, F.text, NOT_A_COMMAND)
    router.message.register(title_not_text, Form.title, NOT_A_COMMAND)
    router.callback_query.register(deflection_answered, Form.deflect,
                                   FormCB.filter(F.action.in_({FormAction.SOLVED, FormAction.GO_ON})))
    router.message.register(deflect_not_button, Form.deflect, NOT_A_COMMAND)
    router.callback_query.register(type_chosen, Form.type, FormCB.filter(F.action == FormAction.TYPE))
    router.message.register(type_not_button, Form.type, NOT_A_COMMAND)
    router.message.register(extra_entered, Form.extra, F.text, NOT_A_COMMAND)
    router.callback_query.register(extra_skipped, Form.extra, FormCB.filter(F.action == FormAction.SKIP))
    router.message.register(extra_not_text, Form.extra, NOT_A_COMMAND)
    router.message.register(details_message, Form.details, NOT_A_COMMAND)
    router.callback_query.register(details_done, Form.details, FormCB.filter(F.action == FormAction.DONE))
    router.callback_query.register(criticality_chosen, Form.criticality,
                                   FormCB.filter(F.action == FormAction.CRITICALITY))
    router.message.register(criticality_not_button, Form.criticality, NOT_A_COMMAND)
    router.callback_query.register(edit_field, Form.preview, FormCB.filter(F.action == FormAction.EDIT))
    router.callback_query.register(submit, Form.preview, FormCB.filter(F.action == FormAction.SUBMIT))
    router.message.register(preview_not_button, Form.preview, NOT_A_COMMAND)
    router.callback_query.register(stale_button, FormCB.filter())
    return router
