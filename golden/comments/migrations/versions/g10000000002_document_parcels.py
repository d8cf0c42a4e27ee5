"""document parcels

Revision ID: g10000000002
Revises: g10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "g10000000002"
down_revision = 'g10000000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table_comment("parcels", "one row per shipped box; it's never deleted")
    op.alter_column("parcels", "weight_g", comment="grams, rounded up to 10 g")


def downgrade() -> None:
    op.alter_column("parcels", "weight_g", comment="grams, rounded up")
    op.drop_table_comment("parcels")
