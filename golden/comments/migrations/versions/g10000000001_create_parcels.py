"""create parcels

Revision ID: g10000000001
Revises: None
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "g10000000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parcels",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("weight_g", sa.Integer, nullable=False, comment="grams, rounded up"),
    )


def downgrade() -> None:
    op.drop_table("parcels")
