"""add legacy name

Revision ID: m10000000002
Revises: m10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "m10000000002"
down_revision = 'm10000000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("legacy", sa.Column("name", sa.String(20)))


def downgrade() -> None:
    op.drop_column("legacy", "name")
