"""Bans from the agent group: `/ban [reason]` in a ticket's topic (or replying to its card),
`/ban ID [reason]`, `/unban ID`, `/banned`. The rules are the desk's (`desk.bans`)."""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot import bans_view
from bot.handlers.group_desk import _agent, _place
from desk.bans import Bans
from desk.desk_chat import DeskChat
from desk.lifecycle import Refused
from desk.numbers import BIGINT_MAX, NotANumber, parse_id


def _refusal(error: Refused) -> str:
    if error.reason == "already":
        return _("Already banned by {name} since {when}.").format(
            name=escape(str(error.details.get("by") or "?")), when=bans_view.moment(error.details["since"]))
    return {
        "not_allowed": _("Only the desk's admins may ban and lift bans."),
        "no_ticket": _("Use /ban in a ticket's topic or as a reply to its card, or /ban TELEGRAM_ID."),
        "admin": _("An admin cannot be banned."),
        "not_banned": _("This person is not banned."),
    }.get(error.reason, _("Not possible now."))


def _leading_id(args: str) -> tuple[int | None, str]:
    """`/ban 123 reason`: the Telegram id the arguments start with (None if they do not), the rest."""
    first, _space, rest = args.strip().partition(" ")
    try:
        number = parse_id(first, BIGINT_MAX)
    except NotANumber:
        return None, args.strip()
    return number, rest.strip()


async def ban_command(message: Message, command: CommandObject, bans: Bans) -> None:
    telegram_id, reason = _leading_id(command.args or "")
    try:
        banned = await bans.ban(_agent(message), telegram_id=telegram_id,
                                place=_place(message) if telegram_id is None else None, reason=reason)
    except Refused as error:
        await message.reply(_refusal(error))
        return
    who = escape(banned.name) if banned.name else str(banned.telegram_id)
    text = _("🚫 {who} (id {id}) is banned: their messages create nothing and reach nobody.").format(
        who=who, id=banned.telegram_id)
    if banned.closed:
        text += "\n" + _("Closed quietly: {tickets}.").format(tickets=", ".join(f"#{n}" for n in banned.closed))
    await message.reply(text)


async def unban_command(message: Message, command: CommandObject, bans: Bans) -> None:
    telegram_id, _rest = _leading_id(command.args or "")
    if telegram_id is None:
        await message.reply(_("Usage: /unban TELEGRAM_ID"))
        return
    try:
        await bans.unban(_agent(message), telegram_id)
    except Refused as error:
        await message.reply(_refusal(error))
        return
    await message.reply(_("✅ The ban of {id} is lifted.").format(id=telegram_id))


async def banned_command(message: Message, bans: Bans) -> None:
    await message.reply(bans_view.show_bans(await bans.in_force()))


def build_router(desk_chat: DeskChat) -> Router:
    """A new router with this module's handlers, for the agent group only."""
    router = Router(name="group_bans")
    router.message.filter(lambda message: desk_chat.is_desk(message.chat.id))
    router.message.register(ban_command, Command("ban"))
    router.message.register(unban_command, Command("unban"))
    router.message.register(banned_command, Command("banned"))
    return router
