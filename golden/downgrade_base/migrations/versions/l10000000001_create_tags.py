"""create tags

Revision ID: l10000000001
Revises: None
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "l10000000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("tags", sa.Column("id", sa.Integer, primary_key=True), sa.Column("label", sa.String(30), nullable=False))


def downgrade() -> None:
    op.drop_table("tags")
