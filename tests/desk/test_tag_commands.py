"""`/tag`, `/untag`, `/queue #TAG`, `/find #TAG` and the counts in `/stats` (desk.agent_actions):
a tag goes on a ticket of this group that is not closed, and nothing else."""

from __future__ import annotations

import pytest
from test_agent_actions import CARD_2, GROUP, agents, in_topic, kb, outbox_kinds, sessions  # noqa: F401 (fixtures)

from desk.agent_actions import Place
from desk.lifecycle import Refused
from storage.models import Ticket


async def test_tags_go_on_and_come_off_and_redraw_the_card(sessions, agents):  # noqa: F811
    tagged = await agents.tag(in_topic(), ["#Billing", "vip", "billing"])
    assert (tagged.ticket_id, tagged.tags, tagged.changed) == (1, ["billing", "vip"], True)
    assert not (await agents.tag(in_topic(), ["vip"])).changed
    assert "card_refresh" in await outbox_kinds(sessions, 1)
    assert [tag.name for tag in (await agents.ticket(1)).tags] == ["billing", "vip"]
    untagged = await agents.untag(in_topic(), "#VIP")
    assert (untagged.tags, untagged.changed) == (["billing"], True)
    assert not (await agents.untag(in_topic(), "vip")).changed


async def test_queue_find_and_stats_by_tag(sessions, agents):  # noqa: F811
    await agents.tag(in_topic(), ["billing"])
    assert [t.id for t in await agents.queue("#billing")] == [1]
    assert await agents.queue("#refunds") == []
    assert [t.id for t in await agents.queue()] == [1, 2]
    assert [t.id for t in await agents.find("#billing")] == [1]
    assert (await agents.stats()).by_tag == {"billing": 1}
    with pytest.raises(Refused) as refused:
        await agents.queue("#two words")
    assert refused.value.reason == "bad_tag"


@pytest.mark.parametrize("names", [[], ["ok", "not/a/tag"], ["x" * 33]])
async def test_a_bad_name_is_refused(agents, names):  # noqa: F811
    with pytest.raises(Refused) as refused:
        await agents.tag(in_topic(), names)
    assert refused.value.reason == "bad_tag"


async def test_no_ticket_here_another_group_and_a_closed_ticket_are_refused(sessions, agents):  # noqa: F811
    for place in (Place(GROUP, 900), in_topic(thread_id=5), Place(GROUP, 900, reply_to=CARD_2, card_number=2)):
        with pytest.raises(Refused) as refused:
            await agents.tag(place, ["billing"])
        assert refused.value.reason == "no_ticket"
    async with sessions.begin() as session:
        (await session.get(Ticket, 1)).state = "closed"
    for attempt in (agents.tag(in_topic(), ["billing"]), agents.untag(in_topic(), "billing")):
        with pytest.raises(Refused) as refused:
            await attempt
        assert refused.value.reason == "closed"
