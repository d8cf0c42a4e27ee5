"""create legacy table

Revision ID: m10000000001
Revises: None
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "m10000000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("legacy", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("legacy")
