"""The tables of a schema state: what a table, its columns and constraints are known as.

Plain data, importing nothing of the replay: :class:`~offline_sql.state.SchemaState`
holds these, the replay (:mod:`offline_sql.replay`, :mod:`offline_sql.rawsql`) and the
SQLAlchemy conversions (:mod:`offline_sql.schema_items`) build and change them, and the
renderers in ``offline_sql.dialects`` read them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Protocol

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
    excludes: list[str] = field(default_factory=list)
    """Names of its EXCLUDE constraints (PostgreSQL), so ``drop_constraint`` finds them."""
    indexes: dict[str, IndexState] = field(default_factory=dict)
    comment: str | None = None
    kw: dict[str, Any] = field(default_factory=dict)
    """Table keyword arguments (``mysql_engine`` ...), kept for rebuilds."""
    unknown_since: Origin | None = None
    """Set when raw SQL changed this table in a way the replay could not follow."""

    @property
    def key(self) -> TableKey:
        return (self.schema, self.name)


class ForeignKeyNamer(Protocol):
    """How a database names the foreign keys a script leaves unnamed, so the state knows
    the names a later script (or a dialect working around a server's refusal) drops them
    by. A dialect provides one (``Dialect.foreign_key_namer``); the state calls it where
    keys appear and tables are renamed."""

    def created(self, table: TableState) -> None:
        """Name the unnamed keys of a table just created (``CREATE TABLE``)."""

    def added(self, table: TableState, keys: list[ForeignKeyState]) -> None:
        """Name the unnamed ``keys``, added in this order to ``table`` (already in it)."""

    def renamed(self, table: TableState, old_name: str) -> None:
        """Rename the keys whose names the database derives from the table's name."""
