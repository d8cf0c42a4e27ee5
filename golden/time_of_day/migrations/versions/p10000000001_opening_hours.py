"""opening hours

Revision ID: p10000000001
Revises: None
"""

from __future__ import annotations

from datetime import time

import sqlalchemy as sa

from offline_sql import op

revision = "p10000000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    hours = op.create_table(
        "opening_hours",
        sa.Column("day", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("opens", sa.Time, nullable=False),
        sa.Column("closes", sa.Time, nullable=False),
    )
    op.bulk_insert(
        hours,
        [
            {"day": 1, "opens": time(7, 5, 3), "closes": time(23, 59, 59, 999999)},
            {"day": 2, "opens": time(0, 0), "closes": time(12, 30)},
        ],
    )


def downgrade() -> None:
    op.drop_table("opening_hours")
