"""Property tests of our callback data factories: any data either parses or raises the ValueError
aiogram's filters treat as "not this button", and what we pack fits Telegram's 64 bytes and reads
back the same. That the bot refuses forged data is shown by tests/e2e/test_forged_buttons.py,
which presses such buttons in the running bot."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.callbacks import CardCB, FormCB, LangCB, ListCB, MenuCB, QuestionCB, TicketCB

FACTORIES: list[type[CallbackData]] = [CardCB, FormCB, LangCB, ListCB, MenuCB, QuestionCB, TicketCB]
PIECES = st.sampled_from(["t", "c", "f", "q", "l", "m", "lang", "view", "rate", "take", "1", "-1", "999999999999",
                          "", "x" * 70, "0", "submit", "1.5", "None", "true"])
# Telegram carries at most 64 bytes of callback data.
DATA = st.one_of(
    st.text(max_size=64),
    st.lists(PIECES, min_size=1, max_size=6).map(":".join),
).filter(lambda data: len(data.encode()) <= 64)


@settings(max_examples=500, deadline=None)
@given(DATA)
def test_any_callback_data_parses_or_is_refused(data):
    for factory in FACTORIES:
        try:
            parsed = factory.unpack(data)
        except (ValueError, TypeError):
            continue
        # What parses packs back into data of the same factory and the same fields.
        assert factory.unpack(parsed.pack()) == parsed


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["view", "reply", "close", "rate"]), st.integers(-2**31, 2**31), st.integers(-10, 10))
def test_ticket_buttons_round_trip(action, ticket, value):
    packed = TicketCB(action=action, ticket=ticket, value=value).pack()
    assert len(packed.encode()) <= 64
    assert TicketCB.unpack(packed) == TicketCB(action=action, ticket=ticket, value=value)
