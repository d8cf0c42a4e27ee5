"""seed settings

Revision ID: h10000000002
Revises: h10000000001
"""

from __future__ import annotations

import sqlalchemy as sa

from offline_sql import op

revision = "h10000000002"
down_revision = 'h10000000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    settings = sa.table("settings", sa.column("name", sa.String), sa.column("value", sa.String))
    op.execute("INSERT INTO settings (name, value) VALUES ('greeting', 'it''s 100% fine')")
    op.execute(
        sa.text("INSERT INTO settings (name, value) VALUES (:k, :v)"),
        {"k": "time", "v": "10:30 at the café"},
    )
    op.execute(settings.insert().values(name="path", value="C:\\temp\\new"))
    op.execute(settings.update().where(settings.c.name == "greeting").values(value="tab\there"))
    op.execute(settings.delete().where(settings.c.name == "nothing"))


def downgrade() -> None:
    op.execute("DELETE FROM settings")
