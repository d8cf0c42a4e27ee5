"""stock branch: add items

Revision ID: k30000000001
Revises: k10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "k30000000001"
down_revision = 'k10000000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("items", sa.Column("id", sa.Integer, primary_key=True), sa.Column("shop_id", sa.Integer, nullable=False))


def downgrade() -> None:
    op.drop_table("items")
