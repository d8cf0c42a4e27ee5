"""add audit log

Revision ID: a10000000002
Revises: a10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "a10000000002"
down_revision = 'a10000000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("happened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False, index=True),
        sa.Column("payload", sa.JSON),
        sa.Column("digest", sa.LargeBinary(32)),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
