"""A customer's question to the FAQ, without Telegram: every search is recorded with how it ended
(helped, did not help, became a request), an answer is offered inside the form once, and an
unanswered question can be added to a request in progress, but only to the customer's own."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desk.customers import Person
from desk.forms import Draft
from desk.intake import Intake
from desk.lifecycle import Actor, Refused, close
from desk.questions import Questions
from desk.tickets import get_ticket
from kb.entries import Entry
from kb.matcher import Match, SearchResult
from storage.models import OutboxMessage, Search, TicketMessage

ANNA = Person(4_300_001, "Anna", "anna", "ru")
BORIS = Person(4_300_002, "Boris", "boris", "en")
RESET = Entry("en-reset", ("How do I reset my password?",), "Press **Forgot password**.")
INVOICE = Entry("en-invoice", ("Where is my invoice?",), "In your account.")
REFUND = Entry("en-refund", ("How do I get a refund?",), "Write to us.")


class FakeKnowledgeBase:
    """A FAQ whose every search ends with the decision the test chose, matches best first."""

    def __init__(self, decision: str = "answer", entries: tuple[Entry, ...] = (RESET, INVOICE, REFUND)) -> None:
        self.decision = decision
        self.entries = entries
        self._by_id = {entry.id: entry for entry in entries}

    def search(self, query: str, limit: int = 5) -> SearchResult:
        matches = [Match(entry.id, 90.0 - 10 * rank, entry.title) for rank, entry in enumerate(self.entries)]
        return SearchResult(query, self.decision, matches[:limit])

    def get(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)


def asking(sessions, clock) -> Questions:
    """The question use cases over the FAQ the test does not look at."""
    return Questions(sessions, clock, FakeKnowledgeBase())


async def stored(sessions, search_id: int) -> Search:
    async with sessions() as session:
        return await session.get(Search, search_id)


async def a_ticket(intake: Intake, person: Person = ANNA, title: str = "Printer") -> int:
    draft = Draft(title=title, problem_type="question", details="It is silent.", criticality="normal")
    return (await intake.submit(person, draft)).ticket.id


async def test_an_answered_question_is_recorded_as_shown(sessions, clock):
    asked = await Questions(sessions, clock, FakeKnowledgeBase("answer")).ask(ANNA.telegram_id, "forgot password")

    assert (asked.decision, asked.entries) == ("answer", (RESET,))
    search = await stored(sessions, asked.search_id)
    assert (search.query, search.outcome, search.entry_id, search.source) == (
        "forgot password", "shown", "en-reset", "chat")


async def test_an_unsure_question_offers_three_suggestions(sessions, clock):
    kb = FakeKnowledgeBase("suggest", (RESET, INVOICE, REFUND, Entry("en-more", ("More?",), "More.")))

    asked = await Questions(sessions, clock, kb).ask(ANNA.telegram_id, "account")

    assert asked.entries == (RESET, INVOICE, REFUND)
    assert (await stored(sessions, asked.search_id)).offered == ["en-reset", "en-invoice", "en-refund"]


async def test_an_unanswered_question_offers_the_two_requests_in_progress(sessions, intake, clock):
    await a_ticket(intake, title="First")
    second = await a_ticket(intake, title="Second")
    third = await a_ticket(intake, title="Third")
    await a_ticket(intake, person=BORIS, title="Boris's")

    asked = await Questions(sessions, clock, FakeKnowledgeBase("none")).ask(ANNA.telegram_id, "something odd")

    assert asked.entries == ()
    assert sorted(ticket.id for ticket in asked.active) == [second, third]
    assert (await stored(sessions, asked.search_id)).outcome == "none"


async def test_a_picked_suggestion_becomes_the_searchs_answer(sessions, clock):
    kb = FakeKnowledgeBase("suggest")
    asked = await Questions(sessions, clock, kb).ask(ANNA.telegram_id, "account")

    picked = await Questions(sessions, clock, kb).pick(asked.search_id, 1, ANNA.telegram_id)

    assert picked.entry == INVOICE
    assert (await stored(sessions, asked.search_id)).entry_id == "en-invoice"


@pytest.mark.parametrize("who, position", [(BORIS, 0), (ANNA, 3), (ANNA, -1)])
async def test_a_suggestion_never_offered_to_the_customer_cannot_be_picked(sessions, clock, who, position):
    kb = FakeKnowledgeBase("suggest")
    asked = await Questions(sessions, clock, kb).ask(ANNA.telegram_id, "account")

    with pytest.raises(Refused) as refused:
        await Questions(sessions, clock, kb).pick(asked.search_id, position, who.telegram_id)

    assert refused.value.reason == "gone"
    assert (await stored(sessions, asked.search_id)).entry_id == "en-reset"


async def test_a_suggestion_removed_from_the_faq_meanwhile_is_gone(sessions, clock):
    asked = await Questions(sessions, clock, FakeKnowledgeBase("suggest")).ask(ANNA.telegram_id, "account")

    shrunk = Questions(sessions, clock, FakeKnowledgeBase("suggest", (RESET,)))

    with pytest.raises(Refused):
        await shrunk.pick(asked.search_id, 2, ANNA.telegram_id)


async def test_helped_is_recorded_only_for_the_customers_own_search(sessions, clock):
    asked = await Questions(sessions, clock, FakeKnowledgeBase()).ask(ANNA.telegram_id, "forgot password")

    with pytest.raises(Refused) as refused:
        await asking(sessions, clock).helped(asked.search_id, BORIS.telegram_id)
    assert refused.value.reason == "stale"
    assert (await stored(sessions, asked.search_id)).outcome == "shown"

    await asking(sessions, clock).helped(asked.search_id, ANNA.telegram_id)
    assert (await stored(sessions, asked.search_id)).outcome == "helped"


@pytest.mark.parametrize("not_helped, outcome", [(True, "not_helped"), (False, "shown")])
async def test_wanting_a_request_gives_the_question_as_its_title(sessions, clock, not_helped, outcome):
    asked = await Questions(sessions, clock, FakeKnowledgeBase()).ask(ANNA.telegram_id, "forgot password")

    wanted = await asking(sessions, clock).wants_request(asked.search_id, ANNA.telegram_id, not_helped=not_helped)

    assert (wanted.search_id, wanted.title) == (asked.search_id, "forgot password")
    assert (await stored(sessions, asked.search_id)).outcome == outcome


async def test_another_customers_search_gives_no_request(sessions, clock):
    asked = await Questions(sessions, clock, FakeKnowledgeBase()).ask(ANNA.telegram_id, "forgot password")

    with pytest.raises(Refused) as refused:
        await asking(sessions, clock).wants_request(asked.search_id, BORIS.telegram_id, not_helped=True)

    assert refused.value.reason == "stale"
    assert (await stored(sessions, asked.search_id)).outcome == "shown"


async def test_the_form_offers_an_answer_once_and_records_it_as_from_the_form(sessions, clock):
    kb = FakeKnowledgeBase("answer")

    offered = await Questions(sessions, clock, kb).deflect(ANNA.telegram_id, "forgot password", [])
    again = await Questions(sessions, clock, kb).deflect(ANNA.telegram_id, "forgot password", [RESET.id])

    assert offered.entry == RESET
    assert again is None
    search = await stored(sessions, offered.search_id)
    assert (search.source, search.outcome) == ("form", "shown")


@pytest.mark.parametrize("decision", ["suggest", "none"])
async def test_the_form_offers_only_a_confident_answer_and_records_nothing_else(sessions, clock, decision):
    assert await Questions(sessions, clock, FakeKnowledgeBase(decision)).deflect(ANNA.telegram_id, "hm", []) is None
    async with sessions() as session:
        assert (await session.execute(select(Search))).first() is None


@pytest.mark.parametrize("solved, outcome", [(True, "helped"), (False, "not_helped")])
async def test_the_answer_offered_in_the_form_is_marked_by_the_customer(sessions, clock, solved, outcome):
    offered = await Questions(sessions, clock, FakeKnowledgeBase()).deflect(ANNA.telegram_id, "password", [])

    await asking(sessions, clock).deflection_outcome(offered.search_id, BORIS.telegram_id, not solved)
    await asking(sessions, clock).deflection_outcome(offered.search_id, ANNA.telegram_id, solved)

    assert (await stored(sessions, offered.search_id)).outcome == outcome


async def test_an_unanswered_question_is_added_to_the_customers_request(sessions, intake, clock):
    number = await a_ticket(intake)
    asked = await Questions(sessions, clock, FakeKnowledgeBase("none")).ask(ANNA.telegram_id, "a <b>new</b> detail")

    added = await asking(sessions, clock).add_to_ticket(asked.search_id, number, Actor(ANNA.telegram_id, "Anna"), 77)

    assert added == number
    async with sessions() as session:
        texts = (await session.execute(select(TicketMessage.text).where(TicketMessage.ticket_id == number)
                                       .order_by(TicketMessage.id))).scalars().all()
        relayed = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "to_desk"))).scalar_one()
    assert texts == ["It is silent.", "a <b>new</b> detail"]
    assert relayed.payload["html"] == "a &lt;b&gt;new&lt;/b&gt; detail"
    assert relayed.payload["message_id"] == 77


async def test_a_question_is_not_added_to_another_customers_request(sessions, intake, clock):
    borises = await a_ticket(intake, person=BORIS)
    asked = await Questions(sessions, clock, FakeKnowledgeBase("none")).ask(ANNA.telegram_id, "detail")

    with pytest.raises(Refused) as refused:
        await asking(sessions, clock).add_to_ticket(asked.search_id, borises, Actor(ANNA.telegram_id, "Anna"), 77)

    assert refused.value.reason == "stale"


async def test_a_question_is_not_added_to_a_closed_request(sessions, intake, clock):
    number = await a_ticket(intake)
    async with sessions.begin() as session:
        await close(session, await get_ticket(session, number), Actor(ANNA.telegram_id, "Anna"), clock.now(),
                    by_customer=True)
    asked = await Questions(sessions, clock, FakeKnowledgeBase("none")).ask(ANNA.telegram_id, "detail")

    with pytest.raises(Refused) as refused:
        await asking(sessions, clock).add_to_ticket(asked.search_id, number, Actor(ANNA.telegram_id, "Anna"), 77)

    assert (refused.value.reason, refused.value.details) == ("closed", {"number": number})
    async with sessions() as session:
        assert len((await session.execute(select(TicketMessage).where(TicketMessage.ticket_id == number)))
                   .scalars().all()) == 1
