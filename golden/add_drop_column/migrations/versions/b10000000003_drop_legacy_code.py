"""drop legacy code

Revision ID: b10000000003
Revises: b10000000002
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "b10000000003"
down_revision = 'b10000000002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("accounts", "legacy_code")


def downgrade() -> None:
    op.add_column("accounts", sa.Column("legacy_code", sa.String(10)))
