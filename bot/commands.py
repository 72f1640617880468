"""The command menu, registered in every language we speak."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
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
    """The agent group's menu (the bot's groups are its desk: shown in every group it is in)."""
    return [
        BotCommand(command="queue", description=_("Open tickets by due time")),
        BotCommand(command="ticket", description=_("One ticket's card: /ticket N")),
        BotCommand(command="customer", description=_("A customer's history: /customer ID")),
        BotCommand(command="find", description=_("Tickets containing a text")),
        BotCommand(command="stats", description=_("The desk's numbers now")),
        BotCommand(command="report", description=_("The report of the last seven days")),
        BotCommand(command="faq", description=_("Send an FAQ answer: /faq ID")),
        BotCommand(command="help", description=_("What agents can do here")),
    ]


async def register_commands(bot: Bot, i18n: I18n) -> None:
    """One menu per language, and the default language's for everybody else."""
    scope = BotCommandScopeAllPrivateChats()
    for language in LANGUAGES:
        with i18n.context(), i18n.use_locale(language):
            await bot.set_my_commands(private_commands(), scope=scope, language_code=language)
    with i18n.context(), i18n.use_locale(i18n.default_locale):
        await bot.set_my_commands(private_commands(), scope=scope)
    groups = BotCommandScopeAllGroupChats()
    for language in LANGUAGES:
        with i18n.context(), i18n.use_locale(language):
            await bot.set_my_commands(desk_commands(), scope=groups, language_code=language)
    with i18n.context(), i18n.use_locale(i18n.default_locale):
        await bot.set_my_commands(desk_commands(), scope=groups)
