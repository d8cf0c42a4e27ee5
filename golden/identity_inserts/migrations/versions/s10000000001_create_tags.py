"""create tags and codes

Revision ID: s10000000001
Revises: None
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "s10000000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    tags = op.create_table(
        "tags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(30), nullable=False),
    )
    codes = op.create_table(
        "codes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("label", sa.String(30), nullable=False),
    )
    op.bulk_insert(tags, [{"name": "generated one"}, {"name": "generated two"}])
    op.bulk_insert(tags, [{"id": 101, "name": "explicit"}, {"id": 102, "name": "explicit too"}])
    op.bulk_insert(codes, [{"id": 7, "label": "plain key"}])


def downgrade() -> None:
    op.drop_table("codes")
    op.drop_table("tags")
