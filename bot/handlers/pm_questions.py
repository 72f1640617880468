"""Free text in a private chat is a question: answer it from the FAQ, suggest, or offer a request."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import kb_view
from bot.callbacks import QuestionAction, QuestionCB
from bot.edits import edit_markup
from bot.handlers.pm_form import start_form
from bot.metrics import Metrics
from bot.outbox_worker import OutboxWorker
from bot.settings import BotConfig
from bot.states import Ask
from desk.clock import Clock
from desk.customer_tickets import list_page
from desk.lifecycle import Actor, Incoming, Policy, Refused, customer_writes
from desk.searches import own_search, record_search, set_outcome
from desk.tickets import own_ticket
from desk.visible import shows_nothing
from kb.base import KnowledgeBase

# Requests in progress offered for an unanswered question, newest activity first.
MAX_APPEND_CHOICES = 2
# Albums whose answer is remembered (their items arrive one by one, in order).
ALBUMS_REMEMBERED = 10


async def question(message: Message, state: FSMContext, kb: KnowledgeBase,
                   sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, metrics: Metrics) -> None:
    """A text, or a file with a caption: the text or the caption is the question."""
    await state.set_state(None)
    text = message.text or message.caption
    if shows_nothing(text):
        await not_text(message)
        return
    await _search(message, text, kb, sessionmaker, clock, metrics)


async def album_item(message: Message, state: FSMContext, kb: KnowledgeBase,
                     sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, metrics: Metrics) -> None:
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
        await _search(message, message.caption, kb, sessionmaker, clock, metrics)
    else:
        await not_text(message)


async def _search(message: Message, text: str, kb: KnowledgeBase, sessionmaker: async_sessionmaker[AsyncSession],
                  clock: Clock, metrics: Metrics) -> None:
    """Search the FAQ for `text` and answer, suggest, or offer a request."""
    result = kb.search(text)
    metrics.searches.labels(result.decision).inc()
    async with sessionmaker.begin() as session:
        search = await record_search(session, message.from_user.id, result, clock.now())
    if result.decision == "answer":
        entry = kb.get(result.matches[0].id)
        await kb_view.send_answer(message, entry, kb_view.feedback_buttons(search.id))
    elif result.decision == "suggest":
        entries = [entry for match in result.matches[:3] if (entry := kb.get(match.id))]
        await message.answer(
            _("I am not sure I understood. Is it one of these?"),
            reply_markup=kb_view.suggestion_buttons(search.id, entries),
        )
    else:
        async with sessionmaker() as session:
            active = (await list_page(session, message.from_user.id, "open", 0, MAX_APPEND_CHOICES)).tickets
        await message.answer(
            _("I did not find an answer to that in the knowledge base. "
              "Shall I open a request to our specialists with your question as its title?"),
            reply_markup=kb_view.request_button(search.id, active),
        )


async def unknown_command(message: Message) -> None:
    await message.answer(_("I do not know this command. The commands I know are in /help."))


async def not_text(message: Message) -> None:
    await message.answer(_(
        "I understand text messages here. Write your question, or choose an action in the menu: /start"
    ))


async def picked(query: CallbackQuery, callback_data: QuestionCB, kb: KnowledgeBase,
                 sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker.begin() as session:
        search = await own_search(session, callback_data.search, query.from_user.id)
        entry_id = None
        if search is not None and 0 <= callback_data.pick < len(search.offered):
            entry_id = search.offered[callback_data.pick]
            search.entry_id = entry_id
    entry = kb.get(entry_id) if entry_id else None
    if entry is None:
        await query.answer(_("This answer is no longer available."), show_alert=True)
        return
    await query.answer()
    await kb_view.send_answer(query.message, entry, kb_view.feedback_buttons(search.id))


async def helped(query: CallbackQuery, callback_data: QuestionCB,
                 sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker.begin() as session:
        search = await set_outcome(session, callback_data.search, query.from_user.id, "helped")
    if search is None:
        await query.answer(_("This button is out of date."), show_alert=True)
        return
    await query.answer(_("Glad it helped!"))
    await edit_markup(query.message, None)


async def wants_request(query: CallbackQuery, callback_data: QuestionCB, state: FSMContext,
                        sessionmaker: async_sessionmaker[AsyncSession], config: BotConfig, language: str) -> None:
    """"Did not help", "none of these" or "open a request": the form, titled with the question."""
    outcome = "not_helped" if callback_data.action == QuestionAction.NO else None
    async with sessionmaker.begin() as session:
        search = await own_search(session, callback_data.search, query.from_user.id)
        if search is not None and outcome:
            search.outcome = outcome
    if search is None:
        await query.answer(_("This button is out of date."), show_alert=True)
        return
    await query.answer()
    await edit_markup(query.message, None)
    await start_form(query.message, state, config, language, title=search.query, search_id=search.id)


async def append_to_ticket(query: CallbackQuery, callback_data: QuestionCB,
                           sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, worker: OutboxWorker,
                           policy: Policy) -> None:
    """"Add to request #N": the unanswered question goes to the customer's own ticket."""
    user = query.from_user
    problem = None
    async with sessionmaker.begin() as session:
        search = await own_search(session, callback_data.search, user.id)
        ticket = await own_ticket(session, callback_data.pick, user.id, for_update=True) if search else None
        if ticket is None:
            problem = _("This button is out of date.")
        else:
            incoming = Incoming(chat_id=user.id, message_id=query.message.message_id, text=search.query,
                                html=escape(search.query))
            try:
                await customer_writes(session, ticket, Actor(user.id, user.first_name), incoming, clock.now(),
                                     policy)
            except Refused:
                problem = _("Request #{number} is closed.").format(number=ticket.id)
    if problem is not None:
        await query.answer(problem, show_alert=True)
        return
    worker.wake()
    await query.answer()
    await edit_markup(query.message, None)
    await query.message.answer(_("Added to request #{number}.").format(number=ticket.id))


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
