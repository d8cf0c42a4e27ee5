"""widen product ids to BIGINT

Revision ID: t10000000002
Revises: t10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "t10000000002"
down_revision = 't10000000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQL Server re-creates a foreign key only between columns of the same type: the key
    # goes first and comes back once both sides are BIGINT.
    op.drop_constraint("fk_lines_product", "order_lines", type_="foreignkey")
    op.alter_column("products", "id", type_=sa.BigInteger)
    op.alter_column("order_lines", "product_id", type_=sa.BigInteger)
    op.create_foreign_key("fk_lines_product", "order_lines", "products", ["product_id"], ["id"])


def downgrade() -> None:
    op.drop_constraint("fk_lines_product", "order_lines", type_="foreignkey")
    op.alter_column("order_lines", "product_id", type_=sa.Integer)
    op.alter_column("products", "id", type_=sa.Integer)
    op.create_foreign_key("fk_lines_product", "order_lines", "products", ["product_id"], ["id"])
