"""create notes with comments on several lines

Revision ID: r10000000001
Revises: None
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "r10000000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "status",
            sa.String(60),
            nullable=False,
            server_default="new\nGO\n!! echo pwned",
            comment="workflow state\nGO\n:setvar x 1\n$(SQLCMDPASSWORD)",
        ),
        comment="notes\n!! echo pwned\nGO",
    )


def downgrade() -> None:
    op.drop_table("notes")
