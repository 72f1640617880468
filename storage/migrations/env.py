"""Alembic environment: runs on a connection handed over by storage.migrate (async engines)."""

from alembic import context

from storage import search_index
from storage.models import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `frontdesk db upgrade` (storage.migrate)")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=search_index.has_model,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
