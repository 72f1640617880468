"""Bans from the agent group: a banned customer's messages create nothing and reach nobody, they
are told once; /unban brings them back; only admins may ban."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from world import file_request, make_config, settled

from storage.models import Search, Ticket


@pytest.fixture
def config(emu, tmp_path, forum_desk):
    """The desk's agent Ivan (5001) is its only admin."""
    (tmp_path / "faq").mkdir()
    return make_config(emu, tmp_path, desk={"admin_ids": [forum_desk.agent.id]})


async def count(db, model) -> int:
    async with db() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_a_banned_customer_creates_nothing_reaches_nobody_and_is_told_once(
        frontdesk, emu, john, talk, forum_desk, db):
    ivan = forum_desk.agent
    await file_request(talk(john), "Free coupons please")
    card = await emu.chat(forum_desk).wait_for(lambda m: m.shown_text.startswith("🎫 #1"))
    await ivan.send("/ban spam and insults", chat=forum_desk, thread_id=card.thread_id)
    answer = await emu.chat(forum_desk).wait_for(lambda m: "is banned" in m.shown_text)
    assert "Closed quietly: #1" in answer.shown_text
    await settled(emu)
    in_desk = len(emu.chat(forum_desk).messages)
    tickets, searches = await count(db, Ticket), await count(db, Search)
    told_before = len(emu.chat(john).bot_messages)

    for n in range(10):
        await john.send(f"How do I reset my password? ({n})")
    await john.send("/new")
    await settled(emu)

    said = emu.chat(john).bot_messages[told_before:]
    assert [m.shown_text for m in said] == [
        "Sorry, support no longer answers messages from this account. Your messages are not passed on to anybody."]
    assert len(emu.chat(forum_desk).messages) == in_desk
    assert (await count(db, Ticket), await count(db, Search)) == (tickets, searches)

    await ivan.send("/banned", chat=forum_desk)
    listed = await emu.chat(forum_desk).wait_for(lambda m: "Banned: 1" in m.shown_text)
    assert f"{john.id} — by Ivan" in listed.shown_text and "spam and insults" in listed.shown_text

    await ivan.send(f"/unban {john.id}", chat=forum_desk)
    await emu.chat(forum_desk).wait_for(lambda m: "is lifted" in m.shown_text)
    await talk(john).send("/new", expect="New request")


async def test_only_admins_may_ban(frontdesk, emu, john, talk, forum_desk, db):
    petr = emu.add_user(5002, "Petr", language_code="en")
    forum_desk.add_member(petr)
    await talk(john).send("/start")
    await petr.send(f"/ban {john.id}", chat=forum_desk)
    await emu.chat(forum_desk).wait_for(lambda m: "Only the desk's admins" in m.shown_text)
    await talk(john).send("/new", expect="New request")
