"""`/healthz` for the load balancer: 200 while this process can serve updates, 503 with a short
reason when it cannot (the database or Redis does not answer, or it is stopping)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import ping

log = logging.getLogger(__name__)

#: Seconds each dependency has to answer before the check counts it as down.
CHECK_TIMEOUT = 3.0
HEALTH_PATH = "/healthz"


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


class Health:
    """What `/healthz` checks: the database answers `SELECT 1`, Redis (when `storage.fsm_url` is
    set) answers PING, and the process is not draining."""

    def __init__(self, engine: AsyncEngine, redis_url: str = "") -> None:
        self.engine = engine
        self.draining = False
        self._redis = None
        if redis_url:
            from redis.asyncio import Redis  # optional: only with storage.fsm_url

            self._redis = Redis.from_url(redis_url, socket_connect_timeout=CHECK_TIMEOUT,
                                         socket_timeout=CHECK_TIMEOUT)
        self._last: str | None = None

    async def problem(self) -> str | None:
        """Why this process cannot serve now (one short line), or None when it can."""
        if self.draining:
            return "draining: the process is stopping"
        checks: list[tuple[str, Callable[[], Awaitable[object]]]] = [("database", lambda: ping(self.engine))]
        if self._redis is not None:
            checks.append(("redis", self._redis.ping))
        for name, check in checks:
            try:
                async with asyncio.timeout(CHECK_TIMEOUT):
                    await check()
            except TimeoutError:
                return f"{name}: no answer within {CHECK_TIMEOUT:g}s"
            except Exception as error:
                return f"{name}: {first_line(error)}"
        return None

    async def handle(self, _request: web.Request) -> web.Response:
        problem = await self.problem()
        if problem != self._last:
            # Logged when it changes, not at every probe of the balancer.
            if problem is None:
                log.info("healthz: healthy again")
            else:
                log.warning("healthz: unhealthy: %s", problem)
            self._last = problem
        if problem is None:
            return web.Response(text="ok\n")
        return web.Response(status=503, text=f"unhealthy: {problem}\n")

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(HEALTH_PATH, self.handle)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
