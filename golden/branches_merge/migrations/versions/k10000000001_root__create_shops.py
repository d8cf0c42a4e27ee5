"""root: create shops

Revision ID: k10000000001
Revises: None
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "k10000000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("shops", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(50), nullable=False))


def downgrade() -> None:
    op.drop_table("shops")
