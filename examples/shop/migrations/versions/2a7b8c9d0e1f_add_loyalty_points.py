"""add loyalty points to customers

Revision ID: 2a7b8c9d0e1f
Revises: 1f0e2a3b4c5d
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "2a7b8c9d0e1f"
down_revision = "1f0e2a3b4c5d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "customers",
        sa.Column("points", sa.Integer, nullable=False, server_default="0", comment="loyalty points"),
    )
    # Widening the status column must keep NOT NULL and the default on every database,
    # without existing_* hints: the schema state knows them.
    op.alter_column("orders", "status", type_=sa.String(40))


def downgrade() -> None:
    op.alter_column("orders", "status", type_=sa.String(20))
    op.drop_column("customers", "points")
