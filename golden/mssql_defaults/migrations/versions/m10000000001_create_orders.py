"""create orders

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
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(20), nullable=False, server_default="new"),
        sa.Column("amount", sa.Integer, nullable=False, server_default="0"),
        sa.Column("legacy_flag", sa.Integer, nullable=False, server_default="1"),
        sa.Column("note", sa.String(100)),
    )


def downgrade() -> None:
    op.drop_table("orders")
