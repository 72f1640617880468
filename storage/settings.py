"""The `[storage]` section of the config file."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from storage.database import is_sqlite


class StorageConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    url: str = "sqlite+aiosqlite:///frontdesk.db"
    # Milliseconds a SQLite writer waits for another writer's lock before failing.
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    # Where conversation state lives: "" for the database above (the embedded default), or a
    # Redis URL (redis://host:6379/0) for several bot processes behind a load balancer.
    fsm_url: str = Field(default="", pattern=r"^(|rediss?://.+)$")
    # With Redis: a chat's lock is a lease of this many seconds, renewed while its update is
    # handled, so the locks of a process that died expire within it; an update that cannot have
    # its chat's lock within chat_lock_wait seconds fails and Telegram delivers it again (keep it
    # well under the load balancer's timeout).
    chat_lock_lease: float = Field(default=5.0, gt=0)
    chat_lock_wait: float = Field(default=20.0, gt=0)

    @property
    def one_process(self) -> bool:
        """The embedded default: SQLite with the conversation state in it is served by one process,
        which may then keep in memory what only it changes (conversation states, who is banned,
        which updates it handled)."""
        return is_sqlite(self.url) and not self.fsm_url
