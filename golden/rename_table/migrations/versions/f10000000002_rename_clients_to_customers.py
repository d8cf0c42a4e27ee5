"""rename clients to customers

Revision ID: f10000000002
Revises: f10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "f10000000002"
down_revision = 'f10000000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.rename_table("clients", "customers")


def downgrade() -> None:
    op.rename_table("customers", "clients")
