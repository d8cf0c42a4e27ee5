"""``mig baseline``: record the schema a project starts from into ``baseline.json``.

From a live database (SQLAlchemy reflection through the configured URL) or from the models
(``target_metadata``); the format, and how the replay reads it back, are in
:mod:`offline_sql.baseline`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Dialect as SADialect

from offline_sql.baseline import FORMAT, VERSION
from offline_sql.config import BASELINE_FILE
from offline_sql.errors import ConfigError, DatabaseError, OutputError
from offline_sql.schema_items import default_sql, type_sql
from offline_sql.state import SchemaState
from offline_sql.table_state import ColumnState, TableState

if TYPE_CHECKING:
    from offline_sql.config import Config


Source = Literal["database", "models"]


def _type_entry(type_: sa.types.TypeEngine[Any], sa_dialect: SADialect) -> dict[str, str]:
    from offline_sql.autogen.pysource import render_type

    compiled = type_sql(type_, sa_dialect)
    chosen = type_
    try:
        generic = type_.as_generic()
        if type_sql(generic, sa_dialect) == compiled:
            chosen = generic
    except NotImplementedError:
        pass
    return {"sqlalchemy": render_type(chosen, set()), "compiled": compiled}


_IDENTITY = ("always", "on_null", "start", "increment", "minvalue", "maxvalue", "cycle", "cache")


def _column_entry(column: ColumnState, sa_dialect: SADialect) -> dict[str, Any]:
    identity = None
    if column.identity is not None:
        identity = {
            name: getattr(column.identity, name)
            for name in _IDENTITY
            if getattr(column.identity, name, None) is not None
        }
    computed = None
    if column.computed is not None:
        computed = {
            "sqltext": str(column.computed.sqltext),
            "persisted": column.computed.persisted,
        }
    return {
        "name": column.name,
        "type": _type_entry(column.type, sa_dialect),
        "nullable": column.nullable,
        "server_default": default_sql(column.server_default, sa_dialect),
        "autoincrement": column.autoincrement,
        "comment": column.comment,
        "identity": identity,
        "computed": computed,
    }


def _json_kw(kw: dict[str, Any]) -> dict[str, Any]:
    """Dialect keyword arguments that JSON can hold (others are dropped: a baseline
    records the schema, not how to build it)."""
    return {k: v for k, v in sorted(kw.items()) if isinstance(v, (str, int, float, bool))}


def _table_entry(table: TableState, sa_dialect: SADialect) -> dict[str, Any]:
    pk = table.primary_key
    return {
        "schema": table.schema,
        "name": table.name,
        "comment": table.comment,
        "columns": [_column_entry(c, sa_dialect) for c in table.columns.values()],
        "primary_key": None if pk is None else {"name": pk.name, "columns": list(pk.columns)},
        "foreign_keys": sorted(
            (
                {
                    "name": fk.name,
                    "columns": list(fk.columns),
                    "referent_schema": fk.referent_schema,
                    "referent_table": fk.referent_table,
                    "referent_columns": list(fk.referent_columns),
                    "ondelete": fk.ondelete,
                    "onupdate": fk.onupdate,
                    "deferrable": fk.deferrable,
                    "initially": fk.initially,
                    "match": fk.match,
                }
                for fk in table.foreign_keys
            ),
            key=_constraint_order,
        ),
        "uniques": sorted(
            (
                {
                    "name": u.name,
                    "columns": list(u.columns),
                    "deferrable": u.deferrable,
                    "initially": u.initially,
                }
                for u in table.uniques
            ),
            key=_constraint_order,
        ),
        "checks": sorted(
            ({"name": c.name, "sqltext": c.sqltext} for c in table.checks),
            key=lambda c: (c["name"] or "", c["sqltext"]),
        ),
        "indexes": [
            {
                "name": index.name,
                "unique": index.unique,
                "elements": [_element(e) for e in (index.expressions or index.columns)],
                "kw": _json_kw(index.kw),
            }
            for index in (table.indexes[n] for n in sorted(table.indexes))
        ],
        "kw": _json_kw(table.kw),
    }


def _constraint_order(entry: dict[str, Any]) -> tuple[str, list[str]]:
    return (entry["name"] or "", entry["columns"])


def _element(element: Any) -> dict[str, str]:
    from offline_sql.schema_items import sql_text

    if isinstance(element, str):
        return {"column": element}
    if isinstance(element, sa.Column):
        return {"column": element.name}
    return {"expression": sql_text(element)}


def baseline_json(state: SchemaState, dialect_name: str, source: Source) -> str:
    """The baseline file's text for ``state`` (deterministic, see the module docstring)."""
    from offline_sql.dialect_api.registry import get_dialect

    sa_dialect = get_dialect(dialect_name).sa_dialect()
    keys = sorted(state.tables, key=lambda k: (k[0] or "", k[1]))
    document = {
        "format": FORMAT,
        "version": VERSION,
        "dialect": dialect_name,
        "source": source,
        "tables": [_table_entry(state.tables[k], sa_dialect) for k in keys],
        "enums": [
            {"schema": schema, "name": name, "values": list(values)}
            for (schema, name), values in sorted(
                state.enums.items(), key=lambda item: (item[0][0] or "", item[0][1])
            )
        ],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def reflect_state(url: str, schemas: tuple[str | None, ...] = (None,)) -> SchemaState:
    """The schema of a live database, through SQLAlchemy reflection. The connection is
    opened as online mode opens it (URL aliases, driver hints), and a refusal is a
    :class:`DatabaseError` naming the masked URL, never a driver traceback."""
    from offline_sql.autogen.compare import state_from_metadata
    from offline_sql.db_messages import driver_message, mask
    from offline_sql.online import connect

    metadata = sa.MetaData()
    with connect(url) as connection:
        try:
            for schema in schemas:
                metadata.reflect(connection, schema=schema)
        except sa.exc.DBAPIError as exc:
            raise DatabaseError(
                f"cannot read the schema of {mask(url)}: {driver_message(exc)}"
            ) from None
    state = state_from_metadata(metadata)
    for table in state.tables.values():
        for column in table.columns.values():
            if column.autoincrement is True and column.primary_key:
                # Reflection marks the database's own autoincrement mechanism (a sequence
                # default) this way; models and migrations say it with autoincrement.
                column.server_default = None
                column.autoincrement = "auto"
    return state


def write_baseline(config: Config, source: Source) -> Path:
    """Record the starting schema from the database (``config.url``) or the models
    (``target_metadata``) into ``<script_location>/baseline.json``; never overwrites."""
    from offline_sql.script.writer import write_new_file

    path = config.script_location / BASELINE_FILE
    if path.exists():
        raise OutputError(
            f"{path} already exists: a project has one baseline; delete it first to record "
            "a new one"
        )
    if source == "database":
        if not config.url:
            raise ConfigError(
                f"{config.config_file}: no `url` to reflect the database from: set `url`, "
                "export MIG_URL, or use the models as the source"
            )
        state = reflect_state(config.url)
    else:
        from offline_sql.autogen import load_target_metadata, state_from_metadata

        state = state_from_metadata(load_target_metadata(config))
    state.drop_table((config.version_table_schema, config.version_table))
    text = baseline_json(state, config.dialect_name, source)
    try:
        write_new_file(path, text)
    except FileExistsError:
        raise OutputError(f"{path} already exists: delete it first to re-baseline") from None
    return path
