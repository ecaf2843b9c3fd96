"""campaign registers, activities and contributors

Revision ID: 0500_campaign
Revises: 0461_inbox_clear_handled
Create Date: 2026-12-03 10:32:49.986937

The hamlet and organisation registers, campaigns and the activity log; contributor
accounts bound to an organisation or a commune office; the hamlet of a subscription.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0500_campaign'
down_revision: str | None = '0461_inbox_clear_handled'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('hamlets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('ward_code', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('households', sa.Integer(), nullable=True),
    sa.Column('notice_boards', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ward_code', 'name', name='uq_hamlet_ward_name')
    )
    with op.batch_alter_table('hamlets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hamlets_province_code'), ['province_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_hamlets_ward_code'), ['ward_code'], unique=False)

    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('ward_code', sa.Integer(), nullable=False),
    sa.Column('hamlet_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('school_level', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('staff_or_members', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hamlet_id'], ['hamlets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisations_hamlet_id'), ['hamlet_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisations_province_code'), ['province_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisations_ward_code'), ['ward_code'], unique=False)

    op.create_table('campaign_activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('ward_code', sa.Integer(), nullable=False),
    sa.Column('hamlet_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('organiser', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('organiser_note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('audiences', sa.JSON(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=True),
    sa.Column('households_reached', sa.Integer(), nullable=True),
    sa.Column('leaflets', sa.Integer(), nullable=True),
    sa.Column('posters', sa.Integer(), nullable=True),
    sa.Column('notice_boards', sa.Integer(), nullable=True),
    sa.Column('broadcasts', sa.Integer(), nullable=True),
    sa.Column('broadcast_minutes', sa.Integer(), nullable=True),
    sa.Column('posts', sa.Integer(), nullable=True),
    sa.Column('sms_recipients', sa.Integer(), nullable=True),
    sa.Column('staff_engaged', sa.Integer(), nullable=True),
    sa.Column('card_ids', sa.JSON(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['officers.id'], ),
    sa.ForeignKeyConstraint(['deleted_by'], ['officers.id'], ),
    sa.ForeignKeyConstraint(['hamlet_id'], ['hamlets.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('campaign_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_activities_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_activities_hamlet_id'), ['hamlet_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_activities_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_campaign_activities_province_day', ['province_code', 'started_on'], unique=False)
        batch_op.create_index('ix_campaign_activities_ward_day', ['ward_code', 'started_on'], unique=False)

    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['officers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_province_code'), ['province_code'], unique=False)

    with op.batch_alter_table('officers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ward_code', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_officers_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_foreign_key('fk_officers_organisation_id', 'organisations', ['organisation_id'], ['id'])

    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hamlet_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_subscriptions_hamlet_id'), ['hamlet_id'], unique=False)
        batch_op.create_foreign_key('fk_subscriptions_hamlet_id', 'hamlets', ['hamlet_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_constraint('fk_subscriptions_hamlet_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_subscriptions_hamlet_id'))
        batch_op.drop_column('hamlet_id')

    with op.batch_alter_table('officers', schema=None) as batch_op:
        batch_op.drop_constraint('fk_officers_organisation_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_officers_organisation_id'))
        batch_op.drop_column('ward_code')
        batch_op.drop_column('organisation_id')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_province_code'))

    op.drop_table('campaigns')
    with op.batch_alter_table('campaign_activities', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_activities_ward_day')
        batch_op.drop_index('ix_campaign_activities_province_day')
        batch_op.drop_index(batch_op.f('ix_campaign_activities_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_activities_hamlet_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_activities_created_by'))

    op.drop_table('campaign_activities')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisations_ward_code'))
        batch_op.drop_index(batch_op.f('ix_organisations_province_code'))
        batch_op.drop_index(batch_op.f('ix_organisations_hamlet_id'))

    op.drop_table('organisations')
    with op.batch_alter_table('hamlets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hamlets_ward_code'))
        batch_op.drop_index(batch_op.f('ix_hamlets_province_code'))

    op.drop_table('hamlets')
