"""A customer's first conversation: greeting, menu, help, language, cancel; the command menus."""

from __future__ import annotations

from world import settled


async def test_start_in_russian_shows_greeting_and_menu(frontdesk, emu, anna):
    await anna.send("/start")
    reply = await emu.chat(anna).wait_for(lambda m: "Здравствуйте, Анна" in m.shown_text)
    assert reply.buttons == [
        ["❓ Задать вопрос"],
        ["📝 Новая заявка", "📋 Мои заявки"],
        ["ℹ️ Помощь", "🌐 Язык / Language"],
    ]


async def test_start_in_english_for_an_english_telegram(frontdesk, emu, john):
    await john.send("/start")
    reply = await emu.chat(john).wait_for(lambda m: "Hello, John" in m.shown_text)
    assert ["📝 New request", "📋 My requests"] in reply.buttons


async def test_unknown_telegram_language_gets_the_default(frontdesk, emu):
    hans = emu.add_user(1003, "Hans", language_code="de")
    await hans.send("/start")
    await emu.chat(hans).wait_for(lambda m: "Здравствуйте, Hans" in m.shown_text)


async def test_language_switch_from_the_menu_sticks(frontdesk, emu, anna):
    await anna.send("/start")
    menu = await emu.chat(anna).wait_for(lambda m: "Здравствуйте" in m.shown_text)
    await anna.press(menu, "🌐 Язык / Language")
    choice = await emu.chat(anna).wait_for(lambda m: "Выберите язык" in m.shown_text)
    assert choice.buttons == [["✅ Русский", "English"]]
    await anna.press(choice, "English")
    await emu.chat(anna).wait_for(lambda m: "I will speak English with you" in m.shown_text)
    # The choice wins over Telegram's language from now on, a restart included.
    await frontdesk.restart()
    await anna.send("/help")
    await emu.chat(anna).wait_for(lambda m: m.shown_text.startswith("How I can help"))


async def test_help_and_cancel(frontdesk, emu, john):
    await john.send("/help")
    await emu.chat(john).wait_for(lambda m: "/requests — my requests" in m.shown_text)
    await john.send("/cancel")
    await emu.chat(john).wait_for(lambda m: m.shown_text == "There is nothing to cancel.")


async def test_command_menu_is_registered_in_both_languages(frontdesk, emu):
    scope = {"type": "all_private_chats"}
    russian = dict(emu.commands(scope, language_code="ru"))
    english = dict(emu.commands(scope, language_code="en"))
    fallback = dict(emu.commands(scope))
    assert russian["new"] == "Новая заявка" and english["new"] == "New request"
    assert set(russian) == set(english) == {"start", "new", "requests", "language", "help", "cancel"}
    assert fallback == russian  # the default language is ru


async def test_a_restart_keeps_the_conversation_state(frontdesk, emu, john):
    await john.send("/start")
    menu = await emu.chat(john).wait_for(lambda m: "Hello" in m.shown_text)
    await john.press(menu, "❓ Ask a question")
    await emu.chat(john).wait_for(lambda m: "Write your question" in m.shown_text)
    await frontdesk.restart()
    await john.send("/cancel")
    # Had the state been lost, the bot would say there is nothing to cancel.
    await emu.chat(john).wait_for(lambda m: m.shown_text.startswith("Cancelled"))


async def test_a_redelivered_update_is_handled_once(frontdesk, emu, john):
    await john.send("/help")
    update_id = max(emu.world.updates.history)
    await emu.chat(john).wait_for(lambda m: "How I can help" in m.shown_text)
    await settled(emu)
    helps = [m for m in emu.chat(john).bot_messages if "How I can help" in m.shown_text]
    assert len(helps) == 1
    await emu.redeliver(update_id)
    await settled(emu)
    helps = [m for m in emu.chat(john).bot_messages if "How I can help" in m.shown_text]
    assert len(helps) == 1


async def test_forged_or_unknown_buttons_get_a_polite_refusal(frontdesk, emu, john):
    await john.send("/start")
    menu = await emu.chat(john).wait_for(lambda m: "Hello" in m.shown_text)
    for data in ["m:explode", "zz:1:2", "lang:de", "t:view:notanumber:0", ""]:
        answer = await (await john.press_data(menu, data)).answer()
        assert answer.text == "This button is out of date." and answer.show_alert


async def test_the_running_bot_checks_its_filters_on_the_loop(frontdesk, emu, john):
    from bot.inline_filters import run_inline

    assert run_inline(frontdesk.app.dispatcher) == 0  # build_dispatcher left nothing for a thread
    await john.send("/help")
    await emu.chat(john).wait_for(lambda m: m.shown_text.startswith("How I can help"))
