"""widen and tighten columns

Revision ID: c10000000002
Revises: c10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "c10000000002"
down_revision = 'c10000000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Type change only: NOT NULL and the default must survive on every database.
    op.alter_column("products", "sku", type_=sa.String(40))
    # Nullability only.
    op.alter_column("products", "weight", nullable=False, server_default="0")
    # Default only.
    op.alter_column("products", "price", server_default="1.00")
    # Rename keeps type, NOT NULL and the index.
    op.alter_column("products", "title", new_column_name="name")
    # Comment only.
    op.alter_column("products", "descr", comment="shown on the product page")


def downgrade() -> None:
    op.alter_column("products", "descr", comment=None)
    op.alter_column("products", "name", new_column_name="title")
    op.alter_column("products", "price", server_default="0")
    op.alter_column("products", "weight", nullable=True, server_default=None)
    op.alter_column("products", "sku", type_=sa.String(20))
