"""SchemaState: the schema as the migrations say it is, known without a database.

Replaying recorded operations from base gives every table with its columns and
constraints at any revision. Dialects read it to restate a column completely (MySQL
``MODIFY``, SQL Server ``ALTER COLUMN``) and to rebuild SQLite tables; autogenerate
compares it with models.

The data types here are the contract between the replay (``SchemaState.apply``) and the
renderers in ``offline_sql.dialects``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from offline_sql.operations import Origin

TableKey = tuple[str | None, str]
"""(schema, table name); schema None is the default schema."""


@dataclass
class ColumnState:
    name: str
    type: sa.types.TypeEngine[Any]
    nullable: bool = True
    server_default: Any = None
    """The server default as the script gave it (str, TextClause, DefaultClause ...) or None."""
    autoincrement: bool | str = "auto"
    comment: str | None = None
    identity: sa.Identity | None = None
    computed: sa.Computed | None = None
    primary_key: bool = False

    def copy(self) -> ColumnState:
        return copy.copy(self)


@dataclass
class PrimaryKeyState:
    name: str | None
    columns: tuple[str, ...]


@dataclass
class ForeignKeyState:
    name: str | None
    columns: tuple[str, ...]
    referent_schema: str | None
    referent_table: str
    referent_columns: tuple[str, ...]
    ondelete: str | None = None
    onupdate: str | None = None
    deferrable: bool | None = None
    initially: str | None = None
    match: str | None = None


@dataclass
class UniqueState:
    name: str | None
    columns: tuple[str, ...]
    deferrable: bool | None = None
    initially: str | None = None


@dataclass
class CheckState:
    name: str | None
    sqltext: str


@dataclass
class IndexState:
    name: str
    columns: tuple[str, ...]
    """Column names; an expression element is kept as its SQL text."""
    unique: bool = False
    kw: dict[str, Any] = field(default_factory=dict)
    expressions: tuple[Any, ...] = ()
    """The elements as the script gave them (names or clause elements), for re-creation."""


@dataclass
class TableState:
    name: str
    schema: str | None = None
    columns: dict[str, ColumnState] = field(default_factory=dict)
    """In table order."""
    primary_key: PrimaryKeyState | None = None
    foreign_keys: list[ForeignKeyState] = field(default_factory=list)
    uniques: list[UniqueState] = field(default_factory=list)
    checks: list[CheckState] = field(default_factory=list)
    indexes: dict[str, IndexState] = field(default_factory=dict)
    comment: str | None = None
    kw: dict[str, Any] = field(default_factory=dict)
    """Table keyword arguments (``mysql_engine`` ...), kept for rebuilds."""
    unknown_since: Origin | None = None
    """Set when raw SQL changed this table in a way the replay could not follow."""

    @property
    def key(self) -> TableKey:
        return (self.schema, self.name)


class SchemaState:
    """All tables and database-level objects known at one point of the history.

    Contract used by the renderers (implemented by the replay):

    - ``apply(op)`` changes the state as the operation does (renames follow the object;
      ``BatchAlterTable`` applies its operations in order; ``Execute`` parses DDL with
      sqlglot where it can and marks tables unknown where it cannot).
    - ``get(schema, name)`` returns the ``TableState`` or None.
    - ``copy()`` is a deep copy, so a renderer can look at the state before and after.
    - ``enums``: PostgreSQL enum types created by the operations, name -> values.
    """

    def __init__(self) -> None:
        self.tables: dict[TableKey, TableState] = {}
        self.enums: dict[tuple[str | None, str], tuple[str, ...]] = {}
        self.sequences: set[tuple[str | None, str]] = set()

    def get(self, schema: str | None, name: str) -> TableState | None:
        return self.tables.get((schema, name))

    def copy(self) -> SchemaState:
        return copy.deepcopy(self)
