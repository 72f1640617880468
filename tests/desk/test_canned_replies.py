"""The templates' use cases (desk.canned_replies) on a real SQLite database, without Telegram: a
template filled in for the ticket goes to the customer as support's answer; what is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from desk import lifecycle
from desk.agent_actions import Place
from desk.canned_replies import CannedReplies, TemplateChoice, TemplateSent
from desk.clock import ManualClock
from desk.lifecycle import Actor, Refused
from desk.settings import DeskConfig
from desk.tickets import get_ticket
from kb.base import KnowledgeBase
from storage import migrate
from storage.database import create_engine, create_sessionmaker
from storage.models import Customer, OutboxMessage, Ticket

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
GROUP, OTHER_GROUP = -100111, -100222
OLGA = Actor(501, "Olga")
# Ticket 1: a card in our group with its topic 77; ticket 2: a card in another group.
TOPIC_1 = 77


@pytest.fixture
async def sessions(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'frontdesk.db'}")
    await migrate.upgrade(engine)
    factory = create_sessionmaker(engine)
    async with factory.begin() as session:
        customer = Customer(telegram_id=42, first_name="Anna <*>", language="en", created_at=NOW)
        session.add(customer)
        await session.flush()
        for number, chat, topic in ((1, GROUP, TOPIC_1), (2, OTHER_GROUP, None)):
            session.add(Ticket(id=number, customer_id=customer.id, title=f"Ticket {number}", problem_type="question",
                               criticality="normal", plan="basic", state="new", created_at=NOW, updated_at=NOW,
                               first_response_due=NOW + timedelta(hours=4), card_chat_id=chat,
                               card_message_id=10 * number, topic_thread_id=topic))
    yield factory
    await engine.dispose()


def template(folder, name: str, title: str, body: str, lang: str = "en") -> None:
    (folder / f"{name}.md").write_text(f"---\ntitle: {title}\nlang: {lang}\n---\n{body}\n", encoding="utf-8")


@pytest.fixture
def kb(tmp_path):
    folder = tmp_path / "faq" / "templates"
    folder.mkdir(parents=True)
    template(folder, "hello", "Greeting", "Hello, **{customer}**! About #{ticket}: {agent}")
    template(folder, "reset-ru", "Сброс пароля", "{customer}, ссылка для сброса пароля отправлена.", "ru")
    template(folder, "reset-en", "Password reset", "{customer}, the password reset link is sent.")
    return KnowledgeBase(tmp_path / "faq")


def replies(sessions, kb, **settings) -> CannedReplies:
    return CannedReplies(sessions, ManualClock(NOW), DeskConfig(agent_chat_id=GROUP, **settings), kb)


def in_topic(message_id: int = 900) -> Place:
    return Place(GROUP, message_id, thread_id=TOPIC_1)


async def to_customer(sessions) -> list[dict]:
    async with sessions() as session:
        return [row.payload for row in (await session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "to_customer").order_by(OutboxMessage.id))).scalars()]


async def test_a_template_by_id_is_filled_in_and_sent_as_the_agents_answer(sessions, kb):
    sent = await replies(sessions, kb, agent_signature="first_name").use(in_topic(901), OLGA, "hello")
    assert sent == TemplateSent(1, "hello", "Greeting", "Hello, **Anna <*>**! About #1: Olga")
    (payload,) = await to_customer(sessions)
    # The name is filled in after the Markdown is rendered: shown as written, never markup.
    assert payload["html"] == "Hello, <b>Anna &lt;*&gt;</b>! About #1: Olga"
    assert (payload["signature"], payload["message_id"]) == ("Olga", 901)
    async with sessions() as session:
        assert (await session.get(Ticket, 1)).first_response_at == NOW


async def test_words_find_templates_the_customers_language_first_and_the_only_match_is_sent(sessions, kb):
    desk = replies(sessions, kb)
    choice = await desk.use(in_topic(), OLGA, "пароля")
    assert isinstance(choice, TemplateSent) and choice.template_id == "reset-ru"
    offered = await desk.use(in_topic(), OLGA, "reset")
    assert isinstance(offered, TemplateChoice)
    assert [t.id for t in offered.templates] == ["reset-en", "reset-ru"]
    everything = await desk.choices(GROUP, 1)
    assert [t.id for t in everything.templates][-1] == "reset-ru"
    assert len(await to_customer(sessions)) == 1


async def test_refusals(sessions, kb, tmp_path):
    desk = replies(sessions, kb)
    cases = [
        (desk.use(Place(GROUP, 901), OLGA, "hello"), "no_ticket"),
        (desk.use(in_topic(), OLGA, "nothing like it"), "no_template"),
        (desk.send(GROUP, 900, 2, "hello", OLGA), "no_ticket"),  # its card is in another group
        (desk.send(GROUP, 900, 99, "hello", OLGA), "no_ticket"),
        (desk.send(GROUP, 900, 1, "gone", OLGA), "no_template"),
        (desk.choices(OTHER_GROUP, 1), "no_ticket"),
        (replies(sessions, KnowledgeBase(tmp_path / "empty")).choices(GROUP, 1), "no_templates"),
    ]
    for call, reason in cases:
        with pytest.raises(Refused) as refused:
            await call
        assert refused.value.reason == reason
    async with sessions.begin() as session:
        await lifecycle.close(session, await get_ticket(session, 1), OLGA, NOW, by_customer=False)
    for call in (desk.use(in_topic(), OLGA, "hello"), desk.send(GROUP, 900, 1, "hello", OLGA), desk.choices(GROUP, 1)):
        with pytest.raises(Refused) as refused:
            await call
        assert refused.value.reason == "closed"
    assert await to_customer(sessions) == []
