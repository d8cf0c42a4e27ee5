"""defaults without hints

Revision ID: m10000000002
Revises: m10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "m10000000002"
down_revision = "m10000000001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQL Server refuses to drop a column its default constraint depends on.
    op.drop_column("orders", "legacy_flag")
    # A new default replaces the constraint of the old one.
    op.alter_column("orders", "status", server_default="open")
    # A type change keeps NOT NULL and the default, without existing_* hints.
    op.alter_column("orders", "amount", type_=sa.Numeric(12, 2))


def downgrade() -> None:
    op.alter_column("orders", "amount", type_=sa.Integer)
    op.alter_column("orders", "status", server_default="new")
    op.add_column(
        "orders", sa.Column("legacy_flag", sa.Integer, nullable=False, server_default="1")
    )
