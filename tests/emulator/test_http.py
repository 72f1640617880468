"""The raw HTTP surface: JSON bodies, query strings and the standalone entry point."""

from __future__ import annotations

import aiohttp

from emulator import BotAPIEmulator, Person


async def test_json_body_and_query_string_are_accepted(emu: BotAPIEmulator,
                                                       anna: Person) -> None:
    api = f"{emu.base_url}/bot{emu.token}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{api}/sendMessage",
                             json={"chat_id": anna.id, "text": "123"}) as resp:
            by_json = await resp.json()
        async with http.get(f"{api}/sendMessage",
                            params={"chat_id": str(anna.id), "text": "456"}) as resp:
            by_query = await resp.json()
        async with http.get(f"{api}/getChat", params={"chat_id": "1"}) as resp:
            missing = (resp.status, await resp.json())

    assert by_json["ok"] and by_json["result"]["text"] == "123"
    assert by_query["result"]["text"] == "456"
    assert missing == (400, {"ok": False, "error_code": 400,
                             "description": "Bad Request: chat not found"})
    assert [c.params["text"] for c in emu.calls_to("sendmessage")] == ["123", "456"]
