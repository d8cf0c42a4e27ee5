"""add columns

Revision ID: b10000000002
Revises: b10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "b10000000002"
down_revision = 'b10000000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("nickname", sa.String(50)))
    op.add_column("accounts", sa.Column("score", sa.Integer, nullable=False, server_default="0"))
    op.add_column("accounts", sa.Column("status", sa.String(20), nullable=False, server_default="new", comment="lifecycle state"))
    op.add_column("accounts", sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", name="fk_accounts_team")))


def downgrade() -> None:
    op.drop_constraint("fk_accounts_team", "accounts", type_="foreignkey")
    op.drop_column("accounts", "team_id")
    op.drop_column("accounts", "status")
    op.drop_column("accounts", "score")
    op.drop_column("accounts", "nickname")
