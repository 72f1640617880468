"""A customer's erasure as the bot runs it (`/forgetme`, `/forget`): one transaction of its own."""

from __future__ import annotations

from desk_world import ANNA, JOHN, Desk

from desk.privacy import FORGOTTEN_TITLE, Privacy


async def test_the_customer_is_forgotten_and_their_open_ticket_closed(desk: Desk):
    johns = await desk.ticket_of(JOHN, "My password is hunter2")
    annas = await desk.ticket_of(ANNA, "Anna's")

    done = await Privacy(desk.sessions, desk.clock).forget(JOHN.telegram_id)

    assert done is not None and done.tickets == 1
    ticket = await desk.ticket(johns)
    assert (ticket.title, ticket.state, ticket.customer.first_name) == (FORGOTTEN_TITLE, "closed", "")
    assert ticket.customer.telegram_id == done.pseudonym < 0
    assert (await desk.ticket(annas)).title == "Anna's"


async def test_someone_the_bot_never_saw_is_nothing_to_forget(desk: Desk):
    assert await Privacy(desk.sessions, desk.clock).forget(4242) is None
