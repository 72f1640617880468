"""agents on duty and the tickets assigned to them

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'agent_duty',
        sa.Column('telegram_id', sa.BigInteger(), nullable=False),
        sa.Column('name', sa.String(length=256), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=True),
        sa.Column('on_duty', sa.Boolean(), nullable=False),
        sa.Column('level', sa.Integer(), nullable=False),
        sa.Column('last_assigned_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('telegram_id', name=op.f('pk_agent_duty')),
    )
    with op.batch_alter_table('agent_duty', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agent_duty_username'), ['username'], unique=False)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_username', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('unassigned_reason', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('unassigned_reason')
        batch_op.drop_column('assignee_username')
    with op.batch_alter_table('agent_duty', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agent_duty_username'))
    op.drop_table('agent_duty')
