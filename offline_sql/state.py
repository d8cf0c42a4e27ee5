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
import re
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from offline_sql.errors import RenderError
from offline_sql.operations import Origin
from offline_sql.table_state import (
    ColumnState,
    ForeignKeyNamer,
    ForeignKeyState,
    IndexState,
    PrimaryKeyState,
    TableKey,
    TableState,
)
from offline_sql.tablemap import TableMap

if TYPE_CHECKING:
    from offline_sql.operations import Operation


class SchemaState:
    """All tables and database-level objects known at one point of the history.

    Contract used by the renderers (implemented by the replay):

    - ``apply(op)`` changes the state as the operation does (renames follow the object;
      ``BatchAlterTable`` applies its operations in order; ``Execute`` parses DDL with
      sqlglot where it can and marks tables unknown where it cannot).
    - ``get(schema, name)`` returns the ``TableState`` or None.
    - ``require(schema, name, origin)`` returns it or raises a :class:`RenderError` that
      says how to make the table known.
    - ``copy()`` is a deep copy, so a renderer can look at the state before and after.
    - ``enums``: PostgreSQL enum types created by the operations, name -> values; they
      stay until raw ``DROP TYPE`` drops them (dropping their tables or columns does not).

    Operations about tables the state does not know change nothing: the state never
    guesses, and the renderers that need the table ask ``require``.
    """

    def __init__(self, sqlglot_dialect: str = "") -> None:
        self.tables: TableMap = TableMap()
        """In creation order; may hold tables still pickled (see :mod:`offline_sql.tablemap`)."""
        self.enums: dict[tuple[str | None, str], tuple[str, ...]] = {}
        self.sequences: set[tuple[str | None, str]] = set()
        self.sqlglot_dialect = sqlglot_dialect
        """sqlglot's name of the target dialect, for parsing raw SQL from ``op.execute``."""
        self.unparsed: list[tuple[Origin | None, str]] = []
        """Raw SQL statements that named no table mig could find, for warnings."""
        self.foreign_key_namer: ForeignKeyNamer | None = None
        """Names the foreign keys scripts leave unnamed as the database does (MySQL's
        ``<table>_ibfk_<n>``); None: they stay unnamed."""
        self.dropped_later: frozenset[TableKey] = frozenset()
        """While an operation is rendered offline: the tables a later operation of the same
        step drops, with nothing in between that could need what this one drops from them
        (``operations.tables_dropped_later``). Empty online, where the later operations
        are not known yet."""

    def get(self, schema: str | None, name: str) -> TableState | None:
        return self.tables.get((schema, name))

    def find(self, schema: str | None, name: str) -> TableState | None:
        """Like :meth:`get`, falling back to a case-insensitive match (for raw SQL, where
        the database folds unquoted names)."""
        table = self.get(schema, name)
        if table is not None:
            return table
        folded = (schema.casefold() if schema else None, name.casefold())
        # Keys only: reading every table would unpickle a cached state's tables and count
        # each as touched by the step (stored again in its delta).
        for key in self.tables:
            tschema, tname = key
            if (tschema.casefold() if tschema else None, tname.casefold()) == folded:
                return self.tables[key]
        return None

    def copy(self) -> SchemaState:
        return copy.deepcopy(self)

    def apply(self, op: Operation, sqlglot_dialect: str | None = None) -> None:
        """Change the state as ``op`` does. ``sqlglot_dialect`` overrides the dialect
        given to the constructor for raw SQL."""
        from offline_sql.replay import apply

        apply(op, self, sqlglot_dialect or self.sqlglot_dialect)

    # ---- what renderers ask -----------------------------------------------------------

    def require(self, schema: str | None, name: str, origin: Origin | None) -> TableState:
        """The table, or a :class:`RenderError` explaining why the state cannot tell."""
        where = (
            f"revision {origin.revision} ({origin.path}:{origin.line})"
            if origin is not None
            else "this point of the history"
        )
        qualified = f"{schema}.{name}" if schema else name
        table = self.get(schema, name)
        if table is None:
            raise RenderError(
                f"table {qualified} is not known at {where}: it was created outside the "
                "migrations; add the `existing_*` hints to the operation or a baseline "
                "revision that creates it"
            )
        since = table.unknown_since
        if since is not None:
            raise RenderError(
                f"table {qualified} is not known at {where}: raw SQL in revision "
                f"{since.revision} ({since.path}:{since.line}) changed it in a way mig "
                "cannot follow; write that change with op.* calls, or add the `existing_*` "
                "hints to the operation"
            )
        return table

    def column(self, key: TableKey, name: str) -> ColumnState | None:
        """The column ``name`` of table ``key``, or None when either is unknown."""
        table = self.tables.get(key)
        return None if table is None else table.columns.get(name)

    def to_table(self, key: TableKey, metadata: sa.MetaData) -> sa.Table:
        """A ``sa.Table`` in ``metadata`` reproducing the table state (for rebuilds)."""
        from offline_sql.schema_items import table_from_state

        return table_from_state(self.tables[key], metadata)

    # ---- primitives shared by the replay and the raw SQL parser ------------------------

    def add_table(self, table: TableState) -> None:
        self.tables[table.key] = table
        if self.foreign_key_namer is not None:
            self.foreign_key_namer.created(table)

    def add_foreign_keys(self, key: TableKey, keys: list[ForeignKeyState]) -> None:
        """Add foreign keys to an existing table (``ALTER TABLE ... ADD``), in order."""
        table = self.tables.get(key)
        if table is None or not keys:
            return
        table.foreign_keys.extend(keys)
        if self.foreign_key_namer is not None:
            self.foreign_key_namer.added(table, keys)

    def drop_table(self, key: TableKey) -> None:
        """Remove the table. Named enum types stay: as with Alembic, a type is dropped only
        when the script says so (``op.execute("DROP TYPE ...")``, see ``rawsql.py``)."""
        self.tables.pop(key, None)

    def rename_table(self, key: TableKey, new_name: str) -> None:
        """Move the table; foreign keys anywhere that pointed at it follow."""
        table = self.tables.pop(key, None)
        if table is None:
            return
        old_name, table.name = table.name, new_name
        self.tables[table.key] = table
        if self.foreign_key_namer is not None:
            self.foreign_key_namer.renamed(table, old_name)
        for other in self.tables.values():
            for fk in other.foreign_keys:
                if (fk.referent_schema, fk.referent_table) == key:
                    fk.referent_table = new_name

    def add_column(self, key: TableKey, column: ColumnState) -> None:
        table = self.tables.get(key)
        if table is None:
            return
        table.columns[column.name] = column
        if column.primary_key:
            names = table.primary_key.columns if table.primary_key else ()
            name = table.primary_key.name if table.primary_key else None
            if column.name not in names:
                table.primary_key = PrimaryKeyState(name, (*names, column.name))
            column.nullable = False

    def drop_column(self, key: TableKey, name: str) -> None:
        """Remove the column and what the databases drop with it: indexes and
        constraints that include it."""
        table = self.tables.get(key)
        if table is None or name not in table.columns:
            return
        table.columns.pop(name)
        if table.primary_key and name in table.primary_key.columns:
            rest = tuple(c for c in table.primary_key.columns if c != name)
            table.primary_key = PrimaryKeyState(table.primary_key.name, rest) if rest else None
        table.foreign_keys = [fk for fk in table.foreign_keys if name not in fk.columns]
        table.uniques = [u for u in table.uniques if name not in u.columns]
        table.checks = [c for c in table.checks if not _mentions(c.sqltext, name)]
        table.indexes = {n: ix for n, ix in table.indexes.items() if name not in ix.columns}

    def rename_column(self, key: TableKey, old: str, new: str) -> None:
        """Rename keeping the column's place; PK, FKs, uniques, indexes and other tables'
        FKs referencing it follow."""
        table = self.tables.get(key)
        if table is None or old not in table.columns or old == new:
            return

        def swap(names: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(new if n == old else n for n in names)

        table.columns = {(new if n == old else n): c for n, c in table.columns.items()}
        table.columns[new].name = new
        if table.primary_key:
            table.primary_key.columns = swap(table.primary_key.columns)
        for fk in table.foreign_keys:
            fk.columns = swap(fk.columns)
        for unique in table.uniques:
            unique.columns = swap(unique.columns)
        for index in table.indexes.values():
            index.columns = swap(index.columns)
            index.expressions = tuple(new if e == old else e for e in index.expressions)
        for other in self.tables.values():
            for fk in other.foreign_keys:
                if (fk.referent_schema, fk.referent_table) == key:
                    fk.referent_columns = swap(fk.referent_columns)

    def add_index(self, key: TableKey, index: IndexState) -> None:
        table = self.tables.get(key)
        if table is not None:
            table.indexes[index.name] = index

    def drop_index(self, name: str, key: TableKey | None) -> None:
        """Drop the index from ``key``'s table, or from whichever table has it."""
        table = self.tables.get(key) if key is not None else None
        if table is not None and name in table.indexes:
            del table.indexes[name]
            return
        schema = key[0] if key is not None else None
        candidates = [t for t in self.tables.values() if name in t.indexes]
        same_schema = [t for t in candidates if t.schema == schema]
        for found in (same_schema or candidates)[:1]:
            del found.indexes[name]

    def mark_unknown(self, key: TableKey, origin: Origin | None) -> None:
        """Raw SQL changed the table in a way the replay cannot follow."""
        table = self.tables.get(key)
        if table is not None and table.unknown_since is None:
            table.unknown_since = origin or Origin("<unknown>", 0, "<unknown>")

    def note_enum(self, type_: Any) -> None:
        """Remember a named ``sa.Enum`` (first definition wins) under the type's own schema
        (``sa.Enum(..., schema=...)``), where PostgreSQL creates it, not the table's."""
        if isinstance(type_, sa.Enum) and type_.name:
            self.enums.setdefault((type_.schema, str(type_.name)), tuple(type_.enums))


def _mentions(sqltext: str, name: str) -> bool:
    """Whether a CHECK expression names the column (as a bare or quoted identifier)."""
    return re.search(rf"(?<![\w$]){re.escape(name)}(?![\w$])", sqltext) is not None
