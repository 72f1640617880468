"""A local Telegram Bot API emulator and a driver for tests acting as people.

See ``emulator/README.md``. Typical use::

    async with BotAPIEmulator(token="123456:TEST") as emu:
        anna = emu.add_user(1001, "Anna", language_code="ru")
        await anna.send("/start")
        reply = await emu.chat(anna).wait_for(lambda m: "Welcome" in m.shown_text)
"""

from emulator.core import BotAPIEmulator
from emulator.driver import ButtonNotFound, CallbackPress, ChatView, Group, Person
from emulator.state import ApiCall, CallbackAnswer, Message, Topic

__all__ = [
    "ApiCall", "BotAPIEmulator", "ButtonNotFound", "CallbackAnswer", "CallbackPress",
    "ChatView", "Group", "Message", "Person", "Topic",
]
