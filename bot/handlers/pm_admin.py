"""Admin commands in a private chat with the bot (only for `desk.admin_ids`)."""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.filters import IsAdmin
from bot.middlewares.agent_use_cases import AgentUseCasesMiddleware
from desk.admin import Administration
from desk.lifecycle import Refused
from desk.numbers import BIGINT_MAX, NotANumber, parse_id

MAX_LISTED_ERRORS = 20


async def reload_kb(message: Message, administration: Administration) -> None:
    """Re-read the FAQ folder now and report the entry count and every error."""
    reloaded = await administration.reload_kb()
    errors = reloaded.errors
    lines = [_("Knowledge base reloaded: {count} entries in service.").format(count=reloaded.entries)]
    if errors:
        lines.append(_("Errors ({count}); broken files keep their last good version:").format(count=len(errors)))
        lines += [f"• <code>{escape(str(error))}</code>" for error in errors[:MAX_LISTED_ERRORS]]
        if len(errors) > MAX_LISTED_ERRORS:
            more = len(errors) - MAX_LISTED_ERRORS
            lines.append(_("…and {count} more (see `frontdesk kb check`).").format(count=more))
    await message.answer("\n".join(lines))


async def set_plan(message: Message, command: CommandObject, administration: Administration) -> None:
    """`/setplan TELEGRAM_ID PLAN`: the customer's SLA plan for the tickets they open from now on."""
    parts = (command.args or "").split()
    plans = ", ".join(administration.plans())
    try:
        telegram_id = parse_id(parts[0], BIGINT_MAX) if len(parts) == 2 else None
    except NotANumber:
        parts = []
    if len(parts) != 2:
        await message.answer(_("Usage: /setplan TELEGRAM_ID PLAN (plans: {plans})").format(plans=plans))
        return
    try:
        done = await administration.set_plan(telegram_id, parts[1])
    except Refused as refused:
        if refused.reason == "unknown_plan":
            await message.answer(_("Unknown plan {plan}. Plans: {plans}").format(plan=escape(parts[1]), plans=plans))
        else:
            await message.answer(_("No customer with id {id} has written to the bot yet.").format(
                id=escape(parts[0])))
        return
    await message.answer(_("Customer {id} is on the {plan} plan now.").format(id=done.telegram_id, plan=done.plan))


def build_router() -> Router:
    """A new router with this module's handlers (each dispatcher gets its own)."""
    router = Router(name="pm_admin")
    router.message.filter(IsAdmin())
    router.message.middleware(AgentUseCasesMiddleware())
    router.message.register(reload_kb, Command("reload_kb"))
    router.message.register(set_plan, Command("setplan"))
    return router
