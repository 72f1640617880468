"""The admins' use cases (desk.admin) on a real SQLite database, without Telegram."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from desk import groups
from desk.admin import Administration
from desk.lifecycle import Refused
from desk.sla import SLA
from desk.sla_config import SLAConfig
from kb.base import KnowledgeBase
from storage import migrate
from storage.database import create_engine, create_sessionmaker
from storage.models import Customer

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
async def sessions(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'frontdesk.db'}")
    await migrate.upgrade(engine)
    factory = create_sessionmaker(engine)
    async with factory.begin() as session:
        session.add(Customer(telegram_id=42, first_name="Anna", created_at=NOW))
    yield factory
    await engine.dispose()


@pytest.fixture
def faq(tmp_path):
    folder = tmp_path / "faq"
    folder.mkdir()
    (folder / "one.md").write_text("---\nquestions:\n  - First?\n---\n\nOne.\n", encoding="utf-8")
    return folder


@pytest.fixture
def administration(sessions, faq) -> Administration:
    return Administration(sessions, SLA(SLAConfig()), KnowledgeBase(faq))


async def plan_of(sessions, telegram_id: int) -> str | None:
    async with sessions() as session:
        return (await session.execute(select(Customer.plan).where(Customer.telegram_id == telegram_id))).scalar_one()


async def test_a_known_customer_is_put_on_a_plan(sessions, administration):
    plan = administration.plans()[-1]
    done = await administration.set_plan(42, plan)
    assert (done.telegram_id, done.plan) == (42, plan)
    assert await plan_of(sessions, 42) == plan


async def test_an_unknown_plan_is_refused_before_the_customer_is_looked_up(administration):
    with pytest.raises(Refused) as refused:
        await administration.set_plan(None, "platinum")
    assert (refused.value.reason, refused.value.details) == ("unknown_plan", {"plan": "platinum"})


@pytest.mark.parametrize("telegram_id", [7, None])
async def test_nobody_who_never_wrote_gets_a_plan(administration, telegram_id):
    with pytest.raises(Refused) as refused:
        await administration.set_plan(telegram_id, administration.plans()[0])
    assert refused.value.reason == "no_customer"


async def test_reloading_the_faq_counts_entries_and_lists_errors(administration, faq):
    (faq / "two.md").write_text("---\nquestions:\n  - Second?\n---\n\nTwo.\n", encoding="utf-8")
    (faq / "broken.md").write_text("---\nquestions: 5\n---\n\nBroken.\n", encoding="utf-8")
    reloaded = await administration.reload_kb()
    assert reloaded.entries == 2
    assert [error.path.name for error in reloaded.errors] == ["broken.md"]


async def test_a_group_the_bot_was_added_to_is_remembered(sessions, administration):
    await administration.group_seen(groups.SeenGroup(-100555, "Support", "supergroup", True, "administrator", NOW))
    async with sessions() as session:
        assert [(g.chat_id, g.status) for g in await groups.seen(session)] == [(-100555, "administrator")]
