"""login attempts remember the account tried, for a lock per account and address

Revision ID: 0460_login_attempt_account
Revises: 0350_login_failures
Create Date: 2026-12-03 11:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0460_login_attempt_account'
down_revision: str | None = '0350_login_failures'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('officer_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_login_failures_officer_id'), ['officer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failures_officer_id'))
        batch_op.drop_column('officer_id')
