"""The ticket life cycle as a state machine, without Telegram: every (state, move) pair of the table
either leads where `MOVES` says or is refused, each state entered plans or cancels its reminders, and
a reopened or un-resolved ticket starts a new reply clock by its plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from desk import lifecycle, sweep
from desk.clock import ManualClock
from desk.customers import Person
from desk.forms import Draft
from desk.lifecycle import MOVES, Actor, Incoming, Move, Policy, Refused, State
from desk.settings import SchedulerConfig
from desk.sla import SLA
from desk.sla_config import SLAConfig
from desk.tickets import get_ticket, open_ticket
from storage import migrate
from storage.database import create_engine, create_sessionmaker
from storage.models import OutboxMessage, Reminder

CUSTOMER = Person(telegram_id=501, first_name="Anna")
AGENT = Actor(9001, "Olga")
# A Tuesday, 10:00 in Moscow: inside working hours of the default calendar.
START = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)


@pytest.fixture
async def desk(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}")
    await migrate.upgrade(engine)
    sla = SLA(SLAConfig())
    yield create_sessionmaker(engine), Policy(sla, SchedulerConfig(digest_time="", report_time=""), reopen_days=7)
    await engine.dispose()


async def new_ticket(sessions, policy: Policy, clock: ManualClock) -> int:
    draft = Draft(title="The printer", problem_type="question", details="It jams", criticality="normal")
    async with sessions.begin() as session:
        opened = await open_ticket(session, CUSTOMER, draft, sla=policy.sla, clock=clock)
        return opened.ticket.id


def written(message_id: int, text: str = "Hello") -> Incoming:
    return Incoming(chat_id=CUSTOMER.telegram_id, message_id=message_id, text=text, html=text)


async def put(sessions, number: int, state: State, now: datetime) -> None:
    """Bring the ticket into `state` the way the desk would (closed: just now)."""
    async with sessions.begin() as session:
        ticket = await get_ticket(session, number)
        ticket.state = state
        ticket.closed_at = now if state is State.CLOSED else None


async def do(sessions, number: int, move: Move, policy: Policy, now: datetime) -> None:
    async with sessions.begin() as session:
        ticket = await get_ticket(session, number, for_update=True)
        match move:
            case Move.TAKE:
                await lifecycle.take(session, ticket, AGENT, now)
            case Move.ANSWER:
                await lifecycle.support_writes(session, ticket, AGENT, written(70, "An answer"), now,
                                               signature="Support")
            case Move.CUSTOMER_WRITES:
                await lifecycle.customer_writes(session, ticket, Actor(CUSTOMER.telegram_id, "Anna"), written(71),
                                                now, policy)
            case Move.WAIT:
                await lifecycle.set_waiting(session, ticket, now, policy)
            case Move.RESOLVE:
                await lifecycle.resolve(session, ticket, now, policy)
            case Move.CLOSE:
                await lifecycle.close(session, ticket, AGENT, now, by_customer=False)
            case Move.REOPEN:
                await lifecycle.reopen(session, ticket, now, policy)


async def pending(sessions, number: int) -> dict[str, datetime]:
    async with sessions() as session:
        rows = (await session.execute(
            select(Reminder.kind, Reminder.due_at).where(Reminder.ticket_id == number, Reminder.state == "pending")
        )).all()
    return {kind: due for kind, due in rows}


async def state_of(sessions, number: int):
    async with sessions() as session:
        return await get_ticket(session, number)


@pytest.mark.parametrize("before", list(State))
@pytest.mark.parametrize("move", list(Move))
async def test_every_pair_of_state_and_move_follows_the_table(desk, before, move):
    sessions, policy = desk
    clock = ManualClock(START)
    number = await new_ticket(sessions, policy, clock)
    await put(sessions, number, before, clock.now())
    expected = MOVES.get((before, move))
    if expected is None:
        with pytest.raises(Refused) as refused:
            await do(sessions, number, move, policy, clock.now())
        assert refused.value.reason == ("not_closed" if move is Move.REOPEN else "closed")
        assert (await state_of(sessions, number)).state == before
        return
    await do(sessions, number, move, policy, clock.now())
    assert (await state_of(sessions, number)).state == expected


async def test_each_state_entered_plans_or_cancels_its_reminders(desk):
    sessions, policy = desk
    clock = ManualClock(START)
    number = await new_ticket(sessions, policy, clock)
    assert set(await pending(sessions, number)) == {"fr_reminder", "fr_breach", "res_reminder", "res_breach"}

    await do(sessions, number, Move.ANSWER, policy, clock.now())
    assert set(await pending(sessions, number)) == {"res_reminder", "res_breach"}

    await do(sessions, number, Move.WAIT, policy, clock.now())
    silence = await pending(sessions, number)
    assert {"customer_reminder", "autoclose_notice", "autoclose"} <= set(silence)
    assert silence["autoclose"] == clock.now() + timedelta(hours=policy.scheduler.autoclose_hours)

    clock.advance(timedelta(minutes=5))
    await do(sessions, number, Move.CUSTOMER_WRITES, policy, clock.now())  # waiting → open: silence over
    assert set(await pending(sessions, number)) == {"res_reminder", "res_breach"}

    await do(sessions, number, Move.RESOLVE, policy, clock.now())
    assert set(await pending(sessions, number)) == {"customer_reminder", "autoclose_notice", "autoclose"}
    assert (await state_of(sessions, number)).resolved_at == clock.now()

    await do(sessions, number, Move.CLOSE, policy, clock.now())
    assert await pending(sessions, number) == {}
    assert (await state_of(sessions, number)).closed_at == clock.now()


async def test_reopening_starts_a_new_reply_clock_by_the_plan_from_that_moment(desk):
    sessions, policy = desk
    clock = ManualClock(START)
    number = await new_ticket(sessions, policy, clock)
    clock.advance(timedelta(minutes=30))
    await do(sessions, number, Move.ANSWER, policy, clock.now())
    first_answer = clock.now()
    await do(sessions, number, Move.CLOSE, policy, clock.now())

    clock.advance(timedelta(days=2))
    await do(sessions, number, Move.REOPEN, policy, clock.now())
    ticket = await state_of(sessions, number)
    due = policy.sla.first_response_due(clock.now(), ticket.plan)
    assert (ticket.state, ticket.reply_clock_since, ticket.reply_due) == (State.OPEN, clock.now(), due)
    assert ticket.first_response_at == first_answer  # the first response stays, for the reports
    assert lifecycle.reply_due(ticket) == due and lifecycle.owes_reply(ticket)
    reminders = await pending(sessions, number)
    assert reminders["fr_breach"] == due
    assert clock.now() < reminders["fr_reminder"] < due
    async with sessions() as session:
        event = (await session.execute(
            select(OutboxMessage.payload).where(OutboxMessage.kind == "desk_event", OutboxMessage.ticket_id == number)
        )).scalars().all()
    assert {"event": "reopened", "due": due.isoformat()} in event

    # The answer stops the new clock, and its reminders with it.
    clock.advance(timedelta(minutes=10))
    await do(sessions, number, Move.ANSWER, policy, clock.now())
    ticket = await state_of(sessions, number)
    assert ticket.reply_due is None and not lifecycle.owes_reply(ticket)
    assert "fr_breach" not in await pending(sessions, number)


async def test_writing_to_a_resolved_ticket_restarts_the_clock_and_a_missed_answer_escalates(desk):
    sessions, policy = desk
    clock = ManualClock(START)
    number = await new_ticket(sessions, policy, clock)
    await do(sessions, number, Move.ANSWER, policy, clock.now())
    await do(sessions, number, Move.RESOLVE, policy, clock.now())

    clock.advance(timedelta(hours=1))
    await do(sessions, number, Move.CUSTOMER_WRITES, policy, clock.now())
    ticket = await state_of(sessions, number)
    assert (ticket.state, ticket.resolved_at, ticket.reply_clock_since) == (State.OPEN, None, clock.now())
    reminders = await pending(sessions, number)
    assert reminders["fr_breach"] == ticket.reply_due
    assert "autoclose" not in reminders  # the silence of a resolved ticket is over

    clock.set(ticket.reply_due + timedelta(minutes=1))
    assert await sweep.sweep(sessions, policy.sla, policy.scheduler, clock.now()) >= 2
    async with sessions() as session:
        events = [payload["event"] for payload in (await session.execute(
            select(OutboxMessage.payload).where(OutboxMessage.kind == "desk_event", OutboxMessage.ticket_id == number)
        )).scalars()]
    assert "fr_reminder" in events and "fr_breach" in events


async def test_an_answered_ticket_gets_no_first_response_escalation(desk):
    sessions, policy = desk
    clock = ManualClock(START)
    number = await new_ticket(sessions, policy, clock)
    await do(sessions, number, Move.ANSWER, policy, clock.now())
    ticket = await state_of(sessions, number)
    clock.set(ticket.first_response_due + timedelta(minutes=1))
    await sweep.sweep(sessions, policy.sla, policy.scheduler, clock.now())
    async with sessions() as session:
        events = [payload["event"] for payload in (await session.execute(
            select(OutboxMessage.payload).where(OutboxMessage.kind == "desk_event", OutboxMessage.ticket_id == number)
        )).scalars()]
    assert not {"fr_reminder", "fr_breach"} & set(events)


async def test_reopening_is_refused_after_the_window_and_for_an_open_ticket(desk):
    sessions, policy = desk
    clock = ManualClock(START)
    number = await new_ticket(sessions, policy, clock)
    with pytest.raises(Refused) as refused:
        await do(sessions, number, Move.REOPEN, policy, clock.now())
    assert refused.value.reason == "not_closed"
    await do(sessions, number, Move.CLOSE, policy, clock.now())
    clock.advance(timedelta(days=policy.reopen_days, seconds=1))
    with pytest.raises(Refused) as refused:
        await do(sessions, number, Move.REOPEN, policy, clock.now())
    assert (refused.value.reason, refused.value.details) == ("too_late", {"days": policy.reopen_days})
    assert (await state_of(sessions, number)).state == State.CLOSED
