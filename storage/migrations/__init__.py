"""Alembic migrations of the Frontdesk schema; run through storage.migrate."""
