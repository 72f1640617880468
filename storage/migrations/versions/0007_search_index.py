"""the full-text index of tickets for /find (storage.search_index)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from alembic import op

from storage import search_index

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    search_index.create(op.execute, op.get_bind().dialect.name)


def downgrade() -> None:
    search_index.drop(op.execute, op.get_bind().dialect.name)
