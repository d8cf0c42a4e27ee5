"""create articles and store a long text

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


def upgrade() -> None:
    articles = op.create_table(
        "articles",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("body", sa.UnicodeText),
    )
    # 4,200 characters after the first line: a concatenation of pieces that T-SQL would cut
    # at 4,000 characters unless it is nvarchar(max).
    line = "GO\n!! echo pwned\n:r evil.sql\n$(SQLCMDPASSWORD)\r\n" + "x" * 66 + "\n"
    body = "first line\n" + line * 42
    op.bulk_insert(articles, [{"id": 1, "body": body}, {"id": 2, "body": "short"}])


def downgrade() -> None:
    op.drop_table("articles")
