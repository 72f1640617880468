"""`/find TEXT` on SQLite looks the text up in the trigram index (storage.search_index) and finds what
reading every row would: any part of a title, the details or a message, in any letter case and
alphabet; an edited or erased text is found no more; a needle too short for the index is still found."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from desk import reports
from storage.models import Customer, Ticket, TicketMessage

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
TEXTS = [
    ("Принтер не печатает", "Застревает бумага в лотке", ["Пробовали перезагрузить?", "Да, ЁЛКИ, не помогло"]),
    ("VPN does not connect", "Since the morning, error 809", ["Which client version?", "The 100% latest one"]),
    ("Invoice_2026 is wrong", 'The "total" line is off', ['Quote: "fixed" soon', "ok"]),
]


@pytest.fixture
async def tickets(sessions) -> list[int]:
    async with sessions.begin() as session:
        anna = Customer(telegram_id=501, first_name="Anna", created_at=NOW)
        made = [Ticket(customer=anna, title=title, details=details, problem_type="question", criticality="normal",
                       state="open", plan="commercial", created_at=NOW, updated_at=NOW,
                       messages=[TicketMessage(author_kind="customer", text=said, created_at=NOW) for said in talk])
                for title, details, talk in TEXTS]
        session.add_all(made)
    return [ticket.id for ticket in made]


async def found(sessions, needle: str) -> list[int]:
    async with sessions() as session:
        return sorted(ticket.id for ticket in await reports.find(session, needle))


@pytest.mark.parametrize("recent", [2000, 1], ids=["all-recent", "newest-one-then-the-rest"])
@pytest.mark.parametrize("needle", ["ПРИНТЕР", "бумага", "ёлки", "перезагруз", "vpn", "ERROR 809", "100%",
                                    "invoice_2026", '"total"', 'quote: "fixed"', "nothing like it", "ok", "N"])
async def test_the_index_finds_what_reading_every_row_finds(sessions, tickets, needle, recent, monkeypatch):
    # `find` reads the newest `RECENT` tickets first, then looks the rest up.
    monkeypatch.setattr(reports, "RECENT", recent)
    async with sessions() as session:
        read = (await session.execute(select(Ticket.id).where(reports._read_through(needle)))).scalars()
        expected = sorted(read)
    assert await found(sessions, needle) == expected


async def test_a_text_is_found_in_any_case_and_alphabet(sessions, tickets):
    printer, vpn, invoice = tickets
    assert await found(sessions, "пРиНтЕр") == [printer]
    assert await found(sessions, "CLIENT VERSION") == [vpn]
    assert await found(sessions, "the") == [vpn, invoice]


async def test_an_erased_text_is_found_no_more(sessions, tickets):
    printer, vpn, _ = tickets
    async with sessions.begin() as session:
        await session.execute(update(TicketMessage).where(TicketMessage.ticket_id == vpn).values(text=""))
        await session.execute(update(Ticket).where(Ticket.id == printer).values(title="Erased", details=""))
    assert await found(sessions, "client version") == []
    assert await found(sessions, "принтер") == []
    assert await found(sessions, "erased") == [printer]


async def test_a_full_list_of_the_newest_tickets_needs_no_lookup(sessions, tickets, monkeypatch):
    monkeypatch.setattr(reports, "RECENT", 2)
    monkeypatch.setattr(reports, "MAX_LISTED", 1)
    invoice = tickets[2]
    assert await found(sessions, "the") == [invoice]  # the newest of the two, as the whole list would say


async def test_a_needle_too_short_for_the_index_is_still_found(sessions, tickets):
    _, vpn, _ = tickets
    assert await found(sessions, "80") == [vpn]
