"""Every conversation state of the bot, in one place."""

from aiogram.fsm.state import State, StatesGroup


class Ask(StatesGroup):
    question = State()
