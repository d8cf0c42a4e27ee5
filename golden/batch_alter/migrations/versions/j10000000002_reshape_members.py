"""reshape members

Revision ID: j10000000002
Revises: j10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "j10000000002"
down_revision = 'j10000000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch_op:
        batch_op.alter_column("age", type_=sa.BigInteger, nullable=False, server_default="0")
        batch_op.drop_column("old_flag")
        batch_op.add_column(sa.Column("bio", sa.String(200)))
        batch_op.create_unique_constraint("uq_members_handle", ["handle"])
        batch_op.create_check_constraint("ck_members_age", "age >= 0")


def downgrade() -> None:
    with op.batch_alter_table("members") as batch_op:
        batch_op.drop_constraint("ck_members_age", type_="check")
        batch_op.drop_constraint("uq_members_handle", type_="unique")
        batch_op.drop_column("bio")
        batch_op.add_column(sa.Column("old_flag", sa.Integer))
        batch_op.alter_column("age", type_=sa.Integer, nullable=True, server_default=None)
