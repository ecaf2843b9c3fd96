"""inbox updates claimed with a lease, replies kept until sent

Revision ID: 0570_inbox_claims
Revises: 0550_console_scale
Create Date: 2026-12-03 10:45:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0570_inbox_claims'
down_revision: str | None = '0550_console_scale'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('inbox_updates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('replies', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('inbox_updates', schema=None) as batch_op:
        batch_op.drop_column('replies')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by')
