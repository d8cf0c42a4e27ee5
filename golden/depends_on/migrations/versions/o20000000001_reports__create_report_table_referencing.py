"""reports: create report table referencing users

Revision ID: o20000000001
Revises: None
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "o20000000001"
down_revision = None
branch_labels = ("reports",)
depends_on = "o10000000001"


def upgrade() -> None:
    op.create_table("reports", sa.Column("id", sa.Integer, primary_key=True), sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_reports_user"), nullable=False))


def downgrade() -> None:
    op.drop_table("reports")
