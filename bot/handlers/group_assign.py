"""Duty and assignment from the agent group: `/duty on|off [LEVEL]`, `/assign [@username]` (in a
ticket's topic or replying to its card), `/unassign`, `/mine`. The rules are the desk's
(`desk.assignments`, `desk.assignment`)."""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot import assign_view
from bot.handlers.group_desk import _agent, _place, refusal
from desk.assignments import Assignments
from desk.clock import Clock
from desk.desk_chat import DeskChat
from desk.lifecycle import Refused


def _refusal(error: Refused, usage: str) -> str:
    return {
        "no_ticket": _("Use {usage} in a ticket's topic, or as a reply to its card.").format(usage=usage),
        "unknown_agent": _("I do not know @{username}: an agent becomes known with /duty.").format(
            username=escape(str(error.details.get("username") or ""))),
        "bad_level": _("Usage: /duty on [LEVEL 1–3] or /duty off"),
    }.get(error.reason) or refusal(error)


async def duty_command(message: Message, command: CommandObject, assignments: Assignments) -> None:
    words = (command.args or "").split()
    if not words or words[0] not in ("on", "off") or len(words) > 2 or (len(words) == 2 and not words[1].isdigit()):
        await message.reply(_("Usage: /duty on [LEVEL 1–3] or /duty off"))
        return
    try:
        duty = await assignments.duty(_agent(message), message.from_user.username, words[0] == "on",
                                      int(words[1]) if len(words) == 2 else 1)
    except Refused as error:
        await message.reply(_refusal(error, "/duty"))
        return
    await message.reply(assign_view.show_duty(duty))


async def assign_command(message: Message, command: CommandObject, assignments: Assignments) -> None:
    username = (command.args or "").strip() or None
    try:
        assigned = await assignments.assign(_place(message), _agent(message), message.from_user.username, username)
    except Refused as error:
        await message.reply(_refusal(error, "/assign [@username]"))
        return
    await message.reply(_("👤 #{number} is assigned to {name}.").format(
        number=assigned.ticket_id, name=escape(assigned.name or "?")))


async def unassign_command(message: Message, assignments: Assignments) -> None:
    try:
        assigned = await assignments.unassign(_place(message))
    except Refused as error:
        await message.reply(_refusal(error, "/unassign"))
        return
    await message.reply(_("👤 #{number} is assigned to nobody now.").format(number=assigned.ticket_id))


async def mine_command(message: Message, assignments: Assignments, clock: Clock) -> None:
    await message.reply(assign_view.show_mine(await assignments.mine(_agent(message)), clock.now()))


def build_router(desk_chat: DeskChat) -> Router:
    """A new router with this module's handlers, for the agent group only."""
    router = Router(name="group_assign")
    router.message.filter(lambda message: desk_chat.is_desk(message.chat.id))
    router.message.register(duty_command, Command("duty"))
    router.message.register(assign_command, Command("assign"))
    router.message.register(unassign_command, Command("unassign"))
    router.message.register(mine_command, Command("mine"))
    return router
