"""narrow accounts

Revision ID: n10000000002
Revises: n10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "n10000000002"
down_revision = "n10000000001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Wider in intent; on Oracle INTEGER is NUMBER(38) and BigInteger NUMBER(19).
    op.alter_column("accounts", "visits", type_=sa.BigInteger)
    # A real narrowing: every value fits, but Oracle refuses it on a column with rows.
    op.alter_column("accounts", "balance", type_=sa.Numeric(8, 2))


def downgrade() -> None:
    op.alter_column("accounts", "balance", type_=sa.Numeric(10, 2))
    op.alter_column("accounts", "visits", type_=sa.Integer)
