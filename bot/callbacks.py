"""Typed callback data: short prefixes, parsed and checked before anything is done.

Every number is bounded to what the database holds: data forged with a huge number does not
match the factory (the fallback answers "out of date") and never reaches a query.
"""

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from desk.numbers import ROW_ID_MAX

#: A row id or a small count in callback data.
Number = Annotated[int, Field(ge=0, le=ROW_ID_MAX)]


class MenuAction(StrEnum):
    ASK = "ask"
    NEW = "new"
    MINE = "mine"
    HELP = "help"
    LANG = "lang"


class FormAction(StrEnum):
    TYPE = "type"  # `choice`: the problem type's key
    SKIP = "skip"
    DONE = "done"
    CRITICALITY = "crit"  # `choice`: the criticality
    EDIT = "edit"  # `choice`: the step to go back to
    SUBMIT = "submit"
    COUPON = "coupon"
    BACK = "back"
    CANCEL = "cancel"
    SOLVED = "solved"  # the FAQ answer shown for the title solved it
    GO_ON = "go_on"  # ... it did not: on with the form


class QuestionAction(StrEnum):
    YES = "yes"
    NO = "no"
    PICK = "pick"
    TICKET = "ticket"
    APPEND = "append"


class TicketAction(StrEnum):
    VIEW = "view"
    WRITE = "write"
    REPLY = "reply"
    DONE = "done"
    CLOSE = "close"  # asks first
    CLOSE_SURE = "close_sure"  # the answer "yes, close it"
    KEEP = "keep"
    RATE = "rate"  # shows the stars (StarsCB rates)
    SKIP = "skip"
    REOPEN = "reopen"


class CardAction(StrEnum):
    TAKE = "take"
    RELEASE = "release"
    PRIORITY = "priority"
    ESCALATE = "escalate"
    WAITING = "waiting"
    RESOLVE = "resolve"
    CLOSE = "close"


class TemplateAction(StrEnum):
    LIST = "list"  # the card's "📎 Templates": show the templates to pick from
    SEND = "send"  # `template`: send it to the ticket's customer


class ForgetAction(StrEnum):
    SURE = "sure"  # the first yes
    ERASE = "erase"  # the second
    KEEP = "keep"  # no


class MenuCB(CallbackData, prefix="m"):
    """A main-menu button."""

    action: MenuAction


class LangCB(CallbackData, prefix="lang"):
    code: str


class FormCB(CallbackData, prefix="f"):
    """A button of the request form; `form` is the draft's id, so a stale button does nothing.

    `choice` is what the button picks, for the actions that pick something (see FormAction)."""

    action: FormAction
    choice: str = ""
    form: str = ""


class QuestionCB(CallbackData, prefix="q"):
    """A button under a FAQ answer or suggestion: helped, not helped, pick N, open a request."""

    action: QuestionAction
    search: Number
    pick: Number = 0


class TicketCB(CallbackData, prefix="t"):
    """A customer's button on one of their tickets.

    `ticket` is checked against the presser before anything is done: a forged number of
    another customer's ticket is refused. `back` is the position of the list the ticket was
    opened from (see requests_view.list_position; 0: not opened from a list).
    """

    action: TicketAction
    ticket: Number
    back: Number = 0


class StarsCB(CallbackData, prefix="ts"):
    """A star under a ticket: the customer's rating of it (the desk refuses a score out of 1..5)."""

    ticket: Number
    stars: Number


class ListCB(CallbackData, prefix="l"):
    """The customer's list of requests: which ones ("open", "waiting", "closed", "all") and a page."""

    show: str
    page: Number = 0


class CardCB(CallbackData, prefix="c"):
    """A button on a ticket card in the agent group."""

    action: CardAction
    ticket: Number


class ForgetCB(CallbackData, prefix="p"):
    """The customer's own erasure."""

    action: ForgetAction


class SuggestCB(CallbackData, prefix="sg"):
    """A suggested FAQ answer on a ticket card: send entry `entry` (shown at `position`, 1-based)."""

    ticket: Number
    position: Number
    entry: Annotated[str, Field(max_length=40)]


class TemplateCB(CallbackData, prefix="tp"):
    """The agents' templates for ticket `ticket`: list them, or send the template `template`."""

    action: TemplateAction
    ticket: Number
    template: Annotated[str, Field(max_length=40)] = ""
