"""the reply clock a reopened (or un-resolved) ticket starts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_clock_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reply_due', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('reply_due')
        batch_op.drop_column('reply_clock_since')
