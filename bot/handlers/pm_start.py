"""First contact in a private chat: /start, /help, /cancel, the main menu and the language."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot import keyboards
from bot.callbacks import LangCB, MenuAction, MenuCB
from bot.edits import edit_markup
from bot.states import Ask
from desk.intake import Intake
from desk.lifecycle import Refused


def greeting(first_name: str) -> str:
    """The /start greeting, safe HTML: the name is the person's own text."""
    return _(
        "Hello, {name}! I am the support desk.\n\n"
        "Ask me a question in your own words and I will look for the answer in our knowledge base. "
        "If it does not help, I will help you file a request to our specialists."
    ).format(name=escape(first_name))


def help_text() -> str:
    return _(
        "How I can help:\n"
        "• Ask a question: write it in your own words, I search the knowledge base.\n"
        "• New request: a short form; our specialists answer in this chat.\n"
        "• My requests: your requests, their state and the discussion.\n\n"
        "Commands: /start — main menu, /new — new request, /requests — my requests, "
        "/language — language, /cancel — stop what we are doing."
    )


async def start(message: Message, state: FSMContext) -> None:
    await state.clear()
    name = message.from_user.first_name if message.from_user else ""
    await message.answer(greeting(name), reply_markup=keyboards.main_menu())


async def help_command(message: Message) -> None:
    await message.answer(help_text(), reply_markup=keyboards.main_menu())


async def help_button(query: CallbackQuery) -> None:
    await query.answer()
    await query.message.answer(help_text(), reply_markup=keyboards.main_menu())


async def cancel(message: Message, state: FSMContext) -> None:
    if await state.get_state() is None:
        await message.answer(_("There is nothing to cancel."), reply_markup=keyboards.main_menu())
        return
    await state.clear()
    await message.answer(_("Cancelled. What next?"), reply_markup=keyboards.main_menu())


async def ask_button(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await state.set_state(Ask.question)
    await query.message.answer(_("Write your question in your own words."))


async def language_command(message: Message, language: str) -> None:
    await message.answer(
        _("Choose the language:"), reply_markup=keyboards.language_menu(language)
    )


async def language_button(query: CallbackQuery, language: str) -> None:
    await query.answer()
    await query.message.answer(
        _("Choose the language:"), reply_markup=keyboards.language_menu(language)
    )


async def language_chosen(
    query: CallbackQuery,
    callback_data: LangCB,
    intake: Intake,
    i18n: I18n,
) -> None:
    try:
        await intake.choose_language(query.from_user.id, callback_data.code)
    except Refused:
        await query.answer(_("This button is out of date."), show_alert=True)
        return
    with i18n.use_locale(callback_data.code):
        await query.answer()
        await edit_markup(query.message, keyboards.language_menu(callback_data.code))
        await query.message.answer(
            _("Done: I will speak English with you."), reply_markup=keyboards.main_menu()
        )


def build_router() -> Router:
    """A new router with this module's handlers (each dispatcher gets its own)."""
    router = Router(name="pm_start")
    router.message.register(start, CommandStart())
    router.message.register(help_command, Command("help"))
    router.callback_query.register(help_button, MenuCB.filter(F.action == MenuAction.HELP))
    router.message.register(cancel, Command("cancel"))
    router.callback_query.register(ask_button, MenuCB.filter(F.action == MenuAction.ASK))
    router.message.register(language_command, Command("language"))
    router.callback_query.register(language_button, MenuCB.filter(F.action == MenuAction.LANG))
    router.callback_query.register(language_chosen, LangCB.filter())
    return router
