"""A plain ``drop_table`` or ``drop_index`` renders from a template compiled once per shape
(``Dialect.plain_drop_sql``), as a plain ``create_index`` does: a stub table (and index) for
each drop cost most of rendering it, and a ticket's rollback renders a drop for most of what
the history created. Every dialect must give exactly what compiling the drop gives."""

from __future__ import annotations

from typing import Literal

import pytest
from dialect_support import IDENTIFIERS

from offline_sql import operations as o
from offline_sql.dialect_api.base import Dialect
from offline_sql.dialect_api.registry import NAMES, get_dialect
from offline_sql.errors import RenderError
from offline_sql.state import SchemaState


def rendered(dialect: Dialect, op: o.Operation, *, compiled: bool) -> object:
    """The statements' SQL (or the error's text), from the template or, ``compiled``, as
    rendering gave it before templates."""
    if compiled:
        dialect.plain_drop_sql = lambda *args: None  # type: ignore[method-assign]
    try:
        return [s.sql for s in dialect.render(op, SchemaState())]
    except RenderError as exc:
        return str(exc)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("table", IDENTIFIERS)
@pytest.mark.parametrize("if_exists", [False, True])
@pytest.mark.parametrize("kind", ["table", "index"])
def test_a_drop_gives_the_compiled_bytes(
    name: str, table: str, if_exists: bool, kind: Literal["table", "index"]
) -> None:
    index = f"ix_{IDENTIFIERS[-1 - IDENTIFIERS.index(table)]}" if kind == "index" else None
    op: o.Operation = (
        o.DropIndex(table, index_name=index or "", if_exists=if_exists)
        if kind == "index"
        else o.DropTable(table, if_exists=if_exists)
    )
    dialect = get_dialect(name)
    expected = rendered(get_dialect(name), op, compiled=True)
    assert rendered(dialect, op, compiled=False) == expected
    if isinstance(expected, list):  # the template was used, not the compilation again
        assert dialect.plain_drop_sql(kind, table, index, None, if_exists, {}) is not None


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("length", [30, 63, 64, 65, 128, 129, 200, 300])
def test_long_names_fare_the_same(name: str, length: int) -> None:
    for op in (o.DropIndex("t", index_name="i" * length), o.DropTable("t" * length)):
        expected = rendered(get_dialect(name), op, compiled=True)
        assert rendered(get_dialect(name), op, compiled=False) == expected


def test_other_drops_are_compiled() -> None:
    dialect = get_dialect("postgresql")
    assert dialect.plain_drop_sql("table", "t", None, "s", False, {}) is None
    assert dialect.plain_drop_sql("index", "t", "ix", None, False, {"postgresql_x": 1}) is None
    assert dialect.plain_drop_sql("index", "t", "", None, False, {}) is None
    assert dialect.plain_drop_sql("table", "t", None, None, False, {}) == "DROP TABLE t"


@pytest.mark.parametrize("kind", ["table", "index"])
def test_no_template_when_the_compiled_drop_lacks_the_name(
    kind: Literal["table", "index"], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dialect that spells the name otherwise (case-folded, say) gets no template: it
    would otherwise drop the placeholder's spelling for every table."""
    dialect = get_dialect("postgresql")
    monkeypatch.setattr(dialect, "ddl", lambda construct: "DROP SOMETHING ELSE")
    monkeypatch.setattr(dialect, "_drop_templates", {}, raising=False)  # none compiled yet
    index = "ix" if kind == "index" else None
    assert dialect.plain_drop_sql(kind, "t", index, None, False, {}) is None
