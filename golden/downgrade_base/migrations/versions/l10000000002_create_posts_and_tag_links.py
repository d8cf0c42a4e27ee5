"""create posts and tag links

Revision ID: l10000000002
Revises: l10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "l10000000002"
down_revision = 'l10000000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("posts", sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.Text, nullable=False))
    op.create_table(
        "post_tags",
        sa.Column("post_id", sa.Integer, sa.ForeignKey("posts.id", name="fk_post_tags_post"), primary_key=True),
        sa.Column("tag_id", sa.Integer, sa.ForeignKey("tags.id", name="fk_post_tags_tag"), primary_key=True),
    )
    op.create_index("ix_post_tags_tag_id", "post_tags", ["tag_id"])


def downgrade() -> None:
    op.drop_index("ix_post_tags_tag_id", table_name="post_tags")
    op.drop_table("post_tags")
    op.drop_table("posts")
