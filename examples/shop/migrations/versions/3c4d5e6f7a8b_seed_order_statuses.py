"""seed order statuses

Revision ID: 3c4d5e6f7a8b
Revises: 2a7b8c9d0e1f
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "3c4d5e6f7a8b"
down_revision = "2a7b8c9d0e1f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    statuses = op.create_table(
        "order_statuses",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("label", sa.String(100), nullable=False),
    )
    op.bulk_insert(
        statuses,
        [
            {"code": "new", "label": "New: not yet paid"},
            {"code": "paid", "label": "Paid (100% of the total)"},
            {"code": "shipped", "label": "Shipped\tin transit"},
            {"code": "cancelled", "label": "Cancelled: customer's request"},
        ],
    )
    op.create_foreign_key(
        "fk_orders_status", "orders", "order_statuses", ["status"], ["code"]
    )


def downgrade() -> None:
    op.drop_constraint("fk_orders_status", "orders", type_="foreignkey")
    op.drop_table("order_statuses")
