"""MODIFY without AUTO_INCREMENT drops it: an integer column mig does not know needs the hint."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from offline_sql import operations as o
from offline_sql.dialect_api.registry import get_dialect
from offline_sql.errors import RenderError
from offline_sql.state import SchemaState


def alter(column: str, existing_type: sa.types.TypeEngine[Any], **hint: Any) -> o.AlterColumn:
    """An alter_column of a table mig does not know, with every hint but autoincrement."""
    return o.AlterColumn(
        "ghost",
        column_name=column,
        existing_type=existing_type,
        comment="changed",
        existing_nullable=False,
        existing_server_default=None,
        existing_comment="",
        existing_autoincrement=hint.get("existing_autoincrement", o.UNSET),
    )


@pytest.mark.parametrize("name", ["mysql", "mariadb"])
def test_unknown_integer_column_asks_for_existing_autoincrement(name: str) -> None:
    op = alter("id", sa.Integer())
    with pytest.raises(RenderError, match="existing_autoincrement"):
        get_dialect(name).render(op, SchemaState())


@pytest.mark.parametrize("name", ["mysql", "mariadb"])
@pytest.mark.parametrize(("counts", "expected"), [(True, True), (False, False)])
def test_the_hint_decides_auto_increment(name: str, counts: bool, expected: bool) -> None:
    op = alter("id", sa.Integer(), existing_autoincrement=counts)
    [stmt] = get_dialect(name).render(op, SchemaState())
    assert ("AUTO_INCREMENT" in stmt.sql) is expected


@pytest.mark.parametrize("name", ["mysql", "mariadb"])
def test_text_columns_are_not_asked(name: str) -> None:
    op = alter("label", sa.String(20))
    [stmt] = get_dialect(name).render(op, SchemaState())
    assert "AUTO_INCREMENT" not in stmt.sql
