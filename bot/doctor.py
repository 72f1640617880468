"""`frontdesk doctor`: every way a setup silently fails, checked, each with the exact fix.

The most common failure of a Telegram help desk is a misconfiguration that raises no error: the
bot is not an admin of the agents' group, topics are off, privacy mode hides the agents' replies,
a stale webhook swallows the updates. Each check here is one line, ✔ or ✘ (or ! for a warning),
and every ✘ says what to do. `run` performs the same checks at start and logs what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramUnauthorizedError
from aiogram.types import ChatFullInfo, User

from bot.settings import BotConfig
from desk.groups import SeenGroup
from kb.loader import load_folder
from storage import migrate
from storage.database import DatabaseError, create_engine

OK, FAIL, WARN = "ok", "fail", "warn"
MARKS = {OK: "✔", FAIL: "✘", WARN: "!"}
ADMIN = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.CREATOR)


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok, fail or warn
    detail: str
    fix: str = ""

    @property
    def line(self) -> str:
        text = f"{MARKS[self.status]} {self.name}: {self.detail}"
        return f"{text}\n    fix: {self.fix}" if self.fix else text


def ok(name: str, detail: str) -> Check:
    return Check(name, OK, detail)


def fail(name: str, detail: str, fix: str) -> Check:
    return Check(name, FAIL, detail, fix)


def warn(name: str, detail: str, fix: str) -> Check:
    return Check(name, WARN, detail, fix)


async def telegram_checks(bot: Bot, config: BotConfig, *, webhook: bool = True, me: User | None = None) -> list[Check]:
    """The token, the agents' group and the bot's place in it, privacy mode, and (unless
    `webhook` is False) whether the webhook set at Telegram matches the mode in the config.
    `me`: the bot as getMe already answered (at start), so it is not asked again."""
    try:
        me = me or await bot.get_me()
    except TelegramUnauthorizedError:
        return [fail("token", "Telegram rejects it (401 Unauthorized)",
                     "copy the token from @BotFather into telegram.token (or FRONTDESK_TELEGRAM_TOKEN)")]
    except TelegramNetworkError as error:
        return [fail("Bot API", f"cannot reach {config.telegram.api_base}: {error.message}",
                     "check the network, or telegram.api_base")]
    except TelegramAPIError as error:
        return [fail("Bot API", f"getMe refused: {error.message}", "check telegram.api_base and try again")]
    checks = [ok("token", f"accepted: the bot is @{me.username}")]
    if not config.desk.agent_chat_id:
        checks.append(fail("agent group", "desk.agent_chat_id is not set",
                           "add the bot to your agents' group: it posts the group's id there; put it in "
                           "desk.agent_chat_id"))
    else:
        checks += await group_checks(bot, config.desk.agent_chat_id, me)
    if webhook:
        checks.append(await _webhook_check(bot, config))
    return checks


async def group_checks(bot: Bot, chat_id: int, me: User) -> list[Check]:
    """Whether the group `chat_id` can be the agents' desk: a supergroup, the bot an admin with the
    rights it needs, topics, and the agents' messages readable."""
    try:
        chat = await bot.get_chat(chat_id)
    except TelegramAPIError as error:
        return [fail("agent group", f"{chat_id} cannot be opened: {error.message}",
                     "check desk.agent_chat_id, and that the bot was added to that group")]
    checks = []
    if chat.type != ChatType.SUPERGROUP:
        checks.append(fail("agent group", f"«{chat.title}» ({chat_id}) is a {chat.type}, not a supergroup",
                           "in the group's settings, turn on topics or make it public once: Telegram then makes "
                           "it a supergroup (the bot follows the new id)"))
    else:
        checks.append(ok("agent group", f"«{chat.title}» ({chat_id}) is a supergroup"))
    checks += await _rights_checks(bot, chat, me)
    return checks


async def _rights_checks(bot: Bot, chat: ChatFullInfo, me: User) -> list[Check]:
    try:
        member = await bot.get_chat_member(chat.id, me.id)
    except TelegramAPIError as error:
        return [fail("bot in the group", f"cannot read its membership: {error.message}",
                     "add the bot to the agents' group")]
    checks = []
    admin = member.status in ADMIN
    if member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.KICKED):
        checks.append(fail("bot in the group", f"the bot is not a member ({member.status})",
                           "add the bot to the agents' group and make it an administrator"))
    elif not admin:
        checks.append(fail("bot in the group", "the bot is a member but not an administrator",
                           "make the bot an administrator of the agents' group"))
    else:
        checks.append(ok("bot in the group", "the bot is an administrator"))
    if chat.is_forum:
        if admin and getattr(member, "can_manage_topics", True):
            checks.append(ok("topics", "topics are on: a topic per ticket"))
        else:
            checks.append(fail("topics", "topics are on, but the bot may not manage them: no ticket topics",
                               "give the bot the administrator right «Manage topics»"))
    else:
        checks.append(warn("topics", "topics are off: tickets come as cards in the one group chat",
                           "turn topics on in the group's settings for a topic per ticket (optional)"))
    if admin and not getattr(member, "can_pin_messages", True):
        checks.append(warn("pinning", "the bot may not pin messages: ticket cards are not pinned in their topics",
                           "give the bot the administrator right «Pin messages»"))
    if me.can_read_all_group_messages or admin:
        how = "as an administrator" if admin else "privacy mode is off"
        checks.append(ok("agents' messages", f"the bot reads every message in the group ({how})"))
    else:
        checks.append(fail("agents' messages", "privacy mode is on and the bot is no administrator: agents' "
                           "replies never reach it",
                           "make the bot an administrator, or in @BotFather: /setprivacy → Disable"))
    return checks


async def _webhook_check(bot: Bot, config: BotConfig) -> Check:
    try:
        info = await bot.get_webhook_info()
    except TelegramAPIError as error:  # a passing failure must not stop a start or a /doctor
        return warn("webhook", f"cannot read it now: {error.message}", "run the doctor again later")
    wanted = config.telegram.webhook_url if config.telegram.mode == "webhook" else ""
    if config.telegram.mode == "webhook":
        if info.url == wanted:
            return ok("webhook", f"set to {wanted}")
        return fail("webhook", f"Telegram sends updates to {info.url or 'nowhere'}, the config says {wanted}",
                    "register it once from the deploy: frontdesk webhook set")
    if info.url:
        return fail("webhook", f"a webhook is set ({info.url}) while the config polls: updates never arrive",
                    "delete it: frontdesk webhook delete (or set telegram.mode = \"webhook\")")
    return ok("webhook", "none set (polling)")


async def database_check(config: BotConfig) -> Check:
    try:
        engine = create_engine(config.storage.url, busy_timeout_ms=config.storage.sqlite_busy_timeout_ms)
    except DatabaseError as error:
        return fail("database", str(error), "fix storage.url")
    try:
        current = await migrate.current_revision(engine)
    except Exception as error:  # any driver's "cannot connect"
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return fail("database", f"cannot open it: {first}", "check storage.url and that the server runs")
    finally:
        await engine.dispose()
    head = migrate.head_revision()
    if current == head:
        return ok("database", f"reachable, schema at {current} (the newest)")
    return warn("database", f"reachable, schema at {current or 'nothing'}, the newest is {head}",
                "frontdesk db upgrade (frontdesk run applies it at start)")


def local_checks(config: BotConfig, now: datetime) -> list[Check]:
    """The FAQ folder, the admins, the clock and the time zone: no network needed."""
    checks = []
    loaded = load_folder(Path(config.kb.path))
    if loaded.errors:
        shown = "; ".join(str(error) for error in loaded.errors[:3])
        more = f" (and {len(loaded.errors) - 3} more)" if len(loaded.errors) > 3 else ""
        checks.append(fail("FAQ", f"{len(loaded.errors)} errors: {shown}{more}",
                           f"frontdesk kb check --kb {config.kb.path} lists them with their lines"))
    else:
        checks.append(ok("FAQ", f"{len(loaded.entries)} entries in {config.kb.path}"))
    if config.desk.admin_ids:
        checks.append(ok("admins", f"{len(config.desk.admin_ids)} set in desk.admin_ids"))
    else:
        checks.append(warn("admins", "desk.admin_ids is empty: nobody may run /reload_kb or /setplan",
                           "each admin sends /whoami to the bot and puts the number into desk.admin_ids"))
    zone = ZoneInfo(config.sla.timezone)
    local = now.astimezone(zone)
    if now.year < 2024:
        checks.append(fail("clock", f"the system clock says {now:%Y-%m-%d %H:%M} UTC",
                           "set the clock (e.g. systemd-timesyncd): SLA deadlines depend on it"))
    else:
        checks.append(ok("clock", f"{now:%Y-%m-%d %H:%M} UTC is {local:%H:%M} in {config.sla.timezone} "
                                  f"(UTC{local:%z})"))
    return checks


async def diagnose(config: BotConfig, bot: Bot, now: datetime | None = None) -> list[Check]:
    """Every check, in the order a new admin fixes things."""
    checks = await telegram_checks(bot, config)
    checks.append(await database_check(config))
    return checks + local_checks(config, now or datetime.now(UTC))


def render(checks: Sequence[Check]) -> str:
    failed = sum(1 for c in checks if c.status == FAIL)
    summary = "all checks passed" if not failed else f"{failed} of {len(checks)} checks failed"
    return "\n".join(c.line for c in checks) + f"\n{summary}\n"


def as_json(checks: Sequence[Check], groups: Sequence[SeenGroup] = ()) -> str:
    return json.dumps({
        "ok": all(c.status != FAIL for c in checks),
        "checks": [asdict(c) for c in checks],
        "groups": [{"id": g.chat_id, "title": g.title, "type": g.kind, "forum": g.forum, "bot": g.status,
                    "seen_at": g.seen_at.isoformat()} for g in groups],
    }, ensure_ascii=False)
