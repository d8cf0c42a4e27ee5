"""create products and order lines

Revision ID: t10000000001
Revises: None
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "t10000000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    products = op.create_table(
        "products",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
    )
    lines = op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name="fk_lines_product"),
    )
    op.bulk_insert(products, [{"name": "kettle"}, {"name": "teapot"}])
    op.bulk_insert(lines, [{"product_id": 2}, {"product_id": 1}])


def downgrade() -> None:
    op.drop_table("order_lines")
    op.drop_table("products")
