"""create accounts

Revision ID: n10000000001
Revises: None
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from offline_sql import op

revision = "n10000000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    accounts = op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("visits", sa.Integer, nullable=False),
        sa.Column("balance", sa.Numeric(10, 2)),
    )
    op.bulk_insert(
        accounts,
        [
            {"id": 1, "visits": 12, "balance": Decimal("150.25")},
            {"id": 2, "visits": 0, "balance": None},
        ],
    )


def downgrade() -> None:
    op.drop_table("accounts")
