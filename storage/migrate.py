"""Apply, revert and inspect Alembic migrations on an async engine.

Alembic (with Mako and Pygments, ~11 MB of a process's memory) is imported only when a migration
must run: a start on a database already at `HEAD` reads its revision with one query and goes on.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest migration's revision (tests/storage/test_migrations.py checks it is Alembic's head).
HEAD = "0007"


def alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def _run(engine: AsyncEngine, action) -> None:
    config = alembic_config()

    def run(connection) -> None:
        config.attributes["connection"] = connection
        action(config)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to `revision` (default: the newest); nothing to do costs one query."""
    if revision in ("head", HEAD) and await current_revision(engine) == HEAD:
        return
    from alembic import command

    await _run(engine, lambda config: command.upgrade(config, revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Take the schema down to `revision` ("base" drops every table)."""
    from alembic import command

    await _run(engine, lambda config: command.downgrade(config, revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None for an empty database (Alembic's own table, read
    without importing Alembic)."""

    def read(connection) -> str | None:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()

    async with engine.connect() as connection:
        return await connection.run_sync(read)


def head_revision() -> str:
    """The newest revision of the migrations."""
    return HEAD


def alembic_head() -> str:
    """The newest revision as Alembic finds it in the migration scripts (`HEAD` must equal it)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
