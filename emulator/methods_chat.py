"""Bot API methods about the bot, updates, chats, forum topics, files and commands."""

from __future__ import annotations

import re
from typing import Any

from emulator import errors
from emulator.errors import ApiError
from emulator.methods_send import Files, Params
from emulator.serialize import chat_full_json, member_json, topic_json, user_json
from emulator.state import Topic
from emulator.updates import Webhook
from emulator.world import World

#: Longest long poll Telegram allows, in seconds.
MAX_POLL_TIMEOUT = 50
#: What Telegram accepts as a webhook's secret_token: 1-256 of A-Z, a-z, 0-9, _ and -.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


async def get_me(world: World, p: Params, files: Files) -> Any:
    """getMe."""
    return {**user_json(world.bot), "can_join_groups": True,
            "can_read_all_group_messages": not world.privacy_mode, "supports_inline_queries": False}


async def ok(world: World, p: Params, files: Files) -> Any:
    """Methods the emulator accepts without keeping anything (logOut, close, ...)."""
    return True


async def get_updates(world: World, p: Params, files: Files) -> Any:
    """getUpdates: long polling; 409 while a webhook is set."""
    if world.webhook is not None:
        raise ApiError(409, errors.WEBHOOK_CONFLICT)
    limit = max(1, min(100, int(p.get("limit") or 100)))
    timeout = max(0.0, min(MAX_POLL_TIMEOUT, float(p.get("timeout") or 0)))
    offset = p.get("offset")
    return await world.updates.long_poll(
        int(offset) if offset not in (None, "") else None, limit, timeout,
        p.get("allowed_updates") or None, world.stopping,
    )


async def set_webhook(world: World, p: Params, files: Files) -> Any:
    """setWebhook: from now on updates are POSTed to ``url``; an empty url removes it."""
    if p.get("drop_pending_updates"):
        world.updates.drop_all()
    url = p.get("url") or ""
    if not url:
        world.webhook = None
        return True
    if not str(url).startswith(("http://", "https://")):
        raise ApiError.bad_request("Bad Request: bad webhook: An HTTPS URL must be provided "
                                   "for webhook")
    secret = p.get("secret_token")
    if secret is not None and not _SECRET.fullmatch(str(secret)):
        raise ApiError.bad_request("Bad Request: secret token contains unallowed characters")
    world.webhook = Webhook(url=str(url), secret_token=p.get("secret_token"),
                            allowed_updates=p.get("allowed_updates") or None,
                            max_connections=int(p.get("max_connections") or 40))
    world.updates.wake()
    return True


async def delete_webhook(world: World, p: Params, files: Files) -> Any:
    """deleteWebhook."""
    if p.get("drop_pending_updates"):
        world.updates.drop_all()
    world.webhook = None
    return True


async def get_webhook_info(world: World, p: Params, files: Files) -> Any:
    """getWebhookInfo."""
    hook = world.webhook
    info: dict[str, Any] = {"url": hook.url if hook else "", "has_custom_certificate": False,
                            "pending_update_count": len(world.updates.pending)}
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if hook.allowed_updates:
            info["allowed_updates"] = hook.allowed_updates
        if hook.last_error_message:
            info["last_error_message"] = hook.last_error_message
            info["last_error_date"] = hook.last_error_date
    return info


async def get_chat(world: World, p: Params, files: Files) -> Any:
    """getChat."""
    return chat_full_json(world.find_chat(p.get("chat_id")), world.users)


async def get_chat_member(world: World, p: Params, files: Files) -> Any:
    """getChatMember: status from the group's roster; strangers are "left"."""
    chat = world.find_chat(p.get("chat_id"))
    user = world.users.get(int(p.get("user_id") or 0))
    if user is None:
        raise ApiError.bad_request("Bad Request: user not found")
    if chat.type == "private":
        status = "member" if user.id in (chat.user_id, world.bot.id) else "left"
    elif user.id == world.bot.id:
        status = chat.members.get(user.id, "administrator")
    else:
        status = chat.members.get(user.id, "left")
    return member_json(user, status, chat.withheld.get(user.id, set()))


async def get_chat_administrators(world: World, p: Params, files: Files) -> Any:
    """getChatAdministrators."""
    chat = world.find_chat(p.get("chat_id"))
    return [member_json(world.users[uid], status) for uid, status in chat.members.items()
            if status in ("creator", "administrator") and uid in world.users]


async def get_chat_member_count(world: World, p: Params, files: Files) -> Any:
    """getChatMemberCount."""
    chat = world.find_chat(p.get("chat_id"))
    return sum(1 for s in chat.members.values() if s not in ("left", "kicked")) + 1


def _forum(world: World, p: Params):
    chat = world.chat_for_bot(p.get("chat_id"))
    if not chat.is_forum:
        raise ApiError.bad_request(errors.NOT_A_FORUM)
    return chat


def _topic(world: World, p: Params) -> Topic:
    topic = _forum(world, p).live_topic(int(p.get("message_thread_id") or 0))
    if topic is None:
        raise ApiError.bad_request(errors.THREAD_NOT_FOUND)
    return topic


async def create_forum_topic(world: World, p: Params, files: Files) -> Any:
    """createForumTopic: the topic's id is the id of its "topic created" service message; the bot
    must be an administrator with the right to manage topics, as in Telegram."""
    chat = _forum(world, p)
    if chat.members.get(world.bot.id, "administrator") not in ("administrator", "creator") \
            or "can_manage_topics" in chat.withheld.get(world.bot.id, set()):
        raise ApiError.bad_request(errors.NOT_ENOUGH_RIGHTS_TOPIC)
    name = str(p.get("name") or "")
    if not 1 <= len(name) <= 128:
        raise ApiError.bad_request("Bad Request: TOPIC_TITLE_EMPTY" if not name
                                   else "Bad Request: TOPIC_TITLE_TOO_LONG")
    topic = Topic(thread_id=chat.next_message_id, name=name,
                  icon_color=int(p.get("icon_color") or 7322096),
                  icon_custom_emoji_id=p.get("icon_custom_emoji_id"))
    chat.topics[topic.thread_id] = topic
    created = {"name": name, "icon_color": topic.icon_color}
    world.add_message(chat, world.bot, thread_id=topic.thread_id,
                      media_kind="forum_topic_created", extra={"forum_topic_created": created})
    return topic_json(topic)


async def edit_forum_topic(world: World, p: Params, files: Files) -> Any:
    """editForumTopic."""
    topic = _topic(world, p)
    if p.get("name"):
        topic.name = str(p["name"])
    if p.get("icon_custom_emoji_id") is not None:
        topic.icon_custom_emoji_id = p.get("icon_custom_emoji_id") or None
    return True


def _topic_setter(closed: bool):
    async def set_closed(world: World, p: Params, files: Files) -> Any:
        topic = _topic(world, p)
        if topic.closed == closed:
            raise ApiError.bad_request("Bad Request: TOPIC_NOT_MODIFIED")
        topic.closed = closed
        return True

    set_closed.__doc__ = "closeForumTopic" if closed else "reopenForumTopic"
    return set_closed


async def delete_forum_topic(world: World, p: Params, files: Files) -> Any:
    """deleteForumTopic: the topic and its messages disappear."""
    topic = _topic(world, p)
    topic.deleted = True
    world.notify()
    return True


async def get_file(world: World, p: Params, files: Files) -> Any:
    """getFile."""
    stored = world.files.get(str(p.get("file_id")))
    if stored is None:
        raise ApiError.bad_request(errors.INVALID_FILE_ID)
    return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data), "file_path": stored.file_path}


def scope_key(scope: Any) -> str:
    """A stable key for a BotCommandScope dict (or its type name)."""
    if not scope:
        return "default"
    if isinstance(scope, str):
        return scope
    parts = [str(scope.get("type", "default"))]
    parts += [f"{k}={scope[k]}" for k in ("chat_id", "user_id") if scope.get(k) is not None]
    return ":".join(parts)


async def set_my_commands(world: World, p: Params, files: Files) -> Any:
    """setMyCommands, stored per scope and language."""
    commands = [{"command": c["command"], "description": c["description"]}
                for c in p.get("commands") or []]
    world.commands[(scope_key(p.get("scope")), p.get("language_code") or "")] = commands
    return True


async def get_my_commands(world: World, p: Params, files: Files) -> Any:
    """getMyCommands."""
    return world.commands.get((scope_key(p.get("scope")), p.get("language_code") or ""), [])


async def delete_my_commands(world: World, p: Params, files: Files) -> Any:
    """deleteMyCommands."""
    world.commands.pop((scope_key(p.get("scope")), p.get("language_code") or ""), None)
    return True


async def set_chat_menu_button(world: World, p: Params, files: Files) -> Any:
    """setChatMenuButton, kept per chat (None: the default button)."""
    chat_id = p.get("chat_id")
    world.menu_buttons[int(chat_id) if chat_id else None] = p.get("menu_button") or {
        "type": "default"}
    return True


async def get_chat_menu_button(world: World, p: Params, files: Files) -> Any:
    """getChatMenuButton."""
    chat_id = p.get("chat_id")
    return world.menu_buttons.get(int(chat_id) if chat_id else None, {"type": "default"})


HANDLERS = {
    "getme": get_me,
    "logout": ok, "close": ok,
    "getupdates": get_updates,
    "setwebhook": set_webhook, "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
    "getchat": get_chat, "getchatmember": get_chat_member,
    "getchatadministrators": get_chat_administrators,
    "getchatmembercount": get_chat_member_count,
    "createforumtopic": create_forum_topic, "editforumtopic": edit_forum_topic,
    "closeforumtopic": _topic_setter(True), "reopenforumtopic": _topic_setter(False),
    "deleteforumtopic": delete_forum_topic,
    "getfile": get_file,
    "setmycommands": set_my_commands, "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "setchatmenubutton": set_chat_menu_button, "getchatmenubutton": get_chat_menu_button,
    # Accepted and ignored: they change nothing a test can observe.
    "setmydescription": ok, "setmyshortdescription": ok, "setmyname": ok,
    "pinchatmessage": ok, "unpinchatmessage": ok, "setmessagereaction": ok,
}
