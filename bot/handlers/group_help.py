"""`/help` in the agent group: the desk's commands."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from desk.desk_chat import DeskChat


def desk_help_text() -> str:
    return _(
        "<b>The desk's commands</b>\n"
        "Write in a ticket's topic (or reply to its card) to answer the customer; "
        "start with the note prefix or /note for an internal note.\n"
        "/queue — open tickets by due time\n"
        "/ticket N — one ticket's card\n"
        "/find TEXT — tickets containing a text\n"
        "/stats — counts and response times\n"
        "/faq ID — send an FAQ answer to the ticket's customer\n"
        "/ban [reason] — in a ticket's topic or replying to its card: ban its customer "
        "(/ban ID [reason] for anybody by Telegram id)\n"
        "/unban ID — lift a ban\n"
        "/banned — who is banned, by whom, why and when"
    )


async def help_command(message: Message) -> None:
    await message.reply(desk_help_text())


def build_router(desk_chat: DeskChat) -> Router:
    """A new router with this module's handlers, for the agent group only."""
    router = Router(name="group_help")
    router.message.filter(lambda message: desk_chat.is_desk(message.chat.id))
    router.message.register(help_command, Command("help"))
    return router
