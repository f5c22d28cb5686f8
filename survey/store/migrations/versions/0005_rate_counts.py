"""rate_count: fixed-window counters for the rate limits on submission and sign-in, shared by every worker

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 11:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_count',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('window_start', sa.Integer(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'window_start')
    )


def downgrade() -> None:
    op.drop_table('rate_count')
