"""The configuration file: one TOML document read into one pydantic model per section.

Each layer owns its sections (`bot.settings`, `desk.settings`, `desk.sla_config`, `kb.settings`,
`storage.settings`); this module reads the file and assembles them, and owns `[log]` and `[metrics]`.

A wrong config never reaches the rest of the program: `load_config` raises `ConfigError` with one
line that names the file or the key, and the command line turns it into exit code 2.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError

from bot.settings import TelegramConfig
from desk.section import Section
from desk.settings import DeskConfig, FormConfig, I18nConfig, RetentionConfig, SchedulerConfig
from desk.sla_config import SLAConfig
from kb.settings import KBConfig
from storage.settings import StorageConfig

TOKEN_ENV = "FRONTDESK_TELEGRAM_TOKEN"
WEBHOOK_SECRET_ENV = "FRONTDESK_WEBHOOK_SECRET"


class ConfigError(Exception):
    """The config cannot be used; the message is one line for the operator."""


class MetricsConfig(Section):
    # host:port to serve /metrics for Prometheus on ("" for none).
    listen: str = Field(default="", pattern=r"^(|[^:\s]+:\d{1,5})$")


class LogConfig(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Config(Section):
    telegram: TelegramConfig = TelegramConfig()
    desk: DeskConfig = DeskConfig()
    storage: StorageConfig = StorageConfig()
    kb: KBConfig = KBConfig()
    i18n: I18nConfig = I18nConfig()
    log: LogConfig = LogConfig()
    form: FormConfig = FormConfig()
    sla: SLAConfig = SLAConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    metrics: MetricsConfig = MetricsConfig()
    retention: RetentionConfig = RetentionConfig()

    @property
    def token(self) -> str:
        return self.telegram.token.get_secret_value()


def _describe(error: ValidationError) -> str:
    """One line for the first problem pydantic found, naming the key as written in TOML."""
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"])
    kind = first["type"]
    if kind == "extra_forbidden":
        return f"unknown key '{location}'"
    if kind == "missing":
        return f"missing key '{location}'"
    return f"key '{location}': {first['msg']}"


def parse_config(
    document: dict,
    *,
    source: str,
    environ: os._Environ | dict | None = None,
    require_token: bool = True,
) -> Config:
    """Validate a parsed TOML document; the environment's token wins over the file's.

    Commands that never talk to Telegram (database, FAQ checks) pass `require_token=False`.
    """
    environ = os.environ if environ is None else environ
    try:
        config = Config.model_validate(document)
    except ValidationError as error:
        raise ConfigError(f"{source}: {_describe(error)}") from None
    env_token = environ.get(TOKEN_ENV, "").strip()
    if env_token:
        telegram = config.telegram.model_copy(update={"token": SecretStr(env_token)})
        config = config.model_copy(update={"telegram": telegram})
    if not config.token and require_token:
        raise ConfigError(f"{source}: missing key 'telegram.token' (or set {TOKEN_ENV})")
    env_secret = environ.get(WEBHOOK_SECRET_ENV, "").strip()
    if env_secret:
        telegram = config.telegram.model_copy(update={"webhook_secret": SecretStr(env_secret)})
        config = config.model_copy(update={"telegram": telegram})
    if config.telegram.mode == "webhook":
        if not config.telegram.webhook_url.startswith(("https://", "http://")):
            raise ConfigError(f"{source}: key 'telegram.webhook_url': webhook mode needs the URL Telegram calls")
        secret = config.telegram.webhook_secret.get_secret_value()
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", secret):
            raise ConfigError(f"{source}: key 'telegram.webhook_secret': webhook mode needs a secret of 16-256 "
                              f"letters, digits, _ or - (or set {WEBHOOK_SECRET_ENV})")
    if config.token and ":" not in config.token:
        raise ConfigError(f"{source}: key 'telegram.token': does not look like a bot token (123456:ABC...)")
    matcher = config.kb.matcher()
    if matcher.suggest_threshold > matcher.answer_threshold:
        raise ConfigError(f"{source}: key 'kb.suggest_threshold': must not exceed kb.answer_threshold")
    return config


def load_config(
    path: Path, *, environ: os._Environ | dict | None = None, require_token: bool = True
) -> Config:
    """Read and validate the TOML file at `path`."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (copy config.example.toml to start)") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read config file: {error.strerror}") from None
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    return parse_config(document, source=str(path), environ=environ, require_token=require_token)

