"""The bot's settings: the `[telegram]` section, and what the Telegram side needs of the whole config.

`frontdesk/config.py` reads the TOML file and assembles the sections; the bot only names what it
reads (`BotConfig`), so it never imports the application that assembles it.
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import Field, SecretStr, field_validator

from desk.section import Section
from desk.settings import DeskConfig, FormConfig, I18nConfig, SchedulerConfig
from desk.sla_config import SLAConfig
from kb.settings import KBConfig
from storage.settings import StorageConfig

DEFAULT_API_BASE = "https://api.telegram.org"


class TelegramConfig(Section):
    token: SecretStr = SecretStr("")
    api_base: str = DEFAULT_API_BASE
    # How updates arrive: "polling" (getUpdates; the default) or "webhook" (Telegram POSTs them).
    mode: Literal["polling", "webhook"] = "polling"
    # Seconds getUpdates waits for news before it is asked again.
    polling_timeout: int = Field(default=30, ge=0, le=50)
    # Webhook mode: the public URL Telegram calls, the secret it must send along (also from the
    # environment variable FRONTDESK_WEBHOOK_SECRET), and where this process listens.
    webhook_url: str = ""
    webhook_secret: SecretStr = SecretStr("")
    webhook_listen: str = Field(default="127.0.0.1:8080", pattern=r"^[^:\s]+:\d{1,5}$")
    # A graceful stop (SIGTERM) waits at most this many seconds for the updates in hand and the
    # sends under way; what is cut short comes again (an update) or goes out again (a send).
    drain_seconds: float = Field(default=25.0, ge=0)
    # Seconds one Bot API request may take before it counts as a network error (and is retried).
    request_timeout: float = Field(default=60.0, gt=0)
    # Telegram's flood limits the bot keeps (messages; short bursts allowed within them).
    overall_per_second: float = Field(default=30.0, gt=0)
    private_per_second: float = Field(default=1.0, gt=0)
    group_per_minute: float = Field(default=20.0, gt=0)
    # Flood control: a person's messages beyond flood_limit within flood_window seconds are dropped
    # (with one notice), so one flooding chat cannot crowd out everybody else.
    flood_limit: int = Field(default=30, ge=1)
    flood_window: float = Field(default=10.0, gt=0)

    @field_validator("api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class BotConfig(Protocol):
    """The sections the Telegram side reads (the application's `Config` has them all)."""

    @property
    def telegram(self) -> TelegramConfig: ...
    @property
    def desk(self) -> DeskConfig: ...
    @property
    def form(self) -> FormConfig: ...
    @property
    def sla(self) -> SLAConfig: ...
    @property
    def scheduler(self) -> SchedulerConfig: ...
    @property
    def kb(self) -> KBConfig: ...
    @property
    def i18n(self) -> I18nConfig: ...
    @property
    def storage(self) -> StorageConfig: ...
    @property
    def token(self) -> str: ...
