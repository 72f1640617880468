"""Finding one's way in: /whoami tells a person their Telegram id (for `desk.admin_ids`); a group
the bot is added to is told its id and whether it can be the agents' desk; /doctor runs the setup
checks for admins. The checks' own texts are the doctor's (English, as in `frontdesk doctor`)."""

from __future__ import annotations

import logging
from html import escape

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import IS_MEMBER, IS_NOT_MEMBER, ChatMemberUpdatedFilter, Command
from aiogram.types import ChatMemberUpdated, Message
from aiogram.utils.i18n import gettext as _

from bot import doctor
from bot.filters import IsAdmin
from bot.middlewares.agent_use_cases import AgentUseCasesMiddleware
from bot.settings import BotConfig
from desk.admin import Administration
from desk.clock import Clock
from desk.groups import SeenGroup

log = logging.getLogger(__name__)


def _lines(checks: list[doctor.Check]) -> list[str]:
    shown = []
    for check in checks:
        shown.append(f"{doctor.MARKS[check.status]} {escape(check.name)}: {escape(check.detail)}")
        if check.fix:
            shown.append(f"    → {escape(check.fix)}")
    return shown


async def whoami(message: Message) -> None:
    await message.answer(_(
        "Your Telegram id: <code>{id}</code>\n"
        "An administrator of this bot puts it into <code>desk.admin_ids</code> to give you the admin commands."
    ).format(id=message.from_user.id))


async def doctor_command(message: Message, bot: Bot, config: BotConfig) -> None:
    """`/doctor` (admins): the same checks as `frontdesk doctor`."""
    checks = await doctor.diagnose(config, bot)
    failed = sum(1 for check in checks if check.status == doctor.FAIL)
    summary = _("All checks passed.") if not failed else _("Checks failed: {count}.").format(count=failed)
    await message.answer("\n".join([_("<b>Setup check</b>"), *_lines(checks), "", summary]))


def _seen(event: ChatMemberUpdated, clock: Clock) -> SeenGroup:
    """What the bot now is in the group, for `frontdesk doctor`'s list."""
    chat = event.chat
    return SeenGroup(chat.id, chat.title or "", chat.type, bool(chat.is_forum), event.new_chat_member.status,
                     clock.now())


async def added_to_group(event: ChatMemberUpdated, bot: Bot, config: BotConfig, clock: Clock,
                         administration: Administration) -> None:
    """The bot was added to a group: remember it, and tell whoever added it the group's id and
    whether this group is ready to be the agents' desk."""
    chat = event.chat
    await administration.group_seen(_seen(event, clock))
    log.info("added to the group %s «%s» by %s", chat.id, chat.title, event.from_user.id)
    checks = await doctor.group_checks(bot, chat.id, await bot.me())
    ready = all(check.status != doctor.FAIL for check in checks)
    lines = [_("👋 {admin}, this group's id is <code>{id}</code>.").format(admin=event.from_user.mention_html(),
                                                                         id=chat.id)]
    if chat.id == config.desk.agent_chat_id:
        lines.append(_("It is the agents' desk in the configuration."))
    else:
        lines.append(_("To make it the agents' desk, put it into <code>desk.agent_chat_id</code> and restart "
                       "the bot."))
    lines.append(_("Ready to be the desk: yes.") if ready else _("Ready to be the desk: not yet."))
    lines += _lines(checks)
    await bot.send_message(chat.id, "\n".join(lines))


async def removed_from_group(event: ChatMemberUpdated, clock: Clock, administration: Administration) -> None:
    await administration.group_seen(_seen(event, clock))
    log.info("removed from the group %s «%s»", event.chat.id, event.chat.title)


def build_router() -> Router:
    """A new router with this module's handlers (each dispatcher gets its own)."""
    router = Router(name="setup")
    router.my_chat_member.middleware(AgentUseCasesMiddleware())
    router.message.register(whoami, Command("whoami"), F.chat.type == ChatType.PRIVATE)
    router.message.register(doctor_command, Command("doctor"), F.chat.type == ChatType.PRIVATE, IsAdmin())
    in_groups = F.chat.type.in_({ChatType.GROUP, ChatType.SUPERGROUP})
    router.my_chat_member.register(added_to_group, in_groups,
                                   ChatMemberUpdatedFilter(member_status_changed=IS_NOT_MEMBER >> IS_MEMBER))
    router.my_chat_member.register(removed_from_group, in_groups,
                                   ChatMemberUpdatedFilter(member_status_changed=IS_MEMBER >> IS_NOT_MEMBER))
    return router
