"""officers choose which new tips reach their linked chats

Revision ID: 0400_officer_notify
Revises: 0460_login_attempt_account
Create Date: 2026-12-03 11:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0400_officer_notify'
down_revision: str | None = '0460_login_attempt_account'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('officers', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'tip_notices',
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default='all',
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('officers', schema=None) as batch_op:
        batch_op.drop_column('tip_notices')
