"""Moments on the tests' desks, written as wall times: msk(2026, 3, 13, 18, 30)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")


def msk(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=MSK)


def berlin(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)
