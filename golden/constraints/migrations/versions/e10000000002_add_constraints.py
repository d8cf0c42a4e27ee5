"""add constraints

Revision ID: e10000000002
Revises: e10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "e10000000002"
down_revision = 'e10000000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_primary_key("pk_authors", "authors", ["id"])
    op.create_unique_constraint("uq_authors_pen_name", "authors", ["pen_name"])
    op.create_foreign_key(
        "fk_books_author", "books", "authors", ["author_id"], ["id"],
        ondelete="RESTRICT", onupdate="CASCADE",
    )
    op.create_check_constraint("ck_books_pages", "books", "pages > 0")
    op.create_unique_constraint("uq_books_isbn", "books", ["isbn"])


def downgrade() -> None:
    op.drop_constraint("uq_books_isbn", "books", type_="unique")
    op.drop_constraint("ck_books_pages", "books", type_="check")
    op.drop_constraint("fk_books_author", "books", type_="foreignkey")
    op.drop_constraint("uq_authors_pen_name", "authors", type_="unique")
    op.drop_constraint("pk_authors", "authors", type_="primary")
