"""invitations, quotas, quality flags

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 09:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_links', sa.Boolean(), nullable=False, server_default=sa.true()))

    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('network_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('item_seconds', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_response_device_hash'), ['device_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_network_hash'), ['network_hash'], unique=False)

    with op.batch_alter_table('response_flag', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overridden_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('invitation_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('outlet_id', sa.Integer(), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['outlet_id'], ['outlet.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('invitation_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_batch_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('invitation',
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('outlet_id', sa.Integer(), nullable=True),
    sa.Column('response_id', sa.String(length=36), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['invitation_batch.id'], ),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['outlet_id'], ['outlet.id'], ),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], ),
    sa.PrimaryKeyConstraint('token_sha256'),
    sa.UniqueConstraint('response_id')
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_batch_id'), ['batch_id'], unique=False)

    op.create_table('quota',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('industry', sa.String(length=40), nullable=True),
    sa.Column('city', sa.String(length=6), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('target', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('target >= 1', name='quota_target'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('quota', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quota_campaign_id'), ['campaign_id'], unique=False)
    # One quota per cell; "all" is null, so the uniqueness is over coalesced values (nulls are distinct otherwise).
    op.create_index('uq_quota_cell', 'quota', [
        'campaign_id', sa.text("coalesce(industry, '')"), sa.text("coalesce(city, '')"), sa.text('coalesce(enterprise_id, 0)'),
    ], unique=True)


def downgrade() -> None:
    op.drop_index('uq_quota_cell', table_name='quota')
    with op.batch_alter_table('quota', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quota_campaign_id'))
    op.drop_table('quota')
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_batch_id'))
    op.drop_table('invitation')
    with op.batch_alter_table('invitation_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_batch_campaign_id'))
    op.drop_table('invitation_batch')
    with op.batch_alter_table('response_flag', schema=None) as batch_op:
        batch_op.drop_column('overridden_at')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_network_hash'))
        batch_op.drop_index(batch_op.f('ix_response_device_hash'))
        batch_op.drop_column('item_seconds')
        batch_op.drop_column('network_hash')
        batch_op.drop_column('device_hash')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('open_links')
