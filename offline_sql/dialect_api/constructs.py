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

from offline_sql.operations import ConstraintType, Operation
from offline_sql.schema_items import (
    added_column,
    build_table,
    created_table,
    fk_target,
    name_or_none,
    table_for,
    type_check_names,
    type_checks,
)
from offline_sql.state import SchemaState
from offline_sql.table_state import TableState

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


def _pending(item: Any) -> list[Any]:
    """The column arguments of a constraint or index not attached to a table yet."""
    pending = getattr(item, "_pending_colargs", None)
    return [p for p in pending or [] if p is not None]


def add_referent_stubs(table: sa.Table) -> None:
    """Give every foreign key of ``table`` a stub target table in its metadata."""
    assert table.metadata is not None
    for fk in table.foreign_keys:
        if isinstance(fk._colspec, str):
            schema, name, column = fk_target(fk)
            stub_table(table.metadata, schema, name, [column])


def table_for_create(op: Any, *, fresh: bool = False) -> sa.Table:
    """The ``sa.Table`` a ``CreateTable`` describes, detached from the script's objects, with
    stub tables for its foreign keys' targets.

    The operation's own built table (``schema_items.created_table``), shared by every
    rendering, unless ``fresh``: a renderer that changes a constraint asks for a copy of
    its own."""
    if fresh:
        table = table_for(op)
    else:
        built = created_table(op)
        if built.table is None:  # the one built with the state went to the script
            built.table = table_for(op)
        table = built.table
    add_referent_stubs(table)
    return table


def column_for_add(op: Any, *, fresh: bool = False) -> sa.Column[Any]:
    """The column of an ``AddColumn`` on a table of its own (which holds the constraints and
    indexes the column brings), with stub tables for its foreign keys' targets.

    The operation's own built table (``schema_items.added_column``) unless ``fresh``, as
    in :func:`table_for_create`."""
    if fresh:
        table = build_table(op.table_name, [op.column], sa.MetaData(), schema=op.schema)
    else:
        own = added_column(op).table
        assert own is not None  # added_column keeps its table
        table = own
    add_referent_stubs(table)
    column: sa.Column[Any] = table.columns[op.column.name]
    return column


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


def constraint_names(table: TableState) -> set[str]:
    """Every constraint name of ``table`` the state knows: primary key, foreign keys,
    uniques, CHECKs (table ones and those a column's type carries) and unique indexes."""
    names = {fk.name for fk in table.foreign_keys} | {u.name for u in table.uniques}
    names |= {c.name for c in table.checks} | set(table.excludes)
    if table.primary_key is not None:
        names.add(table.primary_key.name)
    names |= {n for n, ix in table.indexes.items() if ix.unique}
    for column in table.columns.values():
        names |= type_check_names(column.type, column.name)
    return {n for n in names if n}


def has_unnamed_constraint(table: TableState, kind: ConstraintType | None) -> bool:
    """Whether ``table`` has a constraint of ``kind`` (any, when None) without a name."""
    unnamed = {
        "primary": table.primary_key is not None and table.primary_key.name is None,
        "foreignkey": any(fk.name is None for fk in table.foreign_keys),
        "unique": any(u.name is None for u in table.uniques),
        "check": any(c.name is None for c in table.checks)
        or any(
            name_or_none(c.name) is None
            for column in table.columns.values()
            for c in type_checks(column.type, column.name)
        ),
    }
    return any(unnamed.values()) if kind is None else unnamed.get(kind, False)


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
