"""Typed callback data: short prefixes, parsed and checked before anything is done.

Every number is bounded to what the database holds: data forged with a huge number does not
match the factory (the fallback answers "out of date") and never reaches a query.
"""

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from desk.numbers import ROW_ID_MAX

#: A row id or a small count in callback data.
Number = Annotated[int, Field(ge=0, le=ROW_ID_MAX)]


class MenuCB(CallbackData, prefix="m"):
    """A main-menu button: ask, new, mine, help, lang."""


    action: str


class LangCB(CallbackData, prefix="lang"):
    code: str


class FormCB(CallbackData, prefix="f"):
    """A button of the request form; `form` is the draft's id, so a stale button does nothing."""

    action: str
    value: str = ""
    form: str = ""


class QuestionCB(CallbackData, prefix="q"):
    """A button under a FAQ answer or suggestion: helped, not helped, pick N, open a request."""

    action: str
    search: Number
    pick: Number = 0


class TicketCB(CallbackData, prefix="t"):
    """A customer's button on one of their tickets: view, reply, close, rate, reopen, history.

    `ticket` is checked against the presser before anything is done: a forged number of
    another customer's ticket is refused.
    """

    action: str
    ticket: Number
    value: Number = 0


class ListCB(CallbackData, prefix="l"):
    """The customer's list of requests: which ones ("open", "waiting", "closed", "all") and a page."""

    show: str
    page: Number = 0


class CardCB(CallbackData, prefix="c"):
    """A button on a ticket card in the agent group."""

    action: str
    ticket: Number


class ForgetCB(CallbackData, prefix="p"):
    """The customer's own erasure: "sure" (the first yes), "erase" (the second), "keep" (no)."""

    action: str
