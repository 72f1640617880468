"""The agents' use cases (desk.agent_actions) on a real SQLite database, without Telegram: what an
agent may do to a ticket, what reaches the customer (the outbox) and what stays in the group."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.callbacks import CardAction
from desk import suggestions
from desk.agent_actions import CHANGES, AgentDesk, Place, signature
from desk.clock import ManualClock
from desk.desk_chat import DeskChat
from desk.export import Period
from desk.lifecycle import Actor, Incoming, Policy, Refused
from desk.settings import DeskConfig, SchedulerConfig
from desk.sla import SLA
from desk.sla_config import SLAConfig
from kb.base import KnowledgeBase
from storage import migrate
from storage.database import create_engine, create_sessionmaker
from storage.models import Customer, OutboxMessage, SuggestionUse, Ticket, TicketMessage

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
GROUP, OTHER_GROUP = -100111, -100222
OLGA, IVAN = Actor(501, "Olga"), Actor(502, "Ivan")
# Ticket 1: a card in our group with its topic 77; ticket 2: a card in another group.
CARD_1, TOPIC_1, CARD_2 = 10, 77, 20


@pytest.fixture
async def sessions(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'frontdesk.db'}")
    await migrate.upgrade(engine)
    factory = create_sessionmaker(engine)
    async with factory.begin() as session:
        customer = Customer(telegram_id=42, first_name="Anna", created_at=NOW)
        session.add(customer)
        await session.flush()
        for number, chat, card, topic in ((1, GROUP, CARD_1, TOPIC_1), (2, OTHER_GROUP, CARD_2, None)):
            session.add(Ticket(id=number, customer_id=customer.id, title=f"Ticket {number}", problem_type="question",
                               criticality="normal", plan="basic", state="new", created_at=NOW, updated_at=NOW,
                               first_response_due=NOW + timedelta(hours=4), card_chat_id=chat, card_message_id=card,
                               topic_thread_id=topic))
    yield factory
    await engine.dispose()


@pytest.fixture
def kb(tmp_path):
    folder = tmp_path / "faq"
    folder.mkdir()
    (folder / "reset.md").write_text("---\nquestions:\n  - How do I reset my password?\n---\n\n"
                                     "Press **Forgot password**.\n", encoding="utf-8")
    return KnowledgeBase(folder)


def desk_of(sessions, kb, **settings) -> AgentDesk:
    desk = DeskConfig(agent_chat_id=GROUP, **settings)
    return AgentDesk(sessions, ManualClock(NOW), desk, Policy(SLA(SLAConfig()), SchedulerConfig(), desk.reopen_days),
                     kb, DeskChat(GROUP))


@pytest.fixture
def agents(sessions, kb) -> AgentDesk:
    return desk_of(sessions, kb)


def in_topic(thread_id: int = TOPIC_1, message_id: int = 900) -> Place:
    return Place(GROUP, message_id, thread_id=thread_id)


def said(text: str, message_id: int = 900) -> Incoming:
    return Incoming(chat_id=GROUP, message_id=message_id, text=text, html=text)


async def outbox_kinds(sessions, ticket: int) -> list[str]:
    async with sessions() as session:
        return list((await session.execute(
            select(OutboxMessage.kind).where(OutboxMessage.ticket_id == ticket).order_by(OutboxMessage.id)
        )).scalars())


async def ticket(sessions, number: int) -> Ticket:
    async with sessions() as session:
        return await session.get(Ticket, number)


async def test_an_answer_in_the_topic_goes_to_the_customer_and_opens_the_ticket(sessions, agents):
    written = await agents.write(in_topic(), OLGA, said("Try again now"))
    assert (written.ticket_id, written.note) == (1, False)
    assert await outbox_kinds(sessions, 1) == ["to_customer", "card_refresh"]
    answered = await ticket(sessions, 1)
    assert (answered.state, answered.assignee_name, answered.first_response_at) == ("open", "Olga", NOW)


async def test_a_note_is_kept_with_the_ticket_and_never_relayed(sessions, agents):
    for text in ("! the customer is a partner", "/note call them tomorrow"):
        written = await agents.write(in_topic(), OLGA, said(text))
        assert written.note
    assert await outbox_kinds(sessions, 1) == []
    async with sessions() as session:
        kinds = (await session.execute(select(TicketMessage.author_kind).where(TicketMessage.ticket_id == 1))).scalars()
        assert list(kinds) == ["note", "note"]
    assert (await ticket(sessions, 1)).first_response_at is None


async def test_the_note_prefix_is_the_configured_one(sessions, kb):
    written = await desk_of(sessions, kb, note_prefix="#").write(in_topic(), OLGA, said("# internal"))
    assert written.note


async def test_commands_service_messages_and_strangers_are_nobodys_answer(sessions, agents):
    assert await agents.write(in_topic(), OLGA, said("/start")) is None
    assert await agents.write(in_topic(), OLGA, said("")) is None
    assert await agents.write(Place(GROUP, 900), OLGA, said("hello, everybody")) is None
    assert await agents.write(in_topic(thread_id=5), OLGA, said("another topic")) is None
    assert await outbox_kinds(sessions, 1) == []


async def test_a_reply_to_the_card_is_about_its_ticket(sessions, agents):
    written = await agents.write(Place(GROUP, 900, reply_to=CARD_1), OLGA, said("On it"))
    assert written.ticket_id == 1


async def test_a_reply_to_a_card_not_yet_saved_goes_by_the_number_it_shows(sessions, agents):
    written = await agents.write(Place(GROUP, 900, reply_to=555, card_number=1), OLGA, said("On it"))
    assert written.ticket_id == 1


async def test_a_ticket_of_another_group_is_not_found(sessions, agents):
    assert await agents.write(Place(GROUP, 900, reply_to=CARD_2), OLGA, said("hi")) is None
    assert await agents.write(Place(GROUP, 900, reply_to=555, card_number=2), OLGA, said("hi")) is None
    with pytest.raises(Refused) as refused:
        await agents.press(GROUP, 2, CardAction.TAKE, OLGA)
    assert refused.value.reason == "no_ticket"
    with pytest.raises(Refused) as refused:
        await agents.press(GROUP, 99, CardAction.TAKE, OLGA)
    assert refused.value.reason == "no_ticket"
    assert await outbox_kinds(sessions, 2) == []


async def test_a_closed_ticket_refuses_an_answer_but_keeps_notes(sessions, agents):
    await agents.press(GROUP, 1, CardAction.CLOSE, OLGA)
    before = await outbox_kinds(sessions, 1)
    with pytest.raises(Refused) as refused:
        await agents.write(in_topic(), OLGA, said("one more thing"))
    assert refused.value.reason == "closed"
    assert (await agents.write(in_topic(), OLGA, said("! for the record"))).note
    assert await outbox_kinds(sessions, 1) == before


@pytest.mark.parametrize(("setting", "agent_name", "signed"), [
    ("first_name", "Olga", "Olga"),
    ("first_name", "", "Support"),
    ("team", "Olga", "Support"),
])
def test_the_signature_rule(setting, agent_name, signed):
    assert signature(DeskConfig(agent_signature=setting), agent_name) == signed


@pytest.mark.parametrize(("setting", "signed"), [("first_name", "Olga"), ("team", "Helpdesk")])
async def test_answers_are_signed_as_configured(sessions, kb, setting, signed):
    agents = desk_of(sessions, kb, agent_signature=setting, team_name="Helpdesk")
    await agents.write(in_topic(), OLGA, said("Hello"))
    await agents.send_faq(in_topic(message_id=901), OLGA, "reset")
    async with sessions() as session:
        payloads = (await session.execute(
            select(OutboxMessage.payload).where(OutboxMessage.kind == "to_customer")
        )).scalars()
        assert [payload["signature"] for payload in payloads] == [signed, signed]


async def test_faq_sends_the_entry_as_supports_answer(sessions, agents):
    sent = await agents.send_faq(in_topic(message_id=901), OLGA, "reset")
    assert (sent.ticket_id, sent.title) == (1, "How do I reset my password?")
    async with sessions() as session:
        row = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "to_customer"))).scalar_one()
    assert row.payload["html"] == "<b>How do I reset my password?</b>\n\nPress <b>Forgot password</b>."
    assert row.payload["message_id"] == 901
    assert (await ticket(sessions, 1)).first_response_at == NOW


async def test_faq_refusals(sessions, agents):
    with pytest.raises(Refused) as refused:
        await agents.send_faq(Place(GROUP, 901), OLGA, "reset")
    assert refused.value.reason == "no_ticket"
    with pytest.raises(Refused) as refused:
        await agents.send_faq(in_topic(), OLGA, "nothing-like-it")
    assert (refused.value.reason, refused.value.details) == ("no_entry", {"id": "nothing-like-it"})
    await agents.press(GROUP, 1, CardAction.CLOSE, OLGA)
    with pytest.raises(Refused) as refused:
        await agents.send_faq(in_topic(), OLGA, "reset")
    assert refused.value.reason == "closed"


async def test_a_ticket_taken_by_another_agent_is_refused(sessions, agents):
    await agents.press(GROUP, 1, CardAction.TAKE, OLGA)
    for action in (CardAction.TAKE, CardAction.RELEASE):
        with pytest.raises(Refused) as refused:
            await agents.press(GROUP, 1, action, IVAN)
        assert (refused.value.reason, refused.value.details) == ("taken_by", {"name": "Olga"})
    await agents.press(GROUP, 1, CardAction.RELEASE, OLGA)
    with pytest.raises(Refused) as refused:
        await agents.press(GROUP, 1, CardAction.RELEASE, OLGA)
    assert refused.value.reason == "not_taken"
    assert (await agents.press(GROUP, 1, CardAction.TAKE, IVAN)).state == "open"


async def test_escalating_past_the_top_level_is_refused(sessions, agents):
    await agents.press(GROUP, 1, CardAction.ESCALATE, OLGA)
    await agents.press(GROUP, 1, CardAction.ESCALATE, OLGA)
    with pytest.raises(Refused) as refused:
        await agents.press(GROUP, 1, CardAction.ESCALATE, OLGA)
    assert refused.value.reason == "top_level"
    assert (await ticket(sessions, 1)).support_level == 3


async def test_the_buttons_move_the_ticket_and_a_closed_one_refuses_them(sessions, agents):
    assert (await agents.press(GROUP, 1, CardAction.WAITING, OLGA)).state == "waiting"
    assert (await agents.press(GROUP, 1, CardAction.RESOLVE, OLGA)).state == "resolved"
    assert (await agents.press(GROUP, 1, CardAction.PRIORITY, OLGA)).state == "resolved"
    assert (await ticket(sessions, 1)).priority == 1
    assert (await agents.press(GROUP, 1, CardAction.CLOSE, OLGA)).state == "closed"
    with pytest.raises(Refused) as refused:
        await agents.press(GROUP, 1, CardAction.PRIORITY, OLGA)
    assert refused.value.reason == "closed"


async def test_every_card_button_has_a_change_and_nothing_else_does(agents):
    assert set(CHANGES) == {action.value for action in CardAction}
    with pytest.raises(Refused) as refused:
        await agents.press(GROUP, 1, "explode", OLGA)
    assert refused.value.reason == "unknown_change"


async def test_queue_ticket_find_and_stats_read_what_is_there(sessions, agents):
    await agents.write(in_topic(), OLGA, said("The invoice is fixed"))
    # 1 is answered and has no resolution deadline: 2, still due for its first response, goes first.
    assert [t.id for t in await agents.queue()] == [2, 1]
    card = await agents.ticket(1)
    assert (card.customer.first_name, len(card.messages)) == ("Anna", 1)
    assert await agents.ticket(99) is None
    assert [t.id for t in await agents.find("INVOICE")] == [1]
    assert await agents.find("100%") == []
    numbers = await agents.stats()
    assert numbers.by_state == {"open": 1, "new": 1}
    assert numbers.median_first_response == timedelta(0)


async def test_report_is_queued_for_the_seven_days_up_to_today(sessions, agents):
    await agents.order_report()
    async with sessions() as session:
        row = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "weekly_report"))).scalar_one()
    assert row.payload == {"until": "2026-03-05"}  # 4 March in Moscow, today included


async def test_the_desk_follows_its_group_to_a_supergroup(sessions, agents, kb):
    await agents.follow_migration(-100999)
    assert agents.desk_chat.is_desk(-100999)
    restarted = DeskChat(GROUP)
    async with sessions() as session:
        await restarted.load(session)
    assert restarted.id == -100999


async def retitle(sessions, number: int, title: str) -> None:
    async with sessions.begin() as session:
        (await session.get(Ticket, number)).title = title


async def test_a_card_suggests_the_entries_that_match_the_ticket(sessions, kb):
    await retitle(sessions, 1, "How can I reset my password?")
    async with sessions() as session:
        assert [e.id for e in suggestions.suggested_answers(kb, await session.get(Ticket, 1))] == ["reset"]
        assert suggestions.suggested_answers(kb, await session.get(Ticket, 2)) == []


async def test_a_sent_suggestion_is_supports_answer_and_is_counted(sessions, agents):
    await retitle(sessions, 1, "How can I reset my password?")
    sent = await agents.send_suggestion(GROUP, CARD_1, 1, "reset", 1, OLGA)
    assert (sent.ticket_id, sent.title) == (1, "How do I reset my password?")
    assert await outbox_kinds(sessions, 1) == ["to_customer", "card_refresh"]
    async with sessions() as session:
        used = await suggestions.most_used(session, Period())
        row = (await session.execute(select(SuggestionUse))).scalar_one()
    assert used == [suggestions.EntryUse("reset", 1)]
    assert (row.ticket_id, row.position, row.agent_telegram_id, row.created_at) == (1, 1, OLGA.telegram_id, NOW)


async def test_suggestion_refusals(sessions, agents):
    await retitle(sessions, 1, "How can I reset my password?")
    await retitle(sessions, 2, "How can I reset my password?")
    cases = [((OTHER_GROUP, CARD_1, 1, "reset"), "no_ticket"),  # pressed in another group
             ((GROUP, CARD_2, 2, "reset"), "no_ticket"),  # a ticket whose card is in another group
             ((GROUP, CARD_1, 99, "reset"), "no_ticket"),
             ((GROUP, CARD_1, 1, "gone"), "no_entry")]
    for (chat, card, number, entry), reason in cases:
        with pytest.raises(Refused) as refused:
            await agents.send_suggestion(chat, card, number, entry, 1, OLGA)
        assert refused.value.reason == reason
    await retitle(sessions, 1, "Something else entirely")
    with pytest.raises(Refused) as refused:
        await agents.send_suggestion(GROUP, CARD_1, 1, "reset", 1, OLGA)
    assert refused.value.reason == "not_suggested"
    await retitle(sessions, 1, "How can I reset my password?")
    await agents.press(GROUP, 1, CardAction.CLOSE, OLGA)
    with pytest.raises(Refused) as refused:
        await agents.send_suggestion(GROUP, CARD_1, 1, "reset", 1, OLGA)
    assert refused.value.reason == "closed"
    async with sessions() as session:
        assert (await session.execute(select(SuggestionUse))).scalars().all() == []
