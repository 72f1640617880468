"""The customer's requests: the list, one ticket's discussion, writing to it, closing, rating,
reopening. (Being built.)"""

from __future__ import annotations

from aiogram import Router


def build_router() -> Router:
    """A new router with this module's handlers (each dispatcher gets its own)."""
    return Router(name="pm_requests")
