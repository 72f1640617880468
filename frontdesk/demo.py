"""`frontdesk demo`: the real bot against the local Bot API emulator, with a scripted conversation
printed as each side sees it. No token and no network needed."""

from __future__ import annotations

import sys
import tempfile
import textwrap
from pathlib import Path
from typing import TextIO

from emulator import BotAPIEmulator, Message, Person
from frontdesk.app import Frontdesk
from frontdesk.config import parse_config

TOKEN = "123456:DEMO"
DESK_CHAT = -1001000000001
FAQ = Path(__file__).resolve().parent.parent / "faq"


class Transcript:
    """Prints what people send and what the bot shows them."""

    def __init__(self, emu: BotAPIEmulator, app: Frontdesk, out: TextIO) -> None:
        self.emu = emu
        self.app = app
        self.out = out

    async def settle(self) -> None:
        """Wait until the bot handled everything and sent everything it owes (no fixed pauses)."""
        await self.emu.settle(self.app.busy, timeout=60)

    def say(self, line: str = "") -> None:
        print(line, file=self.out, flush=True)

    def show(self, who: str, message: Message) -> None:
        text = message.shown_text or f"[{message.media_kind}]"
        lines = text.splitlines() or [""]
        self.say(f"  🤖 → {who}: {lines[0]}")
        for line in lines[1:]:
            for piece in textwrap.wrap(line, 96) or [""]:
                self.say(f"        {piece}")
        for row in message.buttons:
            self.say("        " + " ".join(f"[{text}]" for text in row))

    async def send(self, person: Person, text: str) -> Message:
        self.say(f"  👤 {person.user.first_name}: {text}")
        await person.send(text)
        return await self.answer(person)

    async def press(self, person: Person, message: Message, button: str) -> Message:
        self.say(f"  👤 {person.user.first_name} presses [{button}]")
        await person.press(message, button)
        return await self.answer(person)

    async def answer(self, person: Person) -> Message:
        """Wait until the bot is idle, then print what it newly showed this person."""
        before = {m.message_id: m.changed_at for m in self.emu.chat(person).bot_messages}
        await self.settle()
        shown = [
            m for m in self.emu.chat(person).bot_messages
            if before.get(m.message_id) != m.changed_at
        ]
        for message in shown:
            if message.message_id in before:
                buttons = " ".join(f"[{text}]" for row in message.buttons for text in row) or "none"
                self.say(f"  🤖 ✎ edits its message «{message.shown_text.splitlines()[0][:50]}…»: buttons {buttons}")
            else:
                self.show(person.user.first_name, message)
        return shown[-1] if shown else self.emu.chat(person).bot_messages[-1]


async def run_demo(db_path: Path | None = None, out: TextIO = sys.stdout) -> int:
    with tempfile.TemporaryDirectory(prefix="frontdesk-demo-") as folder:
        database = db_path or Path(folder) / "frontdesk.db"
        async with BotAPIEmulator(token=TOKEN, bot_username="frontdesk_demo_bot") as emu:
            config = parse_config(
                {
                    "telegram": {"token": TOKEN, "api_base": emu.base_url, "polling_timeout": 5,
                                 "private_per_second": 20.0},
                    "desk": {"agent_chat_id": DESK_CHAT, "language": "en"},
                    "storage": {"url": f"sqlite+aiosqlite:///{database}"},
                    "kb": {"path": str(FAQ), "watch": False},
                },
                source="demo",
                environ={},
            )
            app = Frontdesk(config)
            await app.start()
            try:
                await _script(Transcript(emu, app, out), emu)
            finally:
                await app.stop()
    return 0


async def _script(t: Transcript, emu: BotAPIEmulator) -> None:
    t.say(f"Frontdesk demo: the bot runs against the Bot API emulator at {emu.base_url},")
    t.say("on a SQLite database, with the starter FAQ. People below are driven by the emulator.\n")
    desk = emu.add_group(DESK_CHAT, "Support desk", forum=True)
    ivan = emu.add_user(5001, "Ivan", language_code="en")
    desk.add_member(ivan, status="administrator")
    anna = emu.add_user(1001, "Анна", language_code="ru", username="anna")
    john = emu.add_user(1002, "John", language_code="en", username="john")

    t.say("— A Russian-speaking customer opens the bot —")
    menu = await t.send(anna, "/start")
    t.say("\n— She asks a question, typed in the wrong keyboard layout; the FAQ answers —")
    answer = await t.send(anna, "rfr cjplfnm pfzdre")
    await t.press(anna, answer, "✅ Помогло")
    t.say("\n— She switches the interface to English —")
    choice = await t.press(anna, menu, "🌐 Язык / Language")
    await t.press(anna, choice, "English")

    t.say("\n— Ivan goes on duty in the agents' group: new tickets come to him in turn —")
    t.say("  👤 Ivan (in the group): /duty on")
    await ivan.send("/duty on", chat=desk)
    await t.settle()
    t.show("desk", emu.chat(desk).bot_messages[-1])

    t.say("\n— An English-speaking customer files a request —")
    menu = await t.send(john, "/start")
    step = await t.press(john, menu, "📝 New request")
    step = await t.send(john, "Invoice for October is missing")
    step = await t.press(john, step, "Billing and invoices")
    await t.send(john, "For accounting: where do I get the invoice for my October payment? It never arrived.")
    t.say("  👤 John sends a photo")
    await john.send_photo(caption="payment screenshot")
    step = await t.answer(john)
    step = await t.press(john, step, "➡️ Continue")
    step = await t.press(john, step, "🟠 High")
    await t.press(john, step, "✅ Send the request")

    t.say("\n— The agents' group gets the ticket in a topic of its own, assigned to Ivan, with the FAQ")
    t.say("  answers that match it suggested on the card —")
    card = await emu.chat(desk).wait_for(lambda m: m.shown_text.startswith("🎫 #1"), timeout=10)
    await t.settle()
    card = emu.message(desk, card.message_id)
    t.show("desk", card)
    t.say("\n— Ivan greets John with a template; its placeholders are filled in —")
    t.say("  👤 Ivan (in the topic): /t en-greeting")
    await ivan.send("/t en-greeting", chat=desk, thread_id=card.thread_id)
    await t.answer(john)
    (first, *_others) = [text for row in card.buttons for text in row if text.startswith("1️⃣")]
    t.say("\n— Ivan presses the first suggested answer; John gets that FAQ answer —")
    t.say(f"  👤 Ivan presses [{first}] on the card")
    await ivan.press(emu.message(desk, card.message_id), first)
    await t.answer(john)
    t.say("\n— Ivan answers in the topic; John gets the answer —")
    t.say("  👤 Ivan (in the topic): Thanks, the invoice is on its way. Can you confirm the e-mail?")
    await ivan.send("Thanks, the invoice is on its way. Can you confirm the e-mail?", chat=desk,
                    thread_id=card.thread_id)
    answer = await t.answer(john)
    t.say("  👤 Ivan (in the topic): ! internal note: billing fixed the export")
    await ivan.send("! internal note: billing fixed the export", chat=desk, thread_id=card.thread_id)
    await t.settle()
    t.say("  (the note stays in the group: John sees nothing new)")
    t.say("\n— John replies to the answer; it lands in the ticket's topic —")
    t.say("  👤 John replies: Yes, john@example.com")
    await john.reply(answer, "Yes, john@example.com")
    await t.settle()
    t.show("desk", emu.chat(desk).bot_messages[-1])
    t.say("\n— Ivan resolves the ticket; John is asked to rate it —")
    t.say("  👤 Ivan presses [✅ Resolve] on the card")
    await ivan.press(emu.message(desk, card.message_id), "✅ Resolve")
    resolved = await t.answer(john)
    await t.press(john, resolved, "5⭐")
    await t.settle()
    t.say("\n— The card, edited in place —")
    t.show("desk", emu.message(desk, card.message_id))
    t.say("\nThe demo is over: everything above went through the real bot over HTTP.")
