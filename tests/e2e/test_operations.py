"""Operating the desk through the emulator: `frontdesk doctor` (each check passing and failing, each
failure with its fix), finding ids, /doctor, and a customer's own erasure."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiogram import Bot
from sqlalchemy import select
from world import DESK_CHAT, Running, file_request, make_config, settled

from bot import doctor
from storage import migrate
from storage.database import create_engine
from storage.models import Base, Customer, Ticket, TicketMessage

FAQ = Path(__file__).resolve().parents[2] / "faq"


@pytest.fixture
def setup(emu, tmp_path):
    shutil.copytree(FAQ, tmp_path / "faq")
    return make_config(emu, tmp_path, desk={"admin_ids": [42]})


@pytest.fixture
async def bot(emu):
    instance = Bot(emu.token, session=emu.aiogram_session())
    yield instance
    await instance.session.close()


async def checks_of(config, bot) -> dict[str, doctor.Check]:
    found = await doctor.diagnose(config, bot, now=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    return {check.name: check for check in found}


async def test_a_good_setup_passes_every_check(emu, setup, bot):
    emu.add_group(DESK_CHAT, "Support desk", forum=True)
    engine = create_engine(setup.storage.url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    found = await checks_of(setup, bot)
    assert {name: check.status for name, check in found.items()} == {
        "token": "ok", "agent group": "ok", "bot in the group": "ok", "topics": "ok", "agents' messages": "ok",
        "webhook": "ok", "database": "ok", "FAQ": "ok", "admins": "ok", "clock": "ok"}
    assert found["token"].detail == "accepted: the bot is @frontdesk_bot"
    assert found["topics"].detail == "topics are on: a topic per ticket"
    assert found["clock"].detail == "2026-03-02 09:00 UTC is 12:00 in Europe/Moscow (UTC+0300)"
    assert doctor.render(found.values()).endswith("all checks passed\n")


async def test_a_bot_that_is_no_administrator_is_told_to_be_made_one(emu, setup, bot):
    emu.add_group(DESK_CHAT, "Support desk", forum=True).set_bot("member")
    found = await checks_of(setup, bot)
    assert found["database"].status == "warn" and found["database"].fix.startswith("frontdesk db upgrade")
    assert found["bot in the group"].status == "fail"
    assert found["bot in the group"].fix == "make the bot an administrator of the agents' group"
    assert found["agents' messages"].status == "fail"  # privacy mode hides the agents' replies
    assert "/setprivacy → Disable" in found["agents' messages"].fix
    emu.set_privacy(False)
    assert (await checks_of(setup, bot))["agents' messages"].detail == \
        "the bot reads every message in the group (privacy mode is off)"


async def test_a_bot_outside_the_group_and_a_missing_group(emu, setup, bot):
    emu.add_group(DESK_CHAT, "Support desk", forum=True).set_bot("left")
    assert (await checks_of(setup, bot))["bot in the group"].fix == \
        "add the bot to the agents' group and make it an administrator"
    missing = setup.model_copy(update={"desk": setup.desk.model_copy(update={"agent_chat_id": -100999})})
    found = await checks_of(missing, bot)
    assert found["agent group"].status == "fail" and "chat not found" in found["agent group"].detail
    assert found["agent group"].fix == "check desk.agent_chat_id, and that the bot was added to that group"


async def test_topics_off_is_a_warning_with_how_to_turn_them_on(emu, setup, bot):
    emu.add_group(DESK_CHAT, "Support desk", forum=False)
    check = (await checks_of(setup, bot))["topics"]
    assert (check.status, check.detail) == ("warn", "topics are off: tickets come as cards in the one group chat")
    assert "turn topics on" in check.fix


async def test_no_right_to_manage_topics_fails_and_names_the_right(emu, setup, bot):
    emu.add_group(DESK_CHAT, "Support desk", forum=True).set_bot("administrator", withheld={"can_manage_topics"})
    check = (await checks_of(setup, bot))["topics"]
    assert check.status == "fail" and check.fix == "give the bot the administrator right «Manage topics»"


async def test_a_webhook_left_set_while_polling_fails(emu, setup, bot):
    emu.add_group(DESK_CHAT, "Support desk", forum=True)
    await bot.set_webhook("https://old.example.com/hook")
    check = (await checks_of(setup, bot))["webhook"]
    assert check.status == "fail" and "https://old.example.com/hook" in check.detail
    assert "frontdesk webhook delete" in check.fix


async def test_a_broken_faq_fails_and_points_to_kb_check(emu, setup, bot, tmp_path):
    emu.add_group(DESK_CHAT, "Support desk", forum=True)
    (tmp_path / "faq" / "broken.md").write_text("---\nid: [unclosed\n---\nBody\n", encoding="utf-8")
    check = (await checks_of(setup, bot))["FAQ"]
    assert check.status == "fail" and check.detail.startswith("1 errors: ") and "broken.md" in check.detail
    assert check.fix == f"frontdesk kb check --kb {tmp_path / 'faq'} lists them with their lines"


async def test_run_logs_what_is_wrong_at_start_and_starts(emu, setup, caplog):
    emu.add_group(DESK_CHAT, "Support desk", forum=True).set_bot("member")
    running = Running(setup)
    await running.start()
    try:
        warned = [r.getMessage() for r in caplog.records if r.getMessage().startswith("setup: ")]
        assert "setup: bot in the group: the bot is a member but not an administrator " \
               "(fix: make the bot an administrator of the agents' group)" in warned
    finally:
        await running.stop()


async def test_the_command_exits_1_on_a_failure_and_speaks_json(emu, tmp_path):
    emu.add_group(DESK_CHAT, "Support desk", forum=True).set_bot("member")
    (tmp_path / "faq").mkdir()
    (tmp_path / "config.toml").write_text(
        f'[telegram]\ntoken = "{emu.token}"\napi_base = "{emu.base_url}"\n[desk]\nagent_chat_id = {DESK_CHAT}\n'
        f'[storage]\nurl = "sqlite+aiosqlite:///{tmp_path / "f.db"}"\n[kb]\npath = "{tmp_path / "faq"}"\n',
        encoding="utf-8")
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "frontdesk.cli", "doctor", "--json"], check=False,
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is False
    failed = {check["name"] for check in report["checks"] if check["status"] == "fail"}
    assert failed == {"bot in the group", "topics", "agents' messages"}


# --- in the bot -------------------------------------------------------------------------------


async def test_whoami_tells_a_person_their_id(frontdesk, emu, john, talk):
    shown = await talk(john).send("/whoami", expect="Your Telegram id")
    assert shown.shown_text.splitlines()[0] == f"Your Telegram id: {john.id}"


async def test_a_group_the_bot_is_added_to_is_told_its_id_and_what_it_lacks(frontdesk, emu, config, tmp_path):
    (tmp_path / "c.toml").write_text(f'[storage]\nurl = "{config.storage.url}"\n', encoding="utf-8")
    admin = emu.add_user(5002, "Olga", language_code="en")
    group = emu.add_group(-1002000000002, "Our support team", forum=True)
    await emu.add_bot_to(group, by=admin, status="member")
    told = await emu.chat(group).wait_for(lambda m: "this group's id is" in m.shown_text, timeout=10)
    lines = told.shown_text.splitlines()
    assert lines[0] == "👋 Olga, this group's id is -1002000000002."
    assert "To make it the agents' desk, put it into desk.agent_chat_id and restart the bot." in lines
    assert "Ready to be the desk: not yet." in lines
    assert "✘ bot in the group: the bot is a member but not an administrator" in lines
    assert "    → make the bot an administrator of the agents' group" in lines

    ready = emu.add_group(-1002000000003, "Second desk", forum=True)
    await emu.add_bot_to(ready, by=admin, status="administrator")
    told = await emu.chat(ready).wait_for(lambda m: "this group's id is" in m.shown_text, timeout=10)
    assert "Ready to be the desk: yes." in told.shown_text.splitlines()

    await emu.remove_bot_from(group, by=admin)
    await settled(emu)
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "frontdesk.cli", "doctor", "--json", "--config", str(tmp_path / "c.toml")],
        check=False, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # no token in that config: the token check fails
    seen = {g["id"]: (g["title"], g["bot"]) for g in json.loads(done.stdout)["groups"]}
    assert seen == {-1002000000002: ("Our support team", "left"), -1002000000003: ("Second desk", "administrator")}


async def test_doctor_in_the_bot_is_for_admins(emu, tmp_path, talk):
    emu.add_group(DESK_CHAT, "Support desk", forum=True)
    (tmp_path / "faq").mkdir()
    admin = emu.add_user(42, "Ada", language_code="en")
    stranger = emu.add_user(43, "Eve", language_code="en")
    running = Running(make_config(emu, tmp_path, desk={"admin_ids": [42]}))
    await running.start()
    try:
        report = await talk(admin).send("/doctor", expect="Setup check")
        assert "✔ bot in the group: the bot is an administrator" in report.shown_text.splitlines()
        assert report.shown_text.splitlines()[-1] == "All checks passed."
        refused = await talk(stranger).send("/doctor")
        assert "Setup check" not in refused.shown_text
    finally:
        await running.stop()


# --- a customer's own erasure ---------------------------------------------------------------------


async def test_a_customer_erases_their_data_after_two_confirmations(frontdesk, emu, john, talk, db):
    t = talk(john)
    await file_request(t, "My secret problem", "Very private details.")

    asked = await t.send("/forgetme", expect="Erase your data?")
    kept = await t.press(asked, "✖️ Keep my data", expect="Nothing was erased.")
    assert kept.buttons == []
    async with db() as session:
        assert (await session.execute(select(Ticket.title))).scalar_one() == "My secret problem"

    asked = await t.send("/forgetme", expect="Erase your data?")
    sure = await t.press(asked, "Yes, erase my data", expect="Are you sure?")
    assert [text for row in sure.buttons for text in row] == ["🗑 Erase everything now", "✖️ Keep my data"]
    async with db() as session:  # one yes is not enough
        assert (await session.execute(select(Ticket.title))).scalar_one() == "My secret problem"
    await t.press(sure, "🗑 Erase everything now", expect="Done: your data is erased.")
    async with db() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
        assert (ticket.title, ticket.details, ticket.state) == ("(forgotten)", "", "closed")
        texts = (await session.execute(select(TicketMessage.text))).scalars().all()
        assert "Very private details." not in texts
        assert (await session.execute(select(Customer.telegram_id))).scalars().all() == [-1]


async def test_an_admin_forgets_a_customer_in_the_running_bot_form_and_card_included(emu, tmp_path, talk, john,
                                                                                      forum_desk, db):
    (tmp_path / "faq").mkdir(exist_ok=True)
    admin = emu.add_user(42, "Ada", language_code="en")
    running = Running(make_config(emu, tmp_path, desk={"admin_ids": [42]}))
    await running.start()
    try:
        t = talk(john)
        await file_request(t, "John's private trouble", "Very private details.")
        card = await emu.chat(forum_desk).wait_for(lambda m: "John's private trouble" in m.shown_text)
        await t.send("/new", expect="New request")
        await t.send("Second secret title", expect="What kind of problem")  # a form in progress

        assert (await talk(admin).send("/forget", expect="Usage")).shown_text == "Usage: /forget TELEGRAM_ID"
        done = await talk(admin).send(f"/forget {john.id}", expect="is forgotten")
        assert done.shown_text == f"Customer {john.id} is forgotten: 1 requests kept without personal data."
        await settled(emu)
        redrawn = emu.message(forum_desk, card.message_id)
        assert "John's private trouble" not in redrawn.shown_text and "(forgotten)" in redrawn.shown_text
        assert "closed" in redrawn.shown_text
        # The form in progress is gone from the running bot too: nothing comes back into the database.
        await t.send("/cancel", expect="There is nothing to cancel.")
        values = " ".join(str(value) for _table, _column, value in await cells(db))
        assert "Second secret title" not in values and "John's private trouble" not in values
    finally:
        await running.stop()


async def cells(db) -> list[tuple[str, str, object]]:
    async with db() as session:
        connection = await session.connection()
        found = []
        for table in Base.metadata.sorted_tables:
            for row in (await connection.execute(table.select())).mappings():
                found += [(table.name, column, value) for column, value in row.items()]
        return found
