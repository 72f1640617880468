"""the FAQ answers agents send from a card's suggestions

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'suggestion_uses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.String(length=128), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('agent_telegram_id', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_suggestion_uses_ticket_id_tickets')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion_uses')),
    )
    with op.batch_alter_table('suggestion_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestion_uses_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_suggestion_uses_ticket_id'), ['ticket_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('suggestion_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestion_uses_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_suggestion_uses_created_at'))
    op.drop_table('suggestion_uses')
