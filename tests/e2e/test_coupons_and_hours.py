"""Special requests by coupon, and the notice given outside support hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from world import Running, until_preview

from desk import coupons
from desk.clock import ManualClock
from storage.models import Coupon, Ticket

MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
def clock():
    return ManualClock(datetime(2026, 3, 13, 18, 30, tzinfo=MOSCOW))  # a Friday, 30 minutes before closing


async def issue(db, customer: int, clock, uses=15, days=365) -> str:
    async with db.begin() as session:
        return (await coupons.issue(session, customer, uses=uses, valid_days=days, now=clock.now())).code


async def server_down_until_preview(t):
    return await until_preview(t, "Server down", "All red.", "🔴 Critical")


async def test_a_valid_coupon_makes_a_special_request_and_uses_one(frontdesk, emu, john, talk, db, clock):
    code = await issue(db, john.id, clock, uses=2)
    t = talk(john)
    preview = await server_down_until_preview(t)
    await t.press(preview, "🎟 I have a coupon", expect="Send the coupon code")
    preview = await t.send(code.lower(), expect="Coupon accepted")
    assert "Requests left on it: 2" in preview.shown_text and f"Coupon: {code}" in preview.shown_text
    done = await t.press(preview, "✅ Send the request", expect="is registered")
    async with db() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
        coupon = (await session.execute(select(Coupon))).scalar_one()
    assert (ticket.plan, ticket.coupon_code, coupon.uses_left) == ("special", code, 1)
    # Special requests run around the clock: due one hour later, so no outside-hours notice.
    assert ticket.first_response_due == clock.now() + timedelta(hours=1)
    assert "now it is closed" not in done.shown_text


@pytest.mark.parametrize("problem", ["unknown", "other customer", "expired", "spent", "voided"])
async def test_a_bad_coupon_gets_its_reason_and_the_form_goes_on(frontdesk, emu, john, talk, db, clock, problem):
    if problem == "unknown":
        code, reason = "SP-NOPE-NOPE-NOPE", "There is no such coupon code for you"
    elif problem == "other customer":
        code, reason = await issue(db, 777, clock), "There is no such coupon code for you"
    elif problem == "expired":
        code, reason = await issue(db, john.id, clock, days=1), "expired"
        clock.advance(timedelta(days=2))
    elif problem == "spent":
        code, reason = await issue(db, john.id, clock, uses=1), "have been used"
        async with db.begin() as session:
            await coupons.use(session, code, john.id, clock.now())
    else:
        code, reason = await issue(db, john.id, clock), "replaced by a newer code"
        await issue(db, john.id, clock)
    t = talk(john)
    preview = await server_down_until_preview(t)
    await t.press(preview, "🎟 I have a coupon", expect="Send the coupon code")
    preview = await t.send(code, expect="Check your request")
    assert reason in preview.shown_text
    await t.press(preview, "✅ Send the request", expect="is registered")
    async with db() as session:
        assert (await session.execute(select(Ticket.plan))).scalar_one() == "commercial"


async def test_outside_support_hours_the_customer_is_told_when_to_expect_an_answer(frontdesk, emu, john, talk, clock):
    clock.set(datetime(2026, 3, 13, 19, 30, tzinfo=MOSCOW))  # Friday evening, closed
    t = talk(john)
    preview = await server_down_until_preview(t)
    done = await t.press(preview, "✅ Send the request", expect="is registered")
    assert "now it is closed" in done.shown_text
    assert "Mon 16 Mar, 16:00" in done.shown_text  # 6 business hours from Monday 10:00


async def test_inside_support_hours_there_is_no_notice(frontdesk, emu, john, talk, clock):
    clock.set(datetime(2026, 3, 12, 12, 0, tzinfo=MOSCOW))
    t = talk(john)
    preview = await server_down_until_preview(t)
    done = await t.press(preview, "✅ Send the request", expect="is registered")
    assert "closed" not in done.shown_text


async def test_an_admin_sets_a_customers_plan(emu, john, talk, tmp_path, clock, db):
    from world import make_config

    (tmp_path / "faq").mkdir(exist_ok=True)
    running = Running(make_config(emu, tmp_path, desk={"admin_ids": [4242]}), clock)
    await running.start()
    try:
        admin = emu.add_user(4242, "Admin", language_code="en")
        await talk(john).send("/start", expect="Hello")
        await talk(admin).send("/setplan 1002 gold", expect="Unknown plan gold")
        await talk(admin).send("/setplan 999 vip", expect="No customer with id 999")
        await talk(admin).send("/setplan 1002 vip", expect="Customer 1002 is on the vip plan now.")
        clock.set(datetime(2026, 3, 12, 12, 0, tzinfo=MOSCOW))
        preview = await server_down_until_preview(talk(john))
        await talk(john).press(preview, "✅ Send the request", expect="is registered")
        async with db() as session:
            ticket = (await session.execute(select(Ticket))).scalar_one()
        assert ticket.plan == "vip" and ticket.first_response_due == clock.now() + timedelta(hours=2)
        await talk(john).send("/setplan 1002 vip", expect="do not know this command")
    finally:
        await running.stop()
