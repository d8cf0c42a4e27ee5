"""merge billing and stock

Revision ID: k40000000001
Revises: k20000000001, k30000000002
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "k40000000001"
down_revision = ('k20000000001', 'k30000000002')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
