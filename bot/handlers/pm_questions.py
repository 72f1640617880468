"""Free text in a private chat is a question: answer it from the FAQ, suggest, or offer a request."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import kb_view
from bot.callbacks import QuestionAction, QuestionCB
from bot.edits import edit_markup
from bot.form_steps import start_form
from bot.metrics import Metrics
from bot.settings import BotConfig
from bot.states import Ask
from desk.lifecycle import Actor, Refused
from desk.questions import Questions
from desk.visible import shows_nothing

# Albums whose answer is remembered (their items arrive one by one, in order).
ALBUMS_REMEMBERED = 10


async def question(message: Message, state: FSMContext, questions: Questions, metrics: Metrics) -> None:
    """A text, or a file with a caption: the text or the caption is the question."""
    await state.set_state(None)
    text = message.text or message.caption
    if shows_nothing(text):
        await not_text(message)
        return
    await _search(message, text, questions, metrics)


async def album_item(message: Message, state: FSMContext, questions: Questions, metrics: Metrics) -> None:
    """An album is one message: its caption is searched once; without one, one "text, please"."""
    await state.set_state(None)
    group = message.media_group_id
    answered: dict[str, str] = (await state.get_data()).get("album_answers", {})
    done = answered.get(group)
    captioned = not shows_nothing(message.caption)
    if done == "searched" or (done == "noticed" and not captioned):
        return
    kept = dict(list(answered.items())[-(ALBUMS_REMEMBERED - 1):])
    await state.update_data(album_answers={**kept, group: "searched" if captioned else "noticed"})
    if captioned:
        await _search(message, message.caption, questions, metrics)
    else:
        await not_text(message)


async def _search(message: Message, text: str, questions: Questions, metrics: Metrics) -> None:
    """Search the FAQ for `text` and answer, suggest, or offer a request."""
    asked = await questions.ask(message.from_user.id, text)
    metrics.searches.labels(asked.decision).inc()
    if asked.decision == "answer":
        await kb_view.send_answer(message, asked.entries[0], kb_view.feedback_buttons(asked.search_id))
    elif asked.decision == "suggest":
        await message.answer(
            _("I am not sure I understood. Is it one of these?"),
            reply_markup=kb_view.suggestion_buttons(asked.search_id, list(asked.entries)),
        )
    else:
        await message.answer(
            _("I did not find an answer to that in the knowledge base. "
              "Shall I open a request to our specialists with your question as its title?"),
            reply_markup=kb_view.request_button(asked.search_id, list(asked.active)),
        )


async def unknown_command(message: Message) -> None:
    await message.answer(_("I do not know this command. The commands I know are in /help."))


async def not_text(message: Message) -> None:
    await message.answer(_(
        "I understand text messages here. Write your question, or choose an action in the menu: /start"
    ))


async def picked(query: CallbackQuery, callback_data: QuestionCB, questions: Questions) -> None:
    try:
        chosen = await questions.pick(callback_data.search, callback_data.pick, query.from_user.id)
    except Refused:
        await query.answer(_("This answer is no longer available."), show_alert=True)
        return
    await query.answer()
    await kb_view.send_answer(query.message, chosen.entry, kb_view.feedback_buttons(chosen.search_id))


async def helped(query: CallbackQuery, callback_data: QuestionCB, questions: Questions) -> None:
    try:
        await questions.helped(callback_data.search, query.from_user.id)
    except Refused:
        await query.answer(_("This button is out of date."), show_alert=True)
        return
    await query.answer(_("Glad it helped!"))
    await edit_markup(query.message, None)


async def wants_request(query: CallbackQuery, callback_data: QuestionCB, state: FSMContext,
                        questions: Questions, config: BotConfig, language: str) -> None:
    """"Did not help", "none of these" or "open a request": the form, titled with the question."""
    try:
        wanted = await questions.wants_request(callback_data.search, query.from_user.id,
                                               not_helped=callback_data.action == QuestionAction.NO)
    except Refused:
        await query.answer(_("This button is out of date."), show_alert=True)
        return
    await query.answer()
    await edit_markup(query.message, None)
    await start_form(query.message, state, config, language, title=wanted.title, search_id=wanted.search_id)


async def append_to_ticket(query: CallbackQuery, callback_data: QuestionCB, questions: Questions) -> None:
    """"Add to request #N": the unanswered question goes to the customer's own ticket."""
    user = query.from_user
    try:
        number = await questions.add_to_ticket(callback_data.search, callback_data.pick,
                                               Actor(user.id, user.first_name), query.message.message_id)
    except Refused as refused:
        if refused.reason == "stale":
            await query.answer(_("This button is out of date."), show_alert=True)
        else:
            await query.answer(_("Request #{number} is closed.").format(number=refused.details["number"]),
                               show_alert=True)
        return
    await query.answer()
    await edit_markup(query.message, None)
    await query.message.answer(_("Added to request #{number}.").format(number=number))


def build_router() -> Router:
    """A new router with this module's handlers (each dispatcher gets its own)."""
    router = Router(name="pm_questions")
    router.message.register(question, StateFilter(None, Ask.question), F.text & ~F.text.startswith("/"))
    # In any state: a command is never content (of a question, a form step or a message to a ticket).
    router.message.register(unknown_command, F.text.startswith("/"))
    router.message.register(album_item, StateFilter(None, Ask.question), F.media_group_id)
    router.message.register(question, StateFilter(None, Ask.question), F.caption)
    router.message.register(not_text, StateFilter(None, Ask.question), ~F.text)
    router.callback_query.register(picked, QuestionCB.filter(F.action == QuestionAction.PICK))
    router.callback_query.register(helped, QuestionCB.filter(F.action == QuestionAction.YES))
    router.callback_query.register(wants_request,
                                   QuestionCB.filter(F.action.in_({QuestionAction.NO, QuestionAction.TICKET})))
    router.callback_query.register(append_to_ticket, QuestionCB.filter(F.action == QuestionAction.APPEND))
    return router
