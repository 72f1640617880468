"""The webhook at Telegram: registered once from a deploy step (`frontdesk webhook set`), read
back (`info`) and removed (`delete`). Replicas never register it themselves at start, so several
processes starting at once do not race to call setWebhook (`frontdesk run --set-webhook` asks one
process to)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.types import WebhookInfo

from bot.handlers import build_root_router
from bot.settings import TelegramConfig
from desk.desk_chat import DeskChat


class WebhookConfigError(Exception):
    """The config cannot register a webhook; the message is one line naming the key."""


def used_update_types(agent_chat_id: int) -> list[str]:
    """The kinds of update the bot's routers handle: what Telegram is asked to send (the same list
    `frontdesk run` polls for)."""
    dispatcher = Dispatcher()
    dispatcher.include_router(build_root_router(DeskChat(agent_chat_id)))
    return dispatcher.resolve_used_update_types()


def listen_path(telegram: TelegramConfig) -> str:
    """The path of `telegram.webhook_url`, where this process takes Telegram's POSTs."""
    return urlsplit(telegram.webhook_url).path or "/"


def check(telegram: TelegramConfig) -> None:
    """Raise WebhookConfigError unless the config is in webhook mode (whose URL and secret the
    config's own validation has checked)."""
    if telegram.mode != "webhook":
        raise WebhookConfigError('telegram.mode: "polling" polls; set telegram.mode = "webhook" (with '
                                 "webhook_url and webhook_secret) before registering a webhook")


async def register(bot: Bot, telegram: TelegramConfig, allowed_updates: list[str]) -> None:
    """setWebhook with the config's URL and secret and the update kinds the bot handles."""
    await bot.set_webhook(telegram.webhook_url, secret_token=telegram.webhook_secret.get_secret_value(),
                          allowed_updates=allowed_updates)


def describe(info: WebhookInfo) -> list[str]:
    """getWebhookInfo as lines for the operator: url, pending updates, the last error."""
    if info.last_error_date:
        when = datetime.fromtimestamp(_timestamp(info.last_error_date), UTC)
        error = f"{when:%Y-%m-%d %H:%M:%S} UTC: {info.last_error_message or '(no message)'}"
    else:
        error = info.last_error_message or "none"
    lines = [f"url: {info.url or '(none: the bot polls)'}",
             f"pending_update_count: {info.pending_update_count}",
             f"last_error: {error}"]
    if info.allowed_updates:
        lines.append(f"allowed_updates: {', '.join(info.allowed_updates)}")
    if info.max_connections:
        lines.append(f"max_connections: {info.max_connections}")
    return lines


def _timestamp(value) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)
