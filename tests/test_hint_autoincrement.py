"""MODIFY without AUTO_INCREMENT drops it: an integer column mig does not know needs the hint."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from offline_sql import operations as o
from offline_sql.dialects import get_dialect
from offline_sql.errors import RenderError
from offline_sql.state import SchemaState

HINTS = {"existing_nullable": False, "existing_server_default": None, "existing_comment": ""}


@pytest.mark.parametrize("name", ["mysql", "mariadb"])
def test_unknown_integer_column_asks_for_existing_autoincrement(name: str) -> None:
    op = o.AlterColumn(
        "ghost", column_name="id", existing_type=sa.Integer(), comment="the key", **HINTS
    )
    with pytest.raises(RenderError, match="existing_autoincrement"):
        get_dialect(name).render(op, SchemaState())


@pytest.mark.parametrize("name", ["mysql", "mariadb"])
@pytest.mark.parametrize(("counts", "expected"), [(True, True), (False, False)])
def test_the_hint_decides_auto_increment(name: str, counts: bool, expected: bool) -> None:
    op = o.AlterColumn(
        "ghost",
        column_name="id",
        existing_type=sa.Integer(),
        comment="the key",
        existing_autoincrement=counts,
        **HINTS,
    )
    [stmt] = get_dialect(name).render(op, SchemaState())
    assert ("AUTO_INCREMENT" in stmt.sql) is expected


@pytest.mark.parametrize("name", ["mysql", "mariadb"])
def test_text_columns_are_not_asked(name: str) -> None:
    op = o.AlterColumn(
        "ghost", column_name="label", existing_type=sa.String(20), comment="shown", **HINTS
    )
    [stmt] = get_dialect(name).render(op, SchemaState())
    assert "AUTO_INCREMENT" not in stmt.sql
