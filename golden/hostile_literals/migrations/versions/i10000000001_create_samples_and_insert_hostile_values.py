"""create samples and insert hostile values

Revision ID: i10000000001
Revises: None
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import sqlalchemy as sa

from offline_sql import op

revision = "i10000000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    samples = op.create_table(
        "samples",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("txt", sa.Text),
        sa.Column("num", sa.Numeric(20, 6)),
        sa.Column("flt", sa.Float),
        sa.Column("flag", sa.Boolean),
        sa.Column("day", sa.Date),
        sa.Column("moment", sa.DateTime),
        sa.Column("doc", sa.JSON),
        sa.Column("blob", sa.LargeBinary),
        sa.Column("uid", sa.Uuid),
        comment="hostile values\n/\nhost echo a comment line must not run & nor this",
    )
    op.bulk_insert(
        samples,
        [
            {"id": 1, "txt": "it's a \"quote\"", "num": Decimal("12345678901234.123456"), "flt": 0.1,
             "flag": True, "day": date(2024, 2, 29), "moment": datetime(2024, 2, 29, 23, 59, 58, 123456), "doc": {"a": [1, 2, {"b": None}], "quote": "it's"},
             "blob": bytes([0, 1, 2, 255, 39, 92]), "uid": UUID("12345678-1234-5678-1234-567812345678")},
            {"id": 2, "txt": "back\\slash\\n and tab\there and\nnewline and\r\ncrlf", "num": Decimal("-0.000001"),
             "flt": -2.5, "flag": False, "day": date(1970, 1, 1), "moment": datetime(2000, 1, 1, 0, 0, 0), "doc": ["x", 1.5, True], "blob": b"",
             "uid": UUID("00000000-0000-0000-0000-000000000000")},
            {"id": 3, "txt": "100% :not_a_param %s %(x)s {0} -- not a comment /* nor this */ ; GO", "num": None,
             "flt": None, "flag": None, "day": None, "moment": None, "doc": None, "blob": None,
             "uid": None},
            {"id": 4, "txt": "unicode: é ß 漢字 🎉 \u2028 end", "num": Decimal("0"), "flt": 1e-10, "flag": True,
             "day": date(9999, 12, 31), "moment": datetime(1999, 12, 31, 23, 59, 59),
             "doc": {"emoji": "🎉", "nested": {"k": "tab\tquote'"}}, "blob": "ünï".encode(),
             "uid": UUID("ffffffff-ffff-ffff-ffff-ffffffffffff")},
            {"id": 5, "txt": "", "num": Decimal("1E+3"), "flt": 3.0, "flag": False, "day": date(2000, 1, 1),
             "moment": datetime(2000, 1, 1, 12, 0), "doc": {}, "blob": b"\x00",
             "uid": None},
            # Lines a client could run if a literal kept its line breaks, then more than a
            # SQL*Plus line holds (2,499 characters) without any break.
            {"id": 6, "txt": "lines:\n/\n.\n@x.sql\nhost echo no\n#prompt no\n\nSET x\n" + "0123456789" * 300,
             "num": None, "flt": None, "flag": None, "day": None, "moment": None, "doc": None,
             "blob": None, "uid": None},
        ],
    )


def downgrade() -> None:
    op.drop_table("samples")
