"""billing branch: add invoices

Revision ID: k20000000001
Revises: k10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "k20000000001"
down_revision = 'k10000000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("invoices", sa.Column("id", sa.Integer, primary_key=True), sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id", name="fk_invoices_shop"), nullable=False))


def downgrade() -> None:
    op.drop_table("invoices")
