"""create authors and books

Revision ID: e10000000001
Revises: None
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "e10000000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "authors",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("pen_name", sa.String(80), nullable=False),
    )
    op.create_table(
        "books",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("author_id", sa.Integer, nullable=False),
        sa.Column("isbn", sa.String(20), nullable=False),
        sa.Column("pages", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("books")
    op.drop_table("authors")
