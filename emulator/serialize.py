"""Render the emulator's dataclasses as Bot API JSON objects that aiogram parses."""

from __future__ import annotations

from typing import Any

from emulator.state import Chat, Message, Topic, User

ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
    "can_edit_stories", "can_delete_stories", "can_send_welcome_messages",
    "can_pin_messages", "can_manage_topics",
)


def user_json(user: User) -> dict[str, Any]:
    """A User object."""
    data: dict[str, Any] = {"id": user.id, "is_bot": user.is_bot, "first_name": user.first_name}
    for key in ("last_name", "username", "language_code"):
        value = getattr(user, key)
        if value is not None:
            data[key] = value
    return data


def chat_json(chat: Chat, users: dict[int, User]) -> dict[str, Any]:
    """A (short) Chat object, as embedded in messages."""
    data: dict[str, Any] = {"id": chat.id, "type": chat.type}
    if chat.type == "private" and chat.user_id in users:
        user = users[chat.user_id]
        data["first_name"] = user.first_name
        for key in ("last_name", "username"):
            if getattr(user, key):
                data[key] = getattr(user, key)
    else:
        data["title"] = chat.title or ""
        if chat.username:
            data["username"] = chat.username
        if chat.is_forum:
            data["is_forum"] = True
    return data


def chat_full_json(chat: Chat, users: dict[int, User]) -> dict[str, Any]:
    """A ChatFullInfo object (getChat)."""
    return {
        **chat_json(chat, users),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
            "premium_subscription": False, "gifts_from_channels": False,
        },
    }


def member_json(user: User, status: str, withheld: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """A ChatMember object of the given status (an admin has every right not `withheld`)."""
    data: dict[str, Any] = {"status": status, "user": user_json(user)}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data.update({"can_be_edited": False, "is_anonymous": False})
        data.update({right: right not in withheld for right in ADMIN_RIGHTS})
    elif status == "restricted":
        data.update({"is_member": True, "until_date": 0})
        data.update({right: False for right in (
            "can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
            "can_send_videos", "can_send_video_notes", "can_send_voice_notes",
            "can_send_polls", "can_send_other_messages", "can_add_web_page_previews",
            "can_change_info", "can_invite_users", "can_pin_messages", "can_manage_topics",
        )})
    elif status == "kicked":
        data["until_date"] = 0
    return data


def topic_json(topic: Topic) -> dict[str, Any]:
    """A ForumTopic object."""
    data: dict[str, Any] = {
        "message_thread_id": topic.thread_id, "name": topic.name, "icon_color": topic.icon_color,
    }
    if topic.icon_custom_emoji_id:
        data["icon_custom_emoji_id"] = topic.icon_custom_emoji_id
    return data


def message_json(message: Message, chat: Chat, users: dict[int, User],
                 with_reply: bool = True) -> dict[str, Any]:
    """A Message object; the replied-to message is embedded one level deep, like Telegram."""
    data: dict[str, Any] = {
        "message_id": message.message_id,
        "date": message.date,
        "chat": chat_json(chat, users),
    }
    sender = users.get(message.from_id)
    if sender is not None:
        data["from"] = user_json(sender)
    if message.thread_id is not None and chat.is_forum:
        data["message_thread_id"] = message.thread_id
        data["is_topic_message"] = True
    if message.text is not None:
        data["text"] = message.text
        if message.entities:
            data["entities"] = message.entities
    if message.caption is not None:
        data["caption"] = message.caption
        if message.caption_entities:
            data["caption_entities"] = message.caption_entities
    if message.media_kind and message.media is not None:
        data[message.media_kind] = message.media
    if message.media_group_id:
        data["media_group_id"] = message.media_group_id
    if message.reply_markup and "inline_keyboard" in message.reply_markup:
        # Only inline keyboards are part of the Message object; reply keyboards are not.
        data["reply_markup"] = message.reply_markup
    if message.edit_date:
        data["edit_date"] = message.edit_date
    if with_reply and message.reply_to_message_id is not None:
        replied = chat.messages.get(message.reply_to_message_id)
        if replied is not None and not replied.deleted:
            data["reply_to_message"] = message_json(replied, chat, users, with_reply=False)
    data.update(message.extra)
    return data
