"""The request form as data: the draft a customer fills in and the order of its steps.

The draft lives in the bot's FSM data (so it survives a restart) as a plain dict; this module
turns it into a `Draft`, checks each answer, and says which step comes next or before.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from desk.settings import FormConfig
from desk.visible import shows_nothing

CRITICALITIES = ("low", "normal", "high", "critical")
ATTACHMENT_KINDS = ("photo", "document", "video", "voice", "audio", "animation", "video_note")

# Step names; an extra step of the chosen type is "extra.<key>".
TITLE, TYPE, DETAILS, CRITICALITY, PREVIEW = "title", "type", "details", "criticality", "preview"


@dataclass
class AttachmentDraft:
    kind: str
    file_id: str
    file_unique_id: str | None = None
    file_name: str | None = None
    media_group_id: str | None = None


@dataclass
class Draft:
    """A request being filled in."""

    form_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    title: str = ""
    problem_type: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    details: str = ""
    attachments: list[AttachmentDraft] = field(default_factory=list)
    criticality: str = ""
    # Set while the customer edits one field from the preview: go back to the preview after it.
    editing: bool = False
    # The draft as the preview showed it when the edit began, so «Back» can put it back whole.
    before_edit: dict[str, Any] | None = None
    # The FAQ search this request came from (a question the FAQ did not answer), if any.
    search_id: int | None = None
    # The FAQ entries already offered inside this form, so the same answer is not offered twice.
    deflected: list[str] = field(default_factory=list)
    # A coupon code accepted for this request: it becomes a special request when sent.
    coupon: str | None = None

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Draft:
        values = dict(data.get("draft") or {})
        values["attachments"] = [AttachmentDraft(**item) for item in values.get("attachments", [])]
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{key: value for key, value in values.items() if key in known})

    def counts(self) -> dict[str, int]:
        """Attachments by kind, for the preview."""
        result: dict[str, int] = {}
        for item in self.attachments:
            result[item.kind] = result.get(item.kind, 0) + 1
        return result


class FormInputError(ValueError):
    """An answer the step cannot take; `code` names the reason, `limit` the bound broken."""

    def __init__(self, code: str, limit: int = 0, actual: int = 0) -> None:
        super().__init__(code)
        self.code = code
        self.limit = limit
        self.actual = actual


def clean_text(text: str | None, limit: int) -> str:
    """The answer stripped; FormInputError("empty") (also for text that shows nothing) or
    ("too_long", limit, actual)."""
    value = (text or "").strip()
    if shows_nothing(value):
        raise FormInputError("empty")
    if len(value) > limit:
        raise FormInputError("too_long", limit, len(value))
    return value


def steps(config: FormConfig, problem_type: str) -> list[str]:
    """Every step of the form, in order, for the chosen problem type."""
    chosen = config.type(problem_type)
    extra = [f"extra.{step.key}" for step in chosen.steps] if chosen else []
    return [TITLE, TYPE, *extra, DETAILS, CRITICALITY, PREVIEW]


def next_step(config: FormConfig, draft: Draft, current: str) -> str:
    """Where the form goes after `current` was answered."""
    if draft.editing and current != TYPE:
        return PREVIEW
    order = steps(config, draft.problem_type)
    following = order[order.index(current) + 1]
    if draft.editing and current == TYPE:
        # A new type asks its own steps; a type without steps goes straight back to the preview.
        return following if following.startswith("extra.") else PREVIEW
    return following


def previous_step(config: FormConfig, draft: Draft, current: str) -> str | None:
    """One step back, or None at the first step."""
    if draft.editing:
        return PREVIEW
    order = steps(config, draft.problem_type)
    index = order.index(current)
    return order[index - 1] if index > 0 else None


def begin_edit(draft: Draft, step: str) -> None:
    """Open `step` for editing from the preview, keeping the draft as it was for «Back».
    The details start over: their text and files are sent again."""
    draft.before_edit = {key: value for key, value in draft.to_data().items() if key != "before_edit"}
    draft.editing = True
    if step == DETAILS:
        draft.details = ""
        draft.attachments = []


def abandon_edit(draft: Draft) -> Draft:
    """The draft as the preview showed it before the edit now left with «Back»."""
    if draft.before_edit is None:
        draft.editing = False
        return draft
    restored = Draft.from_data({"draft": draft.before_edit})
    restored.editing = False
    return restored


def edit_done(draft: Draft) -> None:
    """The edited field is answered and the preview is shown again: nothing left to put back."""
    draft.before_edit = None


def choose_type(config: FormConfig, draft: Draft, key: str) -> None:
    """Set the problem type; answers to another type's steps are dropped."""
    chosen = config.type(key)
    if chosen is None:
        raise FormInputError("unknown_type")
    if key != draft.problem_type:
        own = {step.key for step in chosen.steps}
        draft.fields = {name: value for name, value in draft.fields.items() if name in own}
    draft.problem_type = key


def add_attachment(config: FormConfig, draft: Draft, attachment: AttachmentDraft) -> None:
    if attachment.kind not in ATTACHMENT_KINDS:
        raise FormInputError("unsupported")
    if any(item.file_unique_id and item.file_unique_id == attachment.file_unique_id
           and item.file_id == attachment.file_id for item in draft.attachments):
        return  # the same file delivered twice
    if len(draft.attachments) >= config.max_attachments:
        raise FormInputError("too_many", config.max_attachments, len(draft.attachments) + 1)
    draft.attachments.append(attachment)


def add_details(config: FormConfig, draft: Draft, text: str) -> bool:
    """Append a piece of the description (several messages make one text); False when the
    piece shows nothing (an attachment without a caption, or only invisible characters)."""
    piece = (text or "").strip()
    if shows_nothing(piece):
        return False
    combined = f"{draft.details}\n\n{piece}" if draft.details else piece
    if len(combined) > config.details_max_length:
        raise FormInputError("too_long", config.details_max_length, len(combined))
    draft.details = combined
    return True


def missing_for_submit(config: FormConfig, draft: Draft) -> list[str]:
    """Steps still unanswered; submit is refused while any is."""
    missing = []
    if not draft.title:
        missing.append(TITLE)
    chosen = config.type(draft.problem_type)
    if chosen is None:
        missing.append(TYPE)
    else:
        missing += [f"extra.{s.key}" for s in chosen.steps if s.required and not draft.fields.get(s.key)]
    if not draft.details and not draft.attachments:
        missing.append(DETAILS)
    if draft.criticality not in CRITICALITIES:
        missing.append(CRITICALITY)
    return missing
