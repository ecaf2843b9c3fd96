"""handled inbox updates keep no payload and no user

Revision ID: 0461_inbox_clear_handled
Revises: 0400_officer_notify
Create Date: 2026-12-03 11:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0461_inbox_clear_handled'
down_revision: str | None = '0400_officer_notify'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # From now on a handled update is cleared when marked done; this clears the ones before.
    inbox = sa.table(
        'inbox_updates',
        sa.column('status', sa.String),
        sa.column('payload', sa.JSON),
        sa.column('user_key', sa.String),
    )
    op.execute(inbox.update().where(inbox.c.status != 'pending').values(payload={}, user_key=''))


def downgrade() -> None:
    pass  # what was cleared is gone
