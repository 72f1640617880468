"""Metrics for Prometheus: what the desk did, scraped from /metrics."""

from __future__ import annotations

import aiohttp
from test_webhook import free_port
from world import Running, make_config, settled


async def test_metrics_count_updates_searches_tickets_and_sends(emu, john, talk, tmp_path):
    (tmp_path / "faq").mkdir(exist_ok=True)
    port = free_port()
    running = Running(make_config(emu, tmp_path, metrics={"listen": f"127.0.0.1:{port}"}))
    await running.start()
    try:
        emu.add_group(-1001000000001, "Support desk", forum=True)
        t = talk(john)
        await t.send("where is my parcel", expect="did not find an answer")
        await t.send("/new", expect="New request")
        step = await t.send("Metrics", expect="What kind of problem")
        step = await t.press(step, "Question", expect="Describe the problem")
        step = await t.send("Details.", expect="Added")
        step = await t.press(step, "➡️ Continue", expect="How critical")
        preview = await t.press(step, "🔴 Critical", expect="Check your request")
        await t.press(preview, "✅ Send the request", expect="is registered")
        await emu.chat(-1001000000001).wait_for(lambda m: m.shown_text.startswith("🎫 #1"))
        await settled(emu)
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/metrics") as response:
            assert response.status == 200
            text = await response.text()
    finally:
        await running.stop()
    assert 'frontdesk_faq_searches_total{decision="none"} 1.0' in text
    assert 'frontdesk_tickets_opened_total{criticality="critical"} 1.0' in text
    assert 'frontdesk_outbox_sent_total{kind="ticket_card"} 1.0' in text
    assert 'frontdesk_updates_total{kind="message"}' in text
