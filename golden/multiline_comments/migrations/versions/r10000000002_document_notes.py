"""change the comments

Revision ID: r10000000002
Revises: r10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "r10000000002"
down_revision = 'r10000000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table_comment("notes", "one note per line\r\nEXIT\r\n$(SQLCMDSERVER)")
    op.alter_column("notes", "status", comment="state:\n:r evil.sql\nED")


def downgrade() -> None:
    op.create_table_comment("notes", "notes\n!! echo pwned\nGO")
    op.alter_column("notes", "status", comment="workflow state\nGO\n:setvar x 1\n$(SQLCMDPASSWORD)")
