"""A customer erases their own data (`/forgetme`), confirmed twice: the same erasure as
`frontdesk forget`, so the desk's anonymous counts stay whole."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import ForgetCB
from bot.edits import edit_text
from desk.privacy import forget_customer

log = logging.getLogger(__name__)


def _choice(yes: str, yes_action: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=yes, callback_data=ForgetCB(action=yes_action))
    builder.button(text=_("✖️ Keep my data"), callback_data=ForgetCB(action="keep"))
    builder.adjust(1)
    return builder.as_markup()


async def forget_me(message: Message) -> None:
    await message.answer(
        _("This erases what you told us: your name, your requests' texts and files, your questions and ratings' "
          "comments. Support will no longer see them, and it cannot be undone.\n\nErase your data?"),
        reply_markup=_choice(_("Yes, erase my data"), "sure"),
    )


async def first_yes(query: CallbackQuery) -> None:
    await query.answer()
    await edit_text(query.message, _("Are you sure? This is the last question: once erased, nothing can be "
                                     "brought back."), _choice(_("🗑 Erase everything now"), "erase"))


async def second_yes(query: CallbackQuery, state: FSMContext, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker.begin() as session:
        done = await forget_customer(session, query.from_user.id)
    await state.clear()  # also where the conversation state lives outside the database (Redis)
    log.info("customer %s erased their data (%s)", query.from_user.id, "erased" if done else "nothing stored")
    await query.answer()
    await edit_text(query.message, _("Done: your data is erased. If you write again, we start afresh."), None)


async def keep(query: CallbackQuery) -> None:
    await query.answer()
    await edit_text(query.message, _("Nothing was erased."), None)


def build_router() -> Router:
    """A new router with this module's handlers (each dispatcher gets its own)."""
    router = Router(name="pm_privacy")
    router.message.register(forget_me, Command("forgetme"))
    router.callback_query.register(first_yes, ForgetCB.filter(F.action == "sure"))
    router.callback_query.register(second_yes, ForgetCB.filter(F.action == "erase"))
    router.callback_query.register(keep, ForgetCB.filter(F.action == "keep"))
    return router
