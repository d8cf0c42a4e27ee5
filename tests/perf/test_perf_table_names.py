"""``Dialect.table_name`` formats through a lightweight table clause, remembered per name:
every ALTER asks, and building a stub ``sa.Table`` for each was a tenth of an ALTER's cost.
It must quote exactly as SQLAlchemy quotes a real ``Table``."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.sql.elements import quoted_name

from offline_sql.dialect_api.registry import NAMES, get_dialect

NAMES_TO_QUOTE = (
    "t",
    "T",
    "select",
    "my table",
    "a.b",
    "Ünï",
    quoted_name("Foo", True),
    quoted_name("foo", False),
    "x" * 70,
    'weird"q',
    "with'q",
    "$x",
    "1abc",
)
SCHEMAS = (None, "s", "Sch", "db.owner", "select", quoted_name("S", True), "[x]")


@pytest.mark.parametrize("name", NAMES)
def test_table_name_quotes_as_a_table_does(name: str) -> None:
    dialect = get_dialect(name)
    preparer = dialect.sa_dialect().identifier_preparer
    for schema in SCHEMAS:
        for table in NAMES_TO_QUOTE:
            expected = preparer.format_table(sa.Table(table, sa.MetaData(), schema=schema))
            assert dialect.table_name(schema, table) == expected
            assert dialect.table_name(schema, table) == expected  # remembered


def test_quoted_name_is_not_confused_with_its_plain_text() -> None:
    dialect = get_dialect("postgresql")
    assert dialect.table_name(None, "Foo") == '"Foo"'
    assert dialect.table_name(None, quoted_name("foo", True)) == '"foo"'
    assert dialect.table_name(None, "foo") == "foo"
