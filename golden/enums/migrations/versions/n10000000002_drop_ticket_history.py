"""drop ticket history

Revision ID: n10000000002
Revises: n10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "n10000000002"
down_revision = 'n10000000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("ticket_history")


def downgrade() -> None:
    op.create_table(
        "ticket_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", sa.Enum("open", "closed", "won't fix", name="ticket_status"), nullable=False),
    )
