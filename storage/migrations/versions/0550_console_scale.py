"""console at national scale: indexes for the queue's shapes, chunked fan-out, kept delivery figures

Revision ID: 0550_console_scale
Revises: 0500_campaign
Create Date: 2026-12-03 11:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0550_console_scale'
down_revision: str | None = '0500_campaign'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tips', schema=None) as batch_op:
        # Each single-column index is the head of a composite below, which serves it as well.
        batch_op.drop_index('ix_tips_status')
        batch_op.drop_index('ix_tips_modus_id')
        batch_op.drop_index('ix_tips_province_code')
        batch_op.create_index('ix_tips_province_status', ['province_code', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_tips_province_created', ['province_code', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_tips_modus_status', ['modus_id', 'status'], unique=False)
        batch_op.create_index(
            'ix_tips_province_modus', ['province_code', 'modus_id', 'status', 'created_at'], unique=False
        )
        batch_op.create_index('ix_tips_status_created', ['status', 'created_at'], unique=False)
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(
            'ix_subscriptions_fanout',
            ['province_code', 'id'],
            unique=False,
            sqlite_where=sa.text('active'),
            postgresql_where=sa.text('active'),
        )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fanout_cursor', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('fanned_out_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('delivery', sa.JSON(), nullable=True))
    # Alerts already sending or done were fanned out in one go.
    op.execute("UPDATE alerts SET fanned_out_at = started_at WHERE started_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_column('delivery')
        batch_op.drop_column('fanned_out_at')
        batch_op.drop_column('fanout_cursor')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index('ix_subscriptions_fanout')
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.drop_index('ix_tips_status_created')
        batch_op.drop_index('ix_tips_province_modus')
        batch_op.drop_index('ix_tips_modus_status')
        batch_op.drop_index('ix_tips_province_created')
        batch_op.drop_index('ix_tips_province_status')
        batch_op.create_index('ix_tips_province_code', ['province_code'], unique=False)
        batch_op.create_index('ix_tips_modus_id', ['modus_id'], unique=False)
        batch_op.create_index('ix_tips_status', ['status'], unique=False)
