"""Tags (desk.tags): normalized, kept once per ticket, taken off, counted."""

from __future__ import annotations

from desk_world import ANNA

from desk import tags
from desk.tickets import get_ticket


def test_a_tag_is_a_lowercase_word_without_its_hash():
    assert tags.normalize("#Billing") == "billing"
    assert tags.normalize("оплата-2") == "оплата-2"
    assert tags.normalize("two words") is None and tags.normalize("#") is None and tags.normalize("x" * 33) is None


async def test_tags_are_kept_once_taken_off_and_counted(desk):
    first, second = await desk.ticket_of(ANNA, "One"), await desk.ticket_of(ANNA, "Two")
    async with desk.sessions.begin() as session:
        ticket = await get_ticket(session, first)
        assert await tags.tag(session, ticket, ["billing", "vip"], desk.clock.now()) == ["billing", "vip"]
        assert await tags.tag(session, ticket, ["billing"], desk.clock.now()) == ["billing", "vip"]
        await tags.tag(session, await get_ticket(session, second), ["billing"], desk.clock.now())
    async with desk.sessions.begin() as session:
        ticket = await get_ticket(session, first)
        assert await tags.untag(session, ticket, "vip", desk.clock.now())
        assert not await tags.untag(session, ticket, "vip", desk.clock.now())
        assert await tags.counts(session) == {"billing": 2}
    refreshes = [row for row in await desk.outbox(first) if row.kind == "card_refresh"]
    assert refreshes, "a tag change redraws the card"
