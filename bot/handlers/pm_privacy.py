"""A customer erases their own data (`/forgetme`), confirmed twice: the same erasure as
`frontdesk forget`, so the desk's anonymous counts stay whole."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.callbacks import ForgetAction, ForgetCB
from bot.edits import edit_text
from bot.filters import IsAdmin
from bot.keyboard_builder import InlineKeyboardBuilder
from desk.numbers import BIGINT_MAX, NotANumber, parse_id
from desk.privacy import Privacy

log = logging.getLogger(__name__)


def _choice(yes: str, yes_action: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=yes, callback_data=ForgetCB(action=yes_action))
    builder.button(text=_("✖️ Keep my data"), callback_data=ForgetCB(action=ForgetAction.KEEP))
    builder.adjust(1)
    return builder.as_markup()


async def forget_me(message: Message) -> None:
    await message.answer(
        _("This erases what you told us from our records: your name, your requests' texts and files, your "
          "questions and ratings' comments; your open requests are closed. It cannot be undone. (Messages "
          "already delivered to the support team's chat stay there.)\n\nErase your data?"),
        reply_markup=_choice(_("Yes, erase my data"), "sure"),
    )


async def first_yes(query: CallbackQuery) -> None:
    await query.answer()
    await edit_text(query.message, _("Are you sure? This is the last question: once erased, nothing can be "
                                     "brought back."), _choice(_("🗑 Erase everything now"), "erase"))


async def second_yes(query: CallbackQuery, state: FSMContext, privacy: Privacy) -> None:
    done = await privacy.forget(query.from_user.id)
    await state.clear()  # also where the conversation state lives outside the database (Redis)
    log.info("customer %s erased their data (%s)", query.from_user.id, "erased" if done else "nothing stored")
    await query.answer()
    await edit_text(query.message, _("Done: your data is erased. If you write again, we start afresh."), None)


async def forget_command(message: Message, command: CommandObject, bot: Bot, fsm_storage: BaseStorage,
                         privacy: Privacy) -> None:
    """`/forget TELEGRAM_ID` (admins): `frontdesk forget` inside the running bot, which also drops
    the conversation state this process holds for that person (a form in progress)."""
    try:
        telegram_id = parse_id((command.args or "").strip(), BIGINT_MAX)
    except NotANumber:
        telegram_id = None
    if telegram_id is None:
        await message.answer(_("Usage: /forget TELEGRAM_ID"))
        return
    done = await privacy.forget(telegram_id)
    key = StorageKey(bot_id=bot.id, chat_id=telegram_id, user_id=telegram_id)
    await fsm_storage.set_state(key, None)
    await fsm_storage.set_data(key, {})
    if done is None:
        await message.answer(_("No customer with id {id} has written to the bot yet.").format(id=telegram_id))
        return
    log.info("admin %s erased the data of customer %s", message.from_user.id, telegram_id)
    await message.answer(_("Customer {id} is forgotten: {tickets} requests kept without personal data.").format(
        id=telegram_id, tickets=done.tickets))


async def keep(query: CallbackQuery) -> None:
    await query.answer()
    await edit_text(query.message, _("Nothing was erased."), None)


def build_router() -> Router:
    """A new router with this module's handlers (each dispatcher gets its own)."""
    router = Router(name="pm_privacy")
    router.message.register(forget_me, Command("forgetme"))
    router.message.register(forget_command, Command("forget"), IsAdmin())
    router.callback_query.register(first_yes, ForgetCB.filter(F.action == ForgetAction.SURE))
    router.callback_query.register(second_yes, ForgetCB.filter(F.action == ForgetAction.ERASE))
    router.callback_query.register(keep, ForgetCB.filter(F.action == ForgetAction.KEEP))
    return router
