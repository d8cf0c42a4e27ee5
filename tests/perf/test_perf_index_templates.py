"""A plain ``create_index`` renders from a template compiled once per shape (unique, IF NOT
EXISTS, number of columns): building a stub table and an index for each was most of the
cost of rendering one. Every dialect must give exactly what compiling the index gives."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from dialect_support import IDENTIFIERS

from offline_sql import operations as o
from offline_sql.dialect_api.base import Dialect
from offline_sql.dialect_api.registry import NAMES, get_dialect
from offline_sql.errors import RenderError
from offline_sql.state import SchemaState


def state_with(table: str, columns: tuple[str, ...]) -> SchemaState:
    state = SchemaState()
    items: list[Any] = [sa.Column(c, sa.Integer) for c in dict.fromkeys(columns)]
    state.apply(o.CreateTable(table, items=tuple(items)))
    return state


def compiled(dialect: Dialect, op: o.CreateIndex, state: SchemaState) -> list[str]:
    """What rendering gave before templates: the index compiled on a stub table."""
    dialect.plain_index_sql = lambda *args: None  # type: ignore[method-assign]
    return [s.sql for s in dialect.render(op, state)]


def cases() -> list[tuple[str, str, tuple[str, ...], bool, bool]]:
    out = []
    for i, table in enumerate(IDENTIFIERS):
        index = f"ix_{IDENTIFIERS[-1 - i]}"
        first = IDENTIFIERS[(i + 3) % len(IDENTIFIERS)]
        for columns in (
            (first,),
            (first, IDENTIFIERS[(i + 5) % len(IDENTIFIERS)]),
            tuple(IDENTIFIERS[:4]),
        ):
            out.append((index, table, columns, i % 2 == 0, i % 3 == 0))
    return out


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("index", "table", "columns", "unique", "if_not_exists"), cases())
def test_template_gives_the_compiled_bytes(
    name: str, index: str, table: str, columns: tuple[str, ...], unique: bool, if_not_exists: bool
) -> None:
    op = o.CreateIndex(
        table, index_name=index, columns=columns, unique=unique, if_not_exists=if_not_exists
    )
    state = state_with(table, columns)
    dialect = get_dialect(name)
    try:
        expected: list[str] | Exception = compiled(get_dialect(name), op, state)
    except RenderError as exc:
        expected = exc
    if isinstance(expected, Exception):
        with pytest.raises(RenderError) as caught:
            dialect.render(op, state)
        assert str(caught.value) == str(expected)
        return
    assert dialect.plain_index_sql(op, state) is not None or name == "mysql" or name == "mariadb"
    assert [s.sql for s in dialect.render(op, state)] == expected


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("length", [30, 63, 64, 65, 128, 129, 200, 300])
def test_long_names_fare_the_same(name: str, length: int) -> None:
    op = o.CreateIndex("t", index_name="i" * length, columns=("a",))
    state = state_with("t", ("a",))
    try:
        expected: object = compiled(get_dialect(name), op, state)
    except RenderError as exc:
        expected = str(exc)
    try:
        got: object = [s.sql for s in get_dialect(name).render(op, state)]
    except RenderError as exc:
        got = str(exc)
    assert got == expected


def test_other_indexes_are_compiled() -> None:
    dialect = get_dialect("postgresql")
    state = state_with("t", ("a", "b"))
    for op in (
        o.CreateIndex("t", index_name="ix", columns=("a",), kw={"postgresql_using": "gin"}),
        o.CreateIndex("t", index_name="ix", columns=("lower(a)",)),
        o.CreateIndex("t", index_name="ix", columns=(sa.text("a DESC"),)),
        o.CreateIndex("t", index_name="ix", columns=("a",), schema="s"),
        o.CreateIndex("t", index_name="ix", columns=("a", "a")),
        o.CreateIndex("t", index_name=None, columns=("a",)),
    ):
        assert dialect.plain_index_sql(op, state) is None
