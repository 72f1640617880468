"""Every conversation state of the bot, in one place."""

from aiogram.fsm.state import State, StatesGroup


class Ask(StatesGroup):
    question = State()


class Form(StatesGroup):
    """The request form; the step within `extra` is kept in the FSM data."""

    title = State()
    deflect = State()
    type = State()
    extra = State()
    details = State()
    criticality = State()
    preview = State()
    coupon = State()


class TicketChat(StatesGroup):
    """The customer writes to one of their tickets (its number is in the FSM data)."""

    writing = State()
    rating_comment = State()
