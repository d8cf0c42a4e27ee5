"""create jobs

Revision ID: q10000000001
Revises: None
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "q10000000001"
down_revision = None
branch_labels = None
depends_on = None

STATUS = sa.Enum("new", "done", name="ck_jobs_status", native_enum=False, create_constraint=True)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("urgent", sa.Integer, nullable=False),
    )
    op.bulk_insert(
        sa.table(
            "jobs",
            sa.column("id", sa.Integer),
            sa.column("status", sa.String),
            sa.column("urgent", sa.Integer),
        ),
        [{"id": 1, "status": "new", "urgent": 0}, {"id": 2, "status": "done", "urgent": 1}],
    )


def downgrade() -> None:
    op.drop_table("jobs")
