"""index events

Revision ID: d10000000002
Revises: d10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "d10000000002"
down_revision = 'd10000000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_kind_source", "events", ["kind", "source"])
    op.create_index("uq_events_code", "events", ["code"], unique=True)
    op.create_index(
        "ix_events_live_kind", "events", ["kind"],
        postgresql_where=sa.text("deleted = false"),
    )
    op.create_index("ix_events_source", "events", ["source"], postgresql_concurrently=True)


def downgrade() -> None:
    op.drop_index("ix_events_source", table_name="events", postgresql_concurrently=True)
    op.drop_index("ix_events_live_kind", table_name="events")
    op.drop_index("uq_events_code", table_name="events")
    op.drop_index("ix_events_kind_source", table_name="events")
