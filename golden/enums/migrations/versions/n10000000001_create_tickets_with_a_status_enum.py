"""create tickets with a status enum

Revision ID: n10000000001
Revises: None
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "n10000000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    status = sa.Enum("open", "closed", "won't fix", name="ticket_status")
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", status, nullable=False, server_default="open"),
    )
    op.create_table(
        "ticket_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", status, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ticket_history")
    op.drop_table("tickets")
    # As with Alembic, dropping the tables leaves PostgreSQL's enum type: drop it here.
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TYPE ticket_status")
