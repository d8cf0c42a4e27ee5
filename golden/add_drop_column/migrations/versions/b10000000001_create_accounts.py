"""create accounts

Revision ID: b10000000001
Revises: None
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "b10000000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("login", sa.String(50), nullable=False),
        sa.Column("legacy_code", sa.String(10)),
    )
    op.create_table("teams", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(50), nullable=False))


def downgrade() -> None:
    op.drop_table("teams")
    op.drop_table("accounts")
