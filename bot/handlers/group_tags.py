"""Tags from the agent group: `/tag NAME…` and `/untag NAME` in a ticket's topic (or replying to
its card). The rules are the desk's (`desk.agent_actions`, `desk.tags`)."""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.card_view import tags_text
from bot.handlers.group_desk import _place, refusal
from desk.agent_actions import AgentDesk
from desk.desk_chat import DeskChat
from desk.lifecycle import Refused


def tag_refusal(error: Refused, usage: str) -> str:
    """Why a tag command did nothing, with its usage where that helps."""
    if error.reason == "no_ticket":
        return _("Use {usage} in a ticket's topic, or as a reply to its card.").format(usage=usage)
    if error.reason == "bad_tag":
        return _("«{name}» is not a tag: one word of letters, digits, _ or -, at most 32 characters. "
                 "Usage: {usage}").format(name=escape(str(error.details.get("name") or "")), usage=usage)
    return refusal(error)


async def tag_command(message: Message, command: CommandObject, agent_desk: AgentDesk) -> None:
    usage = "/tag NAME…"
    try:
        tagged = await agent_desk.tag(_place(message), (command.args or "").split())
    except Refused as error:
        await message.reply(tag_refusal(error, usage))
        return
    await message.reply(_("🏷 #{number}: {tags}").format(number=tagged.ticket_id, tags=tags_text(tagged.tags)))


async def untag_command(message: Message, command: CommandObject, agent_desk: AgentDesk) -> None:
    usage = "/untag NAME"
    try:
        tagged = await agent_desk.untag(_place(message), (command.args or "").strip())
    except Refused as error:
        await message.reply(tag_refusal(error, usage))
        return
    if not tagged.changed:
        await message.reply(_("#{number} has no such tag.").format(number=tagged.ticket_id))
        return
    await message.reply(_("🏷 #{number}: {tags}").format(
        number=tagged.ticket_id, tags=tags_text(tagged.tags) if tagged.tags else _("no tags")))


def build_router(desk_chat: DeskChat) -> Router:
    """A new router with this module's handlers, for the agent group only."""
    router = Router(name="group_tags")
    router.message.filter(lambda message: desk_chat.is_desk(message.chat.id))
    router.message.register(tag_command, Command("tag"))
    router.message.register(untag_command, Command("untag"))
    return router
