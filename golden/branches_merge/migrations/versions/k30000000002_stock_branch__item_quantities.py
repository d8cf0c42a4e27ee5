"""stock branch: item quantities

Revision ID: k30000000002
Revises: k30000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "k30000000002"
down_revision = 'k30000000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("items", sa.Column("quantity", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("items", "quantity")
