"""rate_count: an index on window_start, so the sweep of windows that ended a day ago reads only those

Without it, the sweep that about one group in 200 runs read the whole table: one row per client network and
minute, so under load from many networks each sweep held the write lock for 100 ms or more.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 23:30:00
"""

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rate_count', schema=None) as batch_op:
        batch_op.create_index('ix_rate_count_window_start', ['window_start'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rate_count', schema=None) as batch_op:
        batch_op.drop_index('ix_rate_count_window_start')
