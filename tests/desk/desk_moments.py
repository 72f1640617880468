"""Moments the use-case tests set their clock to (a module of its own: test modules import it by
name, which a conftest module cannot be relied on for when several test folders have one)."""

from datetime import UTC, datetime

# A Wednesday, 12:00 in Moscow: support is open.
WORKING_HOURS = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
# The same Wednesday, 23:00 in Moscow: support is closed.
NIGHT = datetime(2026, 3, 11, 20, 0, tzinfo=UTC)
