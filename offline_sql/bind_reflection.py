"""Reflection through the offline bind, answered from mig's replayed schema state.

Real histories check what exists before changing it: ``sa.inspect(op.get_bind())``
(``get_table_names``, ``has_table``, ``get_columns``, ``get_indexes`` ...),
``MetaData().reflect(bind=op.get_bind())``, ``Table(..., autoload_with=op.get_bind())``, and
``create(bind, checkfirst=True)``. Offline there is no database, but mig knows exactly what
exists at that point of the history: the state replayed up to the script, plus what the
script recorded so far. Because mig's scripts refuse to run on a database at another
revision, that answer is the database's, deterministically.

:class:`StateDialect` stands in for the SQLAlchemy dialect: its reflection methods read the
state, everything else (names, quoting, type compilers) is the target dialect's. SQLAlchemy's
own :class:`~sqlalchemy.engine.reflection.Inspector` runs on it, so ``reflect_table`` and
``MetaData.reflect`` work unchanged. The answer is the schema *as the migrations declare
it* (the types the scripts gave, the indexes and constraints mig follows), not a catalog
read: a database that reports more (MySQL lists a unique constraint's index among the
indexes) is not imitated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import inspection
from sqlalchemy.engine.reflection import Inspector

from offline_sql.errors import OfflineReadError
from offline_sql.schema_items import default_arg, sql_text

if TYPE_CHECKING:
    from offline_sql.state import SchemaState
    from offline_sql.table_state import TableState

ErrorFactory = Callable[[str], OfflineReadError]


class StateDialect:
    """A SQLAlchemy dialect whose reflection reads a :class:`SchemaState`.

    ``view`` gives the state at the moment of the question (it changes as the script
    records operations); ``error`` builds the one-line error naming the script line."""

    def __init__(self, base: Any, view: Callable[[], SchemaState], error: ErrorFactory) -> None:
        self._base = base
        self._view = view
        self._error = error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)

    def _overrides_default(self, name: str) -> bool:
        return True

    # ---- names --------------------------------------------------------------------------

    def _table(self, name: str, schema: str | None) -> TableState:
        table = self._view().get(schema, name)
        if table is None:
            raise sa.exc.NoSuchTableError(f"{schema}.{name}" if schema else name)
        since = table.unknown_since
        if since is not None:
            raise self._error(
                f"reflecting table {name} (raw SQL in revision {since.revision}, "
                f"{since.path}:{since.line}, changed it in a way mig cannot follow)"
            )
        return table

    def _tables(self, schema: str | None, names: Iterable[str] | None) -> list[TableState]:
        state = self._view()
        wanted = None if names is None else set(names)
        keys = [k for k in state.tables if k[0] == schema and (wanted is None or k[1] in wanted)]
        return [self._table(name, schema) for _, name in keys]

    def get_table_names(self, connection: Any, schema: str | None = None, **kw: Any) -> list[str]:
        return [name for key_schema, name in self._view().tables if key_schema == schema]

    def get_schema_names(self, connection: Any, **kw: Any) -> list[str]:
        schemas = {schema for schema, _ in self._view().tables if schema is not None}
        default = self._base.default_schema_name
        return sorted(schemas | ({default} if default else set()))

    def has_schema(self, connection: Any, schema_name: str, **kw: Any) -> bool:
        return schema_name in self.get_schema_names(connection)

    def has_table(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> bool:
        return self._view().get(schema, table_name) is not None

    def has_multi_table(
        self, connection: Any, table_names: Iterable[str], schema: str | None = None, **kw: Any
    ) -> dict[tuple[str | None, str], bool]:
        return {(schema, name): self.has_table(connection, name, schema) for name in table_names}

    def has_index(
        self,
        connection: Any,
        table_name: str,
        index_name: str,
        schema: str | None = None,
        **kw: Any,
    ) -> bool:
        return index_name in self._table(table_name, schema).indexes

    def has_sequence(
        self, connection: Any, sequence_name: str, schema: str | None = None, **kw: Any
    ) -> bool:
        return (schema, sequence_name) in self._view().sequences

    def get_sequence_names(
        self, connection: Any, schema: str | None = None, **kw: Any
    ) -> list[str]:
        return sorted(name for key_schema, name in self._view().sequences if key_schema == schema)

    def has_type(
        self, connection: Any, type_name: str, schema: str | None = None, **kw: Any
    ) -> bool:
        """PostgreSQL's ``ENUM.create(bind, checkfirst=True)`` asks this."""
        return (schema, type_name) in self._view().enums

    def _load_enums(
        self, connection: Any, schema: str | None = None, **kw: Any
    ) -> list[dict[str, Any]]:
        """What ``PGInspector.get_enums`` returns, from the enum types the state knows."""
        return [
            {"name": name, "schema": key_schema, "visible": key_schema is None, "labels": list(v)}
            for (key_schema, name), v in self._view().enums.items()
            if schema == "*" or key_schema == schema
        ]

    def get_temp_table_names(self, connection: Any, **kw: Any) -> list[str]:
        return []

    def get_temp_view_names(self, connection: Any, **kw: Any) -> list[str]:
        return []

    def get_view_names(self, connection: Any, schema: str | None = None, **kw: Any) -> list[str]:
        raise self._error("reflecting views (mig's replayed schema does not follow views)")

    get_materialized_view_names = get_view_names

    def get_view_definition(self, connection: Any, view_name: str, *a: Any, **kw: Any) -> str:
        raise self._error(f"reflecting view {view_name} (mig does not follow views)")

    # ---- one table ----------------------------------------------------------------------

    def get_columns(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[dict[str, Any]]:
        return reflected_columns(self._table(table_name, schema), self._base)

    def get_pk_constraint(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        return reflected_primary_key(self._table(table_name, schema))

    def get_foreign_keys(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[dict[str, Any]]:
        return reflected_foreign_keys(self._table(table_name, schema))

    def get_indexes(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[dict[str, Any]]:
        return reflected_indexes(self._table(table_name, schema))

    def get_unique_constraints(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[dict[str, Any]]:
        return [
            {"name": u.name, "column_names": list(u.columns)}
            for u in self._table(table_name, schema).uniques
        ]

    def get_check_constraints(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[dict[str, Any]]:
        return [
            {"name": c.name, "sqltext": c.sqltext} for c in self._table(table_name, schema).checks
        ]

    def get_table_comment(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        return {"text": self._table(table_name, schema).comment}

    def get_table_options(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        self._table(table_name, schema)
        return {}

    # ---- many tables (what reflect_table and MetaData.reflect call) ---------------------

    def _multi(
        self, one: Callable[..., Any], schema: str | None, filter_names: Any, kw: dict[str, Any]
    ) -> dict[tuple[str | None, str], Any]:
        kw.pop("unreflectable", None)
        return {
            (schema, table.name): one(None, table.name, schema)
            for table in self._tables(schema, filter_names)
        }

    def get_multi_columns(
        self, connection: Any, schema: str | None = None, filter_names: Any = None, **kw: Any
    ) -> dict[tuple[str | None, str], Any]:
        return self._multi(self.get_columns, schema, filter_names, kw)

    def get_multi_pk_constraint(
        self, connection: Any, schema: str | None = None, filter_names: Any = None, **kw: Any
    ) -> dict[tuple[str | None, str], Any]:
        return self._multi(self.get_pk_constraint, schema, filter_names, kw)

    def get_multi_foreign_keys(
        self, connection: Any, schema: str | None = None, filter_names: Any = None, **kw: Any
    ) -> dict[tuple[str | None, str], Any]:
        return self._multi(self.get_foreign_keys, schema, filter_names, kw)

    def get_multi_indexes(
        self, connection: Any, schema: str | None = None, filter_names: Any = None, **kw: Any
    ) -> dict[tuple[str | None, str], Any]:
        return self._multi(self.get_indexes, schema, filter_names, kw)

    def get_multi_unique_constraints(
        self, connection: Any, schema: str | None = None, filter_names: Any = None, **kw: Any
    ) -> dict[tuple[str | None, str], Any]:
        return self._multi(self.get_unique_constraints, schema, filter_names, kw)

    def get_multi_check_constraints(
        self, connection: Any, schema: str | None = None, filter_names: Any = None, **kw: Any
    ) -> dict[tuple[str | None, str], Any]:
        return self._multi(self.get_check_constraints, schema, filter_names, kw)

    def get_multi_table_comment(
        self, connection: Any, schema: str | None = None, filter_names: Any = None, **kw: Any
    ) -> dict[tuple[str | None, str], Any]:
        return self._multi(self.get_table_comment, schema, filter_names, kw)

    def get_multi_table_options(
        self, connection: Any, schema: str | None = None, filter_names: Any = None, **kw: Any
    ) -> dict[tuple[str | None, str], Any]:
        return self._multi(self.get_table_options, schema, filter_names, kw)


def reflected_columns(table: TableState, sa_dialect: Any) -> list[dict[str, Any]]:
    """The columns as ``Inspector.get_columns`` gives them (types as the scripts gave them)."""
    out = []
    for column in table.columns.values():
        entry: dict[str, Any] = {
            "name": column.name,
            "type": column.type,
            "nullable": column.nullable,
            "default": _default_text(column.server_default),
            "autoincrement": column.autoincrement,
            "comment": column.comment,
        }
        if column.computed is not None:
            entry["computed"] = {
                "sqltext": sql_text(column.computed.sqltext),
                "persisted": column.computed.persisted,
            }
        out.append(entry)
    return out


def _default_text(value: Any) -> str | None:
    """A server default as SQL text (a plain string is a quoted literal), as reflected."""
    value = default_arg(value)
    if value is None:
        return None
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return sql_text(value)


def reflected_primary_key(table: TableState) -> dict[str, Any]:
    key = table.primary_key
    if key is None:
        return {"name": None, "constrained_columns": []}
    return {"name": key.name, "constrained_columns": list(key.columns)}


def reflected_foreign_keys(table: TableState) -> list[dict[str, Any]]:
    out = []
    for fk in table.foreign_keys:
        options = {
            name: value
            for name, value in (
                ("onupdate", fk.onupdate),
                ("ondelete", fk.ondelete),
                ("deferrable", fk.deferrable),
                ("initially", fk.initially),
                ("match", fk.match),
            )
            if value is not None
        }
        out.append(
            {
                "name": fk.name,
                "constrained_columns": list(fk.columns),
                "referred_schema": fk.referent_schema,
                "referred_table": fk.referent_table,
                "referred_columns": list(fk.referent_columns),
                "options": options,
            }
        )
    return out


def reflected_indexes(table: TableState) -> list[dict[str, Any]]:
    out = []
    for index in table.indexes.values():
        plain = [e if isinstance(e, str) else None for e in index.expressions or index.columns]
        entry: dict[str, Any] = {
            "name": index.name,
            "column_names": plain,
            "unique": index.unique,
            "dialect_options": {},
        }
        if None in plain:
            entry["expressions"] = list(index.columns)
        out.append(entry)
    return out


class ReflectionConnection:
    """What SQLAlchemy's Inspector needs of a connection: a dialect and a schema rule."""

    def __init__(self, dialect: StateDialect) -> None:
        self.dialect = dialect
        self.engine = self

    def schema_for_object(self, obj: Any) -> str | None:
        schema: str | None = obj.schema
        return schema

    def connect(self) -> ReflectionConnection:
        return self

    def close(self) -> None:
        return None

    def exec_driver_sql(self, *args: Any, **kw: Any) -> Any:
        raise self.dialect._error("a query through the inspector")

    def execute(self, *args: Any, **kw: Any) -> Any:
        raise self.dialect._error("a query through the inspector")


def state_inspector(dialect: StateDialect) -> Inspector:
    """SQLAlchemy's Inspector (the target dialect's class, e.g. PostgreSQL's with
    ``get_enums``) on a connection whose dialect answers from the state."""
    connection = ReflectionConnection(dialect)
    return Inspector._construct(Inspector._init_connection, connection)  # type: ignore[arg-type]


@inspection._inspects(ReflectionConnection)
def _inspect_reflection_connection(connection: ReflectionConnection) -> Inspector:
    """Reflecting a foreign key's referred table inspects the inspector's own connection."""
    return state_inspector(connection.dialect)
