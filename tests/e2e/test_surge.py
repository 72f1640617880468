"""A surge: updates are let into their handling a few at a time, in the order they came
(bot/middlewares/admission.py), and an update that waits — for Telegram, or for its chat's turn —
keeps nobody else waiting."""

from __future__ import annotations

import pytest
from world import eventually

from bot.middlewares.admission import AT_ONCE

QUESTION = "How do I reset my password?"


@pytest.fixture
def config(config):
    # Anna sends more messages than updates are let in at once: more than flood control's 30 in 10 s.
    return config.model_copy(update={"telegram": config.telegram.model_copy(update={"flood_limit": 1000})})


async def test_customers_whose_answers_are_on_their_way_keep_nobody_else_waiting(frontdesk, emu, john):
    # More answers than updates at work at once are stuck on their way to Telegram.
    stuck = emu.hold("sendMessage", times=AT_ONCE + 2)
    others = [emu.add_user(3000 + n, f"Customer{n}", language_code="en") for n in range(AT_ONCE + 2)]
    for person in others:
        await person.send(QUESTION)
    await eventually(lambda: stuck.count == AT_ONCE + 2, "every answer reached Telegram and was held there")
    try:
        await john.send(QUESTION)
        await emu.chat(john).wait_for()  # John is answered all the same
    finally:
        stuck.release()
    for person in others:
        await emu.chat(person).wait_for()


async def test_a_chat_with_many_messages_waiting_its_turn_keeps_nobody_else_waiting(frontdesk, emu, anna, john):
    # Anna's first answer is stuck on its way to Telegram, and her next messages wait for it.
    stuck = emu.hold("sendMessage", chat_id=anna.id)
    for n in range(AT_ONCE + 2):
        await anna.send(f"{QUESTION} ({n})")
    await stuck.arrived()
    try:
        await john.send(QUESTION)
        await emu.chat(john).wait_for()  # John is answered all the same
    finally:
        stuck.release()
    await eventually(lambda: len(emu.chat(anna).bot_messages) >= AT_ONCE + 2, "Anna had all her answers")
