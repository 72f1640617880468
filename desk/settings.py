"""The desk's settings: the sections of the config file whose rules live in `desk/`.

`frontdesk/config.py` reads the TOML file and assembles these with the other layers' sections.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from desk.section import Section


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
    # Whether every agent in the group may /ban and /unban (otherwise only `admin_ids`).
    agents_may_ban: bool = False
    # The round-robin gives an agent on duty no more open tickets than this; 0: no automatic assignment.
    assign_cap: int = Field(default=5, ge=0, le=1000)



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



class RetentionConfig(Section):
    # Days after closing when a ticket's content (texts, files, titles) is erased by the scheduler;
    # the anonymous facts stay for the reports. 0: kept for ever.
    closed_days: int = Field(default=0, ge=0, le=36500)



class I18nConfig(Section):
    default_language: Literal["ru", "en"] = "ru"
