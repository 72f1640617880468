"""Property tests of our callback data factories: any data either parses or raises the ValueError
aiogram's filters treat as "not this button", and what we pack fits Telegram's 64 bytes and reads
back the same. That the bot refuses forged data is shown by tests/e2e/test_forged_buttons.py,
which presses such buttons in the running bot."""

from __future__ import annotations

import pytest
from aiogram.filters.callback_data import CallbackData
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.callbacks import CardCB, FormCB, LangCB, ListCB, MenuCB, QuestionCB, StarsCB, TicketAction, TicketCB
from desk.numbers import ROW_ID_MAX

FACTORIES: list[type[CallbackData]] = [CardCB, FormCB, LangCB, ListCB, MenuCB, QuestionCB, StarsCB, TicketCB]
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
@given(st.sampled_from(list(TicketAction)), st.integers(0, ROW_ID_MAX), st.integers(0, 3000))
def test_ticket_buttons_round_trip(action, ticket, back):
    packed = TicketCB(action=action, ticket=ticket, back=back).pack()
    assert len(packed.encode()) <= 64
    assert TicketCB.unpack(packed) == TicketCB(action=action, ticket=ticket, back=back)
    stars = StarsCB(ticket=ticket, stars=back % 5 + 1)
    assert StarsCB.unpack(stars.pack()) == stars


def test_an_unknown_action_does_not_parse():
    for factory, data in [(TicketCB, "t:explode:1:0"), (CardCB, "c:explode:1"), (FormCB, "f:explode::x"),
                          (MenuCB, "m:explode"), (QuestionCB, "q:explode:1:0")]:
        with pytest.raises(ValueError):
            factory.unpack(data)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.integers(max_value=-1), st.integers(min_value=ROW_ID_MAX + 1)))
def test_numbers_the_database_cannot_hold_are_refused(number):
    for data in (f"t:view:{number}:0", f"c:take:{number}", f"q:pick:{number}:0", f"l:all:{number}"):
        if len(data.encode()) <= 64:
            with pytest.raises(ValueError):
                next(f for f in FACTORIES if data.startswith(f.__prefix__ + ":")).unpack(data)
