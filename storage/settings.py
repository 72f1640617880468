"""The `[storage]` section of the config file."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class StorageConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    url: str = "sqlite+aiosqlite:///frontdesk.db"
    # Milliseconds a SQLite writer waits for another writer's lock before failing.
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    # Where conversation state lives: "" for the database above (the embedded default), or a
    # Redis URL (redis://host:6379/0) for several bot processes behind a load balancer.
    fsm_url: str = Field(default="", pattern=r"^(|rediss?://.+)$")
