"""posts get titles

Revision ID: l10000000003
Revises: l10000000002
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "l10000000003"
down_revision = 'l10000000002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("posts", sa.Column("title", sa.String(100), nullable=False, server_default="untitled"))


def downgrade() -> None:
    op.drop_column("posts", "title")
