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
AS_ANNA = Actor(ANNA.telegram_id, "Anna")
RESET = Entry("en-reset", ("How do I reset my password?",), "Press **Forgot password**.")
INVOICE = Entry("en-invoice", ("Where is my invoice?",), "In your account.")
REFUND = Entry("en-refund", ("How do I get a refund?",), "Write to us.")


class FakeKnowledgeBase:
    """A FAQ whose every search ends with the decision the test chose, its entries best first."""

    def __init__(self) -> None:
        self.decision = "answer"
        self.entries: tuple[Entry, ...] = (RESET, INVOICE, REFUND)

    def search(self, query: str, limit: int = 5) -> SearchResult:
        matches = [Match(entry.id, 90.0 - 10 * rank, entry.title) for rank, entry in enumerate(self.entries)]
        return SearchResult(query, self.decision, matches[:limit])

    def get(self, entry_id: str) -> Entry | None:
        return next((entry for entry in self.entries if entry.id == entry_id), None)


@pytest.fixture
def faq() -> FakeKnowledgeBase:
    return FakeKnowledgeBase()


@pytest.fixture
def questions(sessions, clock, faq, policy) -> Questions:
    return Questions(sessions, clock, faq, policy)


async def stored(sessions, search_id: int) -> Search:
    async with sessions() as session:
        return await session.get(Search, search_id)


async def a_ticket(intake: Intake, person: Person = ANNA, title: str = "Printer") -> int:
    draft = Draft(title=title, problem_type="question", details="It is silent.", criticality="normal")
    return (await intake.submit(person, draft)).ticket.id


async def test_an_answered_question_is_recorded_as_shown(sessions, questions):
    asked = await questions.ask(ANNA.telegram_id, "forgot password")

    assert (asked.decision, asked.entries) == ("answer", (RESET,))
    search = await stored(sessions, asked.search_id)
    assert (search.query, search.outcome, search.entry_id, search.source) == (
        "forgot password", "shown", "en-reset", "chat")


async def test_an_unsure_question_offers_three_suggestions(sessions, questions, faq):
    faq.decision = "suggest"
    faq.entries = (RESET, INVOICE, REFUND, Entry("en-more", ("More?",), "More."))

    asked = await questions.ask(ANNA.telegram_id, "account")

    assert asked.entries == (RESET, INVOICE, REFUND)
    assert (await stored(sessions, asked.search_id)).offered == ["en-reset", "en-invoice", "en-refund"]


async def test_an_unanswered_question_offers_the_two_requests_in_progress(sessions, questions, faq, intake):
    await a_ticket(intake, title="First")
    second = await a_ticket(intake, title="Second")
    third = await a_ticket(intake, title="Third")
    await a_ticket(intake, person=BORIS, title="Boris's")
    faq.decision = "none"

    asked = await questions.ask(ANNA.telegram_id, "something odd")

    assert asked.entries == ()
    assert sorted(ticket.id for ticket in asked.active) == [second, third]
    assert (await stored(sessions, asked.search_id)).outcome == "none"


async def test_a_picked_suggestion_becomes_the_searchs_answer(sessions, questions, faq):
    faq.decision = "suggest"
    asked = await questions.ask(ANNA.telegram_id, "account")

    picked = await questions.pick(asked.search_id, 1, ANNA.telegram_id)

    assert picked.entry == INVOICE
    assert (await stored(sessions, asked.search_id)).entry_id == "en-invoice"


@pytest.mark.parametrize("who, position", [(BORIS, 0), (ANNA, 3), (ANNA, -1)])
async def test_a_suggestion_never_offered_to_the_customer_cannot_be_picked(sessions, questions, faq, who, position):
    faq.decision = "suggest"
    asked = await questions.ask(ANNA.telegram_id, "account")

    with pytest.raises(Refused) as refused:
        await questions.pick(asked.search_id, position, who.telegram_id)

    assert refused.value.reason == "gone"
    assert (await stored(sessions, asked.search_id)).entry_id == "en-reset"


async def test_a_suggestion_removed_from_the_faq_meanwhile_is_gone(questions, faq):
    faq.decision = "suggest"
    asked = await questions.ask(ANNA.telegram_id, "account")
    faq.entries = (RESET,)

    with pytest.raises(Refused):
        await questions.pick(asked.search_id, 2, ANNA.telegram_id)


async def test_helped_is_recorded_only_for_the_customers_own_search(sessions, questions):
    asked = await questions.ask(ANNA.telegram_id, "forgot password")

    with pytest.raises(Refused) as refused:
        await questions.helped(asked.search_id, BORIS.telegram_id)
    assert refused.value.reason == "stale"
    assert (await stored(sessions, asked.search_id)).outcome == "shown"

    await questions.helped(asked.search_id, ANNA.telegram_id)
    assert (await stored(sessions, asked.search_id)).outcome == "helped"


@pytest.mark.parametrize("not_helped, outcome", [(True, "not_helped"), (False, "shown")])
async def test_wanting_a_request_gives_the_question_as_its_title(sessions, questions, not_helped, outcome):
    asked = await questions.ask(ANNA.telegram_id, "forgot password")

    wanted = await questions.wants_request(asked.search_id, ANNA.telegram_id, not_helped=not_helped)

    assert (wanted.search_id, wanted.title) == (asked.search_id, "forgot password")
    assert (await stored(sessions, asked.search_id)).outcome == outcome


async def test_another_customers_search_gives_no_request(sessions, questions):
    asked = await questions.ask(ANNA.telegram_id, "forgot password")

    with pytest.raises(Refused) as refused:
        await questions.wants_request(asked.search_id, BORIS.telegram_id, not_helped=True)

    assert refused.value.reason == "stale"
    assert (await stored(sessions, asked.search_id)).outcome == "shown"


async def test_the_form_offers_an_answer_once_and_records_it_as_from_the_form(sessions, questions):
    offered = await questions.deflect(ANNA.telegram_id, "forgot password", [])
    again = await questions.deflect(ANNA.telegram_id, "forgot password", [RESET.id])

    assert offered.entry == RESET
    assert again is None
    search = await stored(sessions, offered.search_id)
    assert (search.source, search.outcome) == ("form", "shown")


async def test_the_form_never_offers_the_answer_the_customer_came_past(sessions, questions):
    asked = await questions.ask(ANNA.telegram_id, "forgot password")
    await questions.wants_request(asked.search_id, ANNA.telegram_id, not_helped=True)

    assert await questions.deflect(ANNA.telegram_id, "forgot password", [], asked.search_id) is None
    # Another customer's search number changes nothing.
    assert (await questions.deflect(BORIS.telegram_id, "forgot password", [], asked.search_id)).entry == RESET


@pytest.mark.parametrize("decision", ["suggest", "none"])
async def test_the_form_offers_only_a_confident_answer_and_records_nothing_else(sessions, questions, faq, decision):
    faq.decision = decision

    assert await questions.deflect(ANNA.telegram_id, "hm", []) is None

    async with sessions() as session:
        assert (await session.execute(select(Search))).first() is None


@pytest.mark.parametrize("solved, outcome", [(True, "helped"), (False, "not_helped")])
async def test_the_answer_offered_in_the_form_is_marked_by_the_customer(sessions, questions, solved, outcome):
    offered = await questions.deflect(ANNA.telegram_id, "password", [])

    await questions.deflection_outcome(offered.search_id, BORIS.telegram_id, not solved)
    await questions.deflection_outcome(offered.search_id, ANNA.telegram_id, solved)

    assert (await stored(sessions, offered.search_id)).outcome == outcome


async def test_an_unanswered_question_is_added_to_the_customers_request(sessions, questions, faq, intake):
    number = await a_ticket(intake)
    faq.decision = "none"
    asked = await questions.ask(ANNA.telegram_id, "a <b>new</b> detail")

    added = await questions.add_to_ticket(asked.search_id, number, AS_ANNA, 77)

    assert added == number
    async with sessions() as session:
        texts = (await session.execute(select(TicketMessage.text).where(TicketMessage.ticket_id == number)
                                       .order_by(TicketMessage.id))).scalars().all()
        relayed = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "to_desk"))).scalar_one()
    assert texts == ["It is silent.", "a <b>new</b> detail"]
    assert relayed.payload["html"] == "a &lt;b&gt;new&lt;/b&gt; detail"
    assert relayed.payload["message_id"] == 77


async def test_a_question_is_not_added_to_another_customers_request(questions, faq, intake):
    borises = await a_ticket(intake, person=BORIS)
    faq.decision = "none"
    asked = await questions.ask(ANNA.telegram_id, "detail")

    with pytest.raises(Refused) as refused:
        await questions.add_to_ticket(asked.search_id, borises, AS_ANNA, 77)

    assert refused.value.reason == "stale"


async def test_a_question_is_not_added_to_a_closed_request(sessions, questions, faq, intake, clock):
    number = await a_ticket(intake)
    async with sessions.begin() as session:
        await close(session, await get_ticket(session, number), AS_ANNA, clock.now(), by_customer=True)
    faq.decision = "none"
    asked = await questions.ask(ANNA.telegram_id, "detail")

    with pytest.raises(Refused) as refused:
        await questions.add_to_ticket(asked.search_id, number, AS_ANNA, 77)

    assert (refused.value.reason, refused.value.details) == ("closed", {"number": number})
    async with sessions() as session:
        assert len((await session.execute(select(TicketMessage).where(TicketMessage.ticket_id == number)))
                   .scalars().all()) == 1
