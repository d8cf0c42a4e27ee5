"""a status more, and urgent becomes a boolean

Revision ID: q10000000002
Revises: q10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "q10000000002"
down_revision = "q10000000001"
branch_labels = None
depends_on = None

OLD = sa.Enum("new", "done", name="ck_jobs_status", native_enum=False, create_constraint=True)
NEW = sa.Enum(
    "new", "done", "held", name="ck_jobs_status", native_enum=False, create_constraint=True
)
URGENT = sa.Boolean(create_constraint=True, name="ck_jobs_urgent")


def upgrade() -> None:
    op.alter_column("jobs", "status", type_=NEW, existing_type=OLD, existing_nullable=False)
    op.alter_column(
        "jobs",
        "urgent",
        type_=URGENT,
        existing_type=sa.Integer(),
        existing_nullable=False,
        postgresql_using="urgent::boolean",
    )
    op.execute("UPDATE jobs SET status = 'held' WHERE id = 2")


def downgrade() -> None:
    op.execute("UPDATE jobs SET status = 'done' WHERE status = 'held'")
    op.alter_column("jobs", "status", type_=OLD, existing_type=NEW, existing_nullable=False)
    op.alter_column(
        "jobs",
        "urgent",
        type_=sa.Integer(),
        existing_type=URGENT,
        existing_nullable=False,
        postgresql_using="urgent::integer",
    )
