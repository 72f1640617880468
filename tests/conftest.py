"""Fixtures every test folder may use."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis
from services import REDIS_URL, need


@pytest.fixture
async def redis():
    """A client of the Redis server the tests use (skips, or fails on CI, when it is absent)."""
    need("127.0.0.1", 6379, "Redis")
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose(close_connection_pool=True)
