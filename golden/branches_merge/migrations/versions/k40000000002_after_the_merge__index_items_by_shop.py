"""after the merge: index items by shop

Revision ID: k40000000002
Revises: k40000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "k40000000002"
down_revision = 'k40000000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_items_shop_id", "items", ["shop_id"])


def downgrade() -> None:
    op.drop_index("ix_items_shop_id", table_name="items")
