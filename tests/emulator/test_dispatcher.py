"""A tiny aiogram Dispatcher driven end to end through the emulator."""

from __future__ import annotations

import asyncio

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from emulator import BotAPIEmulator, Person


def build_router() -> Router:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer(
            f"Welcome, {message.from_user.first_name}!",
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
                InlineKeyboardButton(text="Help", callback_data="help")]]))

    @router.callback_query(F.data == "help")
    async def help_pressed(query: CallbackQuery) -> None:
        await query.answer("Help is on the way")
        await query.message.edit_text("How can we help?")

    return router


async def test_start_command_gets_a_welcome(emu: BotAPIEmulator, anna: Person) -> None:
    bot = Bot(emu.token, session=emu.aiogram_session())
    dp = Dispatcher()
    dp.include_router(build_router())
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False,
                                                   polling_timeout=1))
    try:
        await anna.send("/start")
        welcome = await emu.chat(anna).wait_for(lambda m: "Welcome" in m.shown_text)
        assert welcome.text == "Welcome, Anna!"

        press = await anna.press(welcome, "Help")
        assert (await press.answer()).text == "Help is on the way"
        await emu.chat(anna).wait_for(lambda m: m.text == "How can we help?")
        await emu.wait_idle(quiet=0.1)
    finally:
        await dp.stop_polling()
        await polling
    assert polling.exception() is None
