"""Telegram's failure modes, mapped by aiogram to its exception classes."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetMe

from emulator import BotAPIEmulator, Person
from emulator.errors import ApiError, StrictFloodLimiter, arrived_at


async def test_blocked_user_is_forbidden(emu: BotAPIEmulator, bot: Bot, anna: Person) -> None:
    await emu.block_bot(anna)

    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(anna.id, "are you there?")
    updates = await bot.get_updates(timeout=0)
    assert updates[-1].my_chat_member.new_chat_member.status == "kicked"

    await emu.unblock_bot(anna)
    assert (await bot.send_message(anna.id, "welcome back")).text == "welcome back"


async def test_injected_flood_wait_carries_retry_after(emu: BotAPIEmulator, bot: Bot,
                                                       anna: Person) -> None:
    emu.inject_error("sendMessage", chat_id=anna.id, error_code=429, retry_after=3)

    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(anna.id, "first try")
    await bot.send_message(anna.id, "second try")

    assert caught.value.retry_after == 3
    assert "Too Many Requests: retry after 3" in str(caught.value)
    first, second = emu.calls_to("sendMessage")
    assert (first.result_ok, first.error_code, second.result_ok) == (False, 429, True)
    assert second.at >= first.at


async def test_migrated_group_points_to_the_supergroup(emu: BotAPIEmulator, bot: Bot) -> None:
    desk = emu.add_group(-4242, "Old desk", supergroup=False)

    new_id = await emu.migrate_group(desk)

    with pytest.raises(TelegramMigrateToChat) as caught:
        await bot.send_message(-4242, "hello")
    assert caught.value.migrate_to_chat_id == new_id == desk.id
    updates = await bot.get_updates(timeout=0)
    assert updates[0].message.migrate_to_chat_id == new_id
    assert updates[1].message.migrate_from_chat_id == -4242
    assert (await bot.send_message(new_id, "hello")).chat.type == "supergroup"


async def test_injected_5xx_and_delay(emu: BotAPIEmulator, bot: Bot, anna: Person) -> None:
    emu.inject_status("sendMessage", 502)
    with pytest.raises(ClientDecodeError):
        await bot.send_message(anna.id, "x")

    emu.inject_error("getMe", error_code=500, description="Internal Server Error")
    with pytest.raises(TelegramServerError):
        await bot.get_me()

    emu.inject_delay("getMe", 0.5)
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.get_me(request_timeout=0.1)
    await emu.wait_idle(quiet=0.05)


class NoSuchMethod(GetMe):
    __api_method__ = "noSuchMethod"


async def test_wrong_token_is_unauthorized(emu: BotAPIEmulator) -> None:
    stranger = Bot("999:WRONG", session=emu.aiogram_session())
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()
    finally:
        await stranger.session.close()


async def test_unknown_method_is_not_found(bot: Bot) -> None:
    with pytest.raises(TelegramNotFound):
        await bot(NoSuchMethod())


async def test_flood_limits_when_enforced(emu: BotAPIEmulator, bot: Bot, anna: Person) -> None:
    emu.enforce_rate_limits(True)

    with pytest.raises(TelegramRetryAfter):
        for n in range(10):
            await bot.send_message(anna.id, f"spam {n}")
    assert 1 < len(emu.chat(anna).messages) < 10


async def test_unknown_callback_query_id(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query("12345", text="late")


async def test_call_log_timestamps(emu: BotAPIEmulator, bot: Bot) -> None:
    before = time.monotonic()
    await bot.get_me()

    assert emu.calls[-1].method == "getMe" and emu.calls[-1].at >= before


async def test_a_held_call_waits_for_release_and_the_emulator_says_it_is_busy(
    emu: BotAPIEmulator, bot: Bot, anna: Person,
) -> None:
    hold = emu.hold("sendMessage", chat_id=anna.id)
    sending = asyncio.create_task(bot.send_message(anna.id, "held"))
    await hold.arrived()
    assert emu.busy() == ["1 Bot API requests in flight"]
    assert emu.chat(anna).messages == []  # not sent while held
    hold.release()
    assert (await sending).text == "held"
    assert emu.busy() == []
    assert [m.text for m in emu.chat(anna).messages] == ["held"]
    assert (await bot.send_message(anna.id, "not held")).text == "not held"  # the hold caught one call


async def test_a_held_call_whose_client_went_away_is_dropped(emu: BotAPIEmulator, bot: Bot, anna: Person) -> None:
    hold = emu.hold("sendMessage", chat_id=anna.id)
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.send_message(anna.id, "abandoned", request_timeout=0.5)
    assert hold.count == 1
    deadline = time.monotonic() + 10
    while emu.busy():  # the server notices the closed connection and drops the call
        assert time.monotonic() < deadline, emu.busy()
        await emu.world.wait_change(0.05)
    hold.release()
    assert emu.chat(anna).messages == []


async def test_an_update_counts_as_busy_until_the_bot_confirms_it(emu: BotAPIEmulator, bot: Bot, anna: Person) -> None:
    before = emu.activity
    await anna.send("hello")
    assert emu.busy() == ["1 updates not yet confirmed by the bot"]
    assert emu.activity > before
    updates = await bot.get_updates(timeout=0)
    assert emu.busy() == ["1 updates not yet confirmed by the bot"]  # received, not yet confirmed
    await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert emu.busy() == []


async def test_settle_waits_for_every_probe_and_names_what_still_moves(emu: BotAPIEmulator) -> None:
    moving = ["2 things being done"]

    async def probe() -> list[str]:
        return list(moving)

    with pytest.raises(AssertionError, match=r"did not come to rest within 0\.2s: 2 things being done"):
        await emu.settle(probe, timeout=0.2)
    settling = asyncio.create_task(emu.settle(probe, timeout=10))
    await asyncio.sleep(0)
    assert not settling.done()
    moving.clear()
    await settling


def test_strict_limits_refuse_the_31st_send_in_a_second_a_4th_to_one_chat_and_the_21st_to_a_group() -> None:
    now = [0.0]
    limits = StrictFloodLimiter(clock=lambda: now[0])
    for _ in range(3):
        limits.check(1001, True)  # a private chat's burst of 3
    with pytest.raises(ApiError) as refused:
        limits.check(1001, True)
    assert refused.value.parameters == {"retry_after": 1}
    for chat in range(27):
        limits.check(2000 + chat, True)
    with pytest.raises(ApiError):
        limits.check(3000, True)  # the 31st in this second
    now[0] = 1.0
    limits.check(1001, True)  # a second later: one more to the first chat, not two
    with pytest.raises(ApiError):
        limits.check(1001, True)
    for _ in range(20):
        limits.check(-100123, False)
    with pytest.raises(ApiError) as refused:
        limits.check(-100123, False)
    assert refused.value.parameters == {"retry_after": 60}
    assert limits.refused == 4
    assert limits.refused_by == {"private": 2, "overall": 1, "group": 1}
    assert limits.refused_at == [0.0, 0.0, 1.0, 1.0]
    assert limits.accepted == [0.0] * 30 + [1.0] * 21  # what got through, when, 429s left out


def test_strict_limits_count_a_held_request_when_it_arrived_not_when_it_was_let_go() -> None:
    """Thirty requests that arrived over three seconds and were held are let go at once: no burst."""
    now = [10.0]
    limits = StrictFloodLimiter(clock=lambda: now[0])
    for n in range(30):
        token = arrived_at.set(7.05 + n * 0.1)
        try:
            limits.check(5000 + n, True)
        finally:
            arrived_at.reset(token)
    assert limits.refused == 0
    assert limits.accepted == pytest.approx([7.05 + n * 0.1 for n in range(30)])
    # Counted where they arrived: the last second before now holds ten of them, so twenty more fit.
    for n in range(20):
        limits.check(6000 + n, True)
    with pytest.raises(ApiError):
        limits.check(7000, True)
    assert limits.refused_by == {"overall": 1}


def test_strict_limits_refuse_a_late_counted_send_that_makes_31_in_a_second_with_later_ones() -> None:
    now = [0.0]
    limits = StrictFloodLimiter(clock=lambda: now[0])
    for n in range(30):
        now[0] = 1.0 + n * 0.01  # thirty within 0.3 s
        limits.check(5000 + n, True)
    token = arrived_at.set(0.9)  # one that arrived just before them, judged only now
    try:
        with pytest.raises(ApiError):
            limits.check(6000, True)
    finally:
        arrived_at.reset(token)
