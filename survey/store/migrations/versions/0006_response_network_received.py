"""response: an index on (network_hash, received_at), so the arrival rules' window counts read the window only;
it replaces the index on network_hash alone, which it begins with

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 21:10:00
"""

from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.create_index('ix_response_network_received', ['network_hash', 'received_at'], unique=False)
        batch_op.drop_index('ix_response_network_hash')


def downgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.create_index('ix_response_network_hash', ['network_hash'], unique=False)
        batch_op.drop_index('ix_response_network_received')
