"""The command menu, registered in every language we speak."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from desk.customers import LANGUAGES


def private_commands() -> list[BotCommand]:
    return [
        BotCommand(command="start", description=_("Main menu")),
        BotCommand(command="new", description=_("New request")),
        BotCommand(command="requests", description=_("My requests")),
        BotCommand(command="language", description=_("Language")),
        BotCommand(command="help", description=_("Help")),
        BotCommand(command="cancel", description=_("Cancel")),
    ]


def desk_commands() -> list[BotCommand]:
    """The agent group's menu."""
    return [
        BotCommand(command="queue", description=_("Open tickets by due time")),
        BotCommand(command="ticket", description=_("One ticket's card: /ticket N")),
        BotCommand(command="find", description=_("Tickets containing a text")),
        BotCommand(command="stats", description=_("Counts and response times")),
        BotCommand(command="faq", description=_("Send an FAQ answer: /faq ID")),
        BotCommand(command="note", description=_("An internal note on the ticket")),
        BotCommand(command="ban", description=_("Ban the ticket's customer, or /ban ID")),
        BotCommand(command="unban", description=_("Lift a ban: /unban ID")),
        BotCommand(command="banned", description=_("Who is banned, by whom, why")),
        BotCommand(command="help", description=_("The desk's commands")),
    ]


async def register_commands(bot: Bot, i18n: I18n, desk_chat_id: int) -> None:
    """One menu per language, and the default language's for everybody else; the agent group
    (when there is one) gets the desk's menu."""
    if desk_chat_id:
        for language in LANGUAGES:
            with i18n.context(), i18n.use_locale(language):
                await bot.set_my_commands(desk_commands(), scope=BotCommandScopeChat(chat_id=desk_chat_id),
                                          language_code=language)
    scope = BotCommandScopeAllPrivateChats()
    for language in LANGUAGES:
        with i18n.context(), i18n.use_locale(language):
            await bot.set_my_commands(private_commands(), scope=scope, language_code=language)
    with i18n.context(), i18n.use_locale(i18n.default_locale):
        await bot.set_my_commands(private_commands(), scope=scope)
