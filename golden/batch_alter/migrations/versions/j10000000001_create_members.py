"""create members

Revision ID: j10000000001
Revises: None
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "j10000000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    members = op.create_table(
        "members",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("handle", sa.String(30), nullable=False),
        sa.Column("age", sa.Integer),
        sa.Column("old_flag", sa.Integer),
    )
    op.create_index("ix_members_handle", "members", ["handle"])
    op.bulk_insert(members, [{"id": 1, "handle": "ada", "age": 36, "old_flag": 1}, {"id": 2, "handle": "bob", "age": 40, "old_flag": 0}])


def downgrade() -> None:
    op.drop_index("ix_members_handle", table_name="members")
    op.drop_table("members")
