"""create products

Revision ID: c10000000001
Revises: None
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "c10000000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sku", sa.String(20), nullable=False, server_default="none"),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("price", sa.Numeric(8, 2), nullable=False, server_default="0"),
        sa.Column("weight", sa.Integer),
        sa.Column("descr", sa.String(200)),
    )
    op.create_index("ix_products_title", "products", ["title"])


def downgrade() -> None:
    op.drop_index("ix_products_title", table_name="products")
    op.drop_table("products")
