"""SQLAlchemy constructs built from operations, shared by every dialect's renderings.

Operations keep the script's own ``sa.Column``/``sa.Constraint`` objects. Attaching one to a
``Table`` mutates it, and the same recorded run may be rendered for several dialects, so
everything here builds fresh copies on a fresh ``MetaData``. Referenced tables become stub
tables (columns without types) just so SQLAlchemy can name them in ``REFERENCES``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.schema import SchemaItem

from offline_sql.operations import ConstraintType, Operation
from offline_sql.schema_items import fk_target
from offline_sql.state import SchemaState, TableState

_EXPRESSION_CHARS = re.compile(r"[()\s+*/,'\"|-]")
"""A string index element containing these is an expression, not a column name."""


PROCEDURAL_SQL = re.compile(
    r"^\s*(DECLARE\b|BEGIN\s*$|BEGIN\s+(?!TRAN|TRANSACTION\b|WORK\b)"
    r"|CREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE|TRIGGER|PACKAGE|TYPE\s+BODY)\b)",
    re.IGNORECASE,
)
"""Raw SQL that is a procedural block: its own terminators belong to it (PL/SQL ``END;``)."""


def stub_table(
    metadata: sa.MetaData,
    schema: str | None,
    name: str,
    columns: Iterable[str] = (),
) -> sa.Table:
    """A table known only by name (and column names), for quoting and constraint targets."""
    existing = metadata.tables.get(f"{schema}.{name}" if schema else name)
    if existing is not None:
        for col in columns:
            if col not in existing.c:
                existing.append_column(sa.Column(col, sa.types.NullType()))
        return existing
    cols = [sa.Column(c, sa.types.NullType()) for c in dict.fromkeys(columns)]
    return sa.Table(name, metadata, *cols, schema=schema)


def _names(colargs: Iterable[Any]) -> list[str]:
    return [c if isinstance(c, str) else c.key for c in colargs]


def copy_item(item: SchemaItem) -> SchemaItem:
    """A detached copy of a column, constraint or index given to ``create_table``."""
    if isinstance(item, sa.Column):
        return item._copy()
    if isinstance(item, sa.Index):
        exprs: list[Any] = _pending(item) or list(item.expressions)
        return sa.Index(item.name, *exprs, unique=bool(item.unique), **dict(item.dialect_kwargs))
    if isinstance(item, sa.Constraint):
        return copy_constraint(item)
    raise TypeError(f"cannot copy {item!r}")


def _pending(item: Any) -> list[Any]:
    pending = getattr(item, "_pending_colargs", None)
    return [p for p in pending or [] if p is not None]


def copy_constraint(item: sa.Constraint) -> sa.Constraint:
    """Rebuild a constraint from its arguments (SQLAlchemy's ``_copy`` needs a parent)."""
    kw: dict[str, Any] = dict(item.dialect_kwargs)
    common: dict[str, Any] = {
        "name": item.name,
        "deferrable": item.deferrable,
        "initially": item.initially,
    }
    attached = isinstance(getattr(item, "parent", None), sa.Table)
    cols = [c.key for c in item.columns] if attached else _names(_pending(item))  # type: ignore[attr-defined]
    if isinstance(item, sa.PrimaryKeyConstraint):
        return sa.PrimaryKeyConstraint(*cols, **common, **kw)
    if isinstance(item, sa.UniqueConstraint):
        return sa.UniqueConstraint(*cols, **common, **kw)
    if isinstance(item, sa.ForeignKeyConstraint):
        elements = list(item.elements)
        if attached:
            cols = [e.parent.key for e in elements]
        return sa.ForeignKeyConstraint(
            cols,
            [e._get_colspec() for e in elements],
            onupdate=item.onupdate,
            ondelete=item.ondelete,
            match=item.match,
            use_alter=item.use_alter,
            **common,
            **kw,
        )
    if isinstance(item, sa.CheckConstraint):
        return sa.CheckConstraint(item.sqltext, **common, **kw)
    raise TypeError(f"cannot copy constraint {item!r}")


def add_referent_stubs(table: sa.Table) -> None:
    """Give every foreign key of ``table`` a stub target table in its metadata."""
    assert table.metadata is not None
    for fk in table.foreign_keys:
        if isinstance(fk._colspec, str):
            schema, name, column = fk_target(fk)
            stub_table(table.metadata, schema, name, [column])


def table_for_create(op: Any) -> sa.Table:
    """The ``sa.Table`` a ``CreateTable`` describes, detached from the script's objects."""
    items = [copy_item(i) for i in op.items]
    table = sa.Table(
        op.table_name,
        sa.MetaData(),
        *items,
        schema=op.schema,
        comment=op.comment,
        **dict(op.kw),
    )
    add_referent_stubs(table)
    return table


def index_element(element: str | ClauseElement, state_table: TableState | None) -> Any:
    """A name stays a column name; a string that reads as an expression becomes ``text``."""
    if isinstance(element, str):
        known = state_table is not None and element in state_table.columns
        if not known and _EXPRESSION_CHARS.search(element):
            return sa.text(element)
        return element
    return element


def table_with_columns(schema: str | None, name: str, columns: Iterable[str]) -> sa.Table:
    """A fresh stub table with the given columns, for constraints and indexes."""
    return stub_table(sa.MetaData(), schema, name, columns)


def lookup_constraint_type(table: TableState | None, name: str) -> ConstraintType | None:
    """The kind of the constraint ``name`` on ``table`` according to the state."""
    if table is None:
        return None
    if table.primary_key is not None and table.primary_key.name == name:
        return "primary"
    if any(fk.name == name for fk in table.foreign_keys):
        return "foreignkey"
    if any(u.name == name for u in table.uniques):
        return "unique"
    if any(c.name == name for c in table.checks):
        return "check"
    return None


def constraint_stub(kind: ConstraintType | None, name: str, table: sa.Table) -> sa.Constraint:
    """A named constraint of the right class on ``table``, enough to compile a DROP."""
    constraint: sa.Constraint
    if kind == "primary":
        constraint = sa.PrimaryKeyConstraint(name=name)
    elif kind == "foreignkey":
        constraint = sa.ForeignKeyConstraint([], [], name=name)
    elif kind == "check":
        constraint = sa.CheckConstraint(sa.text("1 = 1"), name=name)
    elif kind == "unique":
        constraint = sa.UniqueConstraint(name=name)
    else:
        constraint = sa.Constraint(name=name)
    constraint._set_parent(table)
    return constraint


def find_index_table(state: SchemaState, schema: str | None, index_name: str) -> TableState | None:
    """The table that holds index ``index_name`` in ``schema``, when the script did not say."""
    for table in state.tables.values():
        if table.schema == schema and index_name in table.indexes:
            return table
    return None


def describe(op: Operation) -> str:
    """``op.add_column`` style name of an operation, for messages."""
    name = type(op).__name__
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    where = f" at {op.origin}" if op.origin else ""
    table = getattr(op, "table_name", None)
    on = f" on table {table!r}" if table else ""
    return f"op.{snake}{on}{where}"


DDL_KEYWORDS = frozenset(
    {"CREATE", "ALTER", "DROP", "COMMENT", "RENAME", "TRUNCATE", "GRANT", "REVOKE"}
)
"""Leading keywords that make a raw ``op.execute`` string DDL rather than DML."""


def is_ddl_text(sql: str) -> bool:
    """Whether raw SQL from ``op.execute`` changes the schema (first keyword, comments skipped)."""
    stripped = re.sub(r"^(\s|--[^\n]*\n|/\*.*?\*/)*", "", sql, flags=re.S)
    first = stripped.split(None, 1)[0].upper() if stripped.strip() else ""
    return first in DDL_KEYWORDS
