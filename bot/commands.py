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
    """The agent group's menu."""
    return [
        BotCommand(command="queue", description=_("Open tickets by due time")),
        BotCommand(command="ticket", description=_("One ticket's card: /ticket N")),
        BotCommand(command="customer", description=_("A customer's history: /customer ID")),
        BotCommand(command="find", description=_("Tickets containing a text")),
        BotCommand(command="stats", description=_("Counts and response times")),
        BotCommand(command="report", description=_("The report of the last seven days")),
        BotCommand(command="faq", description=_("Send an FAQ answer: /faq ID")),
        BotCommand(command="t", description=_("Send a template: /t ID, or /t WORD to search")),
        BotCommand(command="tag", description=_("Tag the ticket: /tag NAME…")),
        BotCommand(command="untag", description=_("Take a tag off: /untag NAME")),
        BotCommand(command="duty", description=_("Go on or off duty: /duty on [LEVEL], /duty off")),
        BotCommand(command="assign", description=_("Assign the ticket: /assign [@username]")),
        BotCommand(command="unassign", description=_("Assign the ticket to nobody")),
        BotCommand(command="mine", description=_("My open tickets by due time")),
        BotCommand(command="note", description=_("An internal note on the ticket")),
        BotCommand(command="ban", description=_("Ban the ticket's customer, or /ban ID")),
        BotCommand(command="unban", description=_("Lift a ban: /unban ID")),
        BotCommand(command="banned", description=_("Who is banned, by whom, why")),
        BotCommand(command="help", description=_("The desk's commands")),
    ]


async def register_commands(bot: Bot, i18n: I18n) -> None:
    """One menu per language, and the default language's for everybody else: the customer's in
    private chats, the desk's in groups (the scope of all groups, so a start never fails on an agent
    group that is not there yet)."""
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
