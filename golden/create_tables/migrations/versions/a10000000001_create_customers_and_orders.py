"""create customers and orders

Revision ID: a10000000001
Revises: None
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "a10000000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(200), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False, server_default="anonymous"),
        sa.Column("balance", sa.Numeric(12, 2), nullable=False, server_default="0"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("notes", sa.Text, comment="free text, never shown to customers"),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()),
        sa.CheckConstraint("balance >= 0", name="ck_customers_balance"),
        comment="people who buy things",
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", name="fk_orders_customer", ondelete="CASCADE"), nullable=False),
        sa.Column("placed_on", sa.Date, nullable=False),
        sa.Column("total", sa.Numeric(12, 2)),
        sa.Column("reference", sa.String(40), nullable=False),
        sa.UniqueConstraint("customer_id", "reference", name="uq_orders_customer_reference"),
        sa.Index("ix_orders_placed_on", "placed_on"),
    )


def downgrade() -> None:
    op.drop_table("orders")
    op.drop_table("customers")
