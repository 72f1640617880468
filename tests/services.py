"""The PostgreSQL and Redis servers some tests need: skipped when absent on a laptop, required in
CI (.ci/run sets FRONTDESK_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_URL = "redis://127.0.0.1:6379/0"


def reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def need(host: str, port: int, what: str) -> None:
    if reachable(host, port):
        return
    message = f"{what} is not running on {host}:{port}"
    if os.environ.get("FRONTDESK_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (required in CI)")
    pytest.skip(message)


async def fresh_postgres_database() -> tuple[str, str]:
    """A new empty database on the local server: (SQLAlchemy URL, name)."""
    import asyncpg

    need(PG_HOST, PG_PORT, "PostgreSQL")
    name = f"frontdesk_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="test")
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}", name


async def drop_postgres_database(name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="test")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()
