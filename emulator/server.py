"""The HTTP layer: Bot API routes on aiohttp.web, request decoding, faults, the call log."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from aiohttp import web

from emulator import errors, methods_chat, methods_edit, methods_send
from emulator.errors import ApiError, Fault, arrived_at
from emulator.media import Upload
from emulator.state import ApiCall
from emulator.updates import WebhookPusher
from emulator.world import World

log = logging.getLogger(__name__)

HANDLERS = {**methods_send.HANDLERS, **methods_edit.HANDLERS, **methods_chat.HANDLERS}

# Form fields that are plain strings; every other field is JSON-decoded when it parses.
# aiogram sends str values raw and everything else json-dumped, so "123" as text must stay.
STRING_FIELDS = frozenset({
    "text", "caption", "parse_mode", "callback_query_id", "url", "secret_token", "name",
    "title", "description", "short_description", "language_code", "inline_message_id",
    "phone_number", "first_name", "last_name", "icon_custom_emoji_id", "emoji", "action",
    "file_id", "photo", "document", "video", "voice", "audio", "animation", "sticker",
    "video_note", "thumbnail", "business_connection_id", "message_effect_id", "ip_address",
})


def decode_field(name: str, value: str) -> Any:
    """A form/query value as the handler wants it (ints, bools, dicts for JSON fields)."""
    if name in STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Params from the query string and a JSON, urlencoded or multipart body; file parts."""
    params: dict[str, Any] = {k: decode_field(k, v) for k, v in request.query.items()}
    files: dict[str, Upload] = {}
    if not request.can_read_body:
        return params, files
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
    elif request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if part.filename is not None:
                files[part.name or part.filename] = Upload(
                    bytes(await part.read()), part.filename,
                    part.headers.get("Content-Type"))
            else:
                params[part.name or ""] = decode_field(part.name or "", await part.text())
    else:
        form = await request.post()
        params.update({k: decode_field(k, v) for k, v in form.items() if isinstance(v, str)})
    return params, files


class ApiServer:
    """Serves one World over HTTP and pushes updates to a webhook when one is set."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.app = web.Application(client_max_size=60 * 1024 * 1024)
        self.app.router.add_route("*", "/bot{token}/{method}", self.handle_api)
        self.app.router.add_get("/file/bot{token}/{path:.+}", self.handle_file)
        self._runner: web.AppRunner | None = None
        self.pusher = WebhookPusher(world.updates, lambda: world.webhook, world.stopping)
        self._pusher: asyncio.Task | None = None
        self.base_url = ""
        self._connections: dict[tuple[int, object], int] = {}

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Bind (port 0: a free one) and return the base URL."""
        # Short shutdown: pending long polls are woken on stop, nothing else lingers.
        # A request whose client went away (a killed bot) is abandoned, as Telegram would: its delay ends.
        self._runner = web.AppRunner(self.app, shutdown_timeout=1.0, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = self._runner.addresses[0][1]
        self.base_url = f"http://{host}:{bound_port}"
        self._pusher = asyncio.create_task(self.pusher.run())
        return self.base_url

    async def stop(self) -> None:
        """Answer pending long polls, stop the webhook pusher and close the server."""
        self.world.stopping.set()
        self.world.updates.wake()
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _connection_number(self, protocol: object, peer: object) -> int:
        """A number for each client connection, in the order first seen. (Known by the handler
        object's id and the client's address together: an id Python gives again to a later
        connection comes with another address.)"""
        key = (id(protocol), peer)
        number = self._connections.get(key)
        if number is None:
            number = self._connections[key] = len(self._connections) + 1
        return number

    async def handle_api(self, request: web.Request) -> web.StreamResponse:
        """``/bot<token>/<method>``: decode, apply faults, run the handler, log the call."""
        world = self.world
        if request.match_info["token"] != world.token:
            return _reply(ApiError(401, errors.UNAUTHORIZED).envelope(), 401)
        arrived = time.monotonic()  # before the body is read: Telegram's limits count arrivals
        method = request.match_info["method"]
        params, files = await read_params(request)
        # The client's address as the connection was opened: a client killed since (its request
        # already in) is still named, where the transport would say nothing.
        peer = request.protocol.peername
        call = ApiCall(method=method, params=params, at=arrived, peer=peer,
                       connection=self._connection_number(request.protocol, peer))
        world.calls.append(call)
        handler = HANDLERS.get(method.lower())
        polling = method.lower() == "getupdates"
        if not polling:
            world.in_flight += 1
        try:
            if handler is None:
                raise ApiError(404, errors.NOT_FOUND)
            fault = self._take_fault(method, params)
            if fault is not None:
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.hold is not None:
                    await fault.hold.wait()
                if fault.http_status is not None:
                    call.error_code = fault.http_status
                    return web.Response(status=fault.http_status, content_type="text/html",
                                        text=f"<html><body>{fault.http_status}</body></html>")
                if fault.error is not None:
                    raise fault.error
            arrival = arrived_at.set(call.at)
            try:
                result = await handler(world, params, files)
            finally:
                arrived_at.reset(arrival)
        except ApiError as exc:
            call.error_code, call.description = exc.error_code, exc.description
            return _reply(exc.envelope(), exc.error_code)
        except (KeyError, TypeError, ValueError) as exc:
            # A malformed request from the bot: say which, instead of a bare 500.
            what = f"parameter {exc} is required" if isinstance(exc, KeyError) else str(exc)
            call.error_code, call.description = 400, f"Bad Request: {what}"
            return _reply(ApiError(400, call.description).envelope(), 400)
        finally:
            if not polling:
                world.in_flight -= 1
                world.last_activity = time.monotonic()
        call.result_ok = True
        if polling and result:
            world.last_activity = time.monotonic()
        return _reply({"ok": True, "result": result}, 200)

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self.world.faults:
            if fault.matches(method, params):
                fault.times -= 1
                if fault.times <= 0:
                    self.world.faults.remove(fault)
                return fault
        return None

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        """``/file/bot<token>/<file_path>``: the bytes of an uploaded file."""
        if request.match_info["token"] != self.world.token:
            return _reply(ApiError(401, errors.UNAUTHORIZED).envelope(), 401)
        path = request.match_info["path"]
        for stored in self.world.files.values():
            if stored.file_path == path:
                return web.Response(body=stored.data,
                                    content_type=stored.mime_type or "application/octet-stream")
        return _reply(ApiError(404, errors.NOT_FOUND).envelope(), 404)


def _reply(body: dict[str, Any], status: int) -> web.Response:
    return web.json_response(body, status=status)
