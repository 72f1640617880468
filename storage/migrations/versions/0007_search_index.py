"""the full-text index of tickets for /find (SQLite)

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
    # PostgreSQL reads 100,000 tickets' texts fast enough by itself (see desk.reports.find).
    if op.get_bind().dialect.name == "sqlite":
        search_index.create(op.execute)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        search_index.drop(op.execute)
