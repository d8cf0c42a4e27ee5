"""Baselines: the schema a project starts from when its database existed before mig.

``mig baseline`` records that starting schema once, in ``<script_location>/baseline.json``,
from a live database (SQLAlchemy reflection through the configured URL) or from the
models (``target_metadata``). The replay then starts from it instead of an empty schema,
so renderers and autogenerate know tables no migration created.

Format (version 1), written with sorted keys, two-space indent, UTF-8, one final newline,
so the same schema always gives the same bytes::

    {
      "format": "mig-baseline",
      "version": 1,
      "dialect": "postgresql",          # the dialect the "compiled" texts are for
      "source": "database" | "models",
      "tables": [                        # sorted by (schema or "", name)
        {
          "schema": null, "name": "user", "comment": null,
          "columns": [                   # in table order
            {"name": "id",
             "type": {"sqlalchemy": "sa.Integer()", "compiled": "INTEGER"},
             "nullable": false, "server_default": null | "SQL text",
             "autoincrement": "auto" | true | false, "comment": null,
             "identity": null | {"start": 1, ...}, "computed": null | {"sqltext": "...",
             "persisted": null}}
          ],
          "primary_key": null | {"name": null, "columns": ["id"]},
          "foreign_keys": [{"name", "columns", "referent_schema", "referent_table",
                            "referent_columns", "ondelete", "onupdate", "deferrable",
                            "initially", "match"}],   # sorted by (name or "", columns)
          "uniques": [{"name", "columns", "deferrable", "initially"}],
          "checks": [{"name", "sqltext"}],
          "indexes": [{"name", "unique", "elements": [{"column": "x"} | {"expression": "SQL"}],
                       "kw": {...}}],            # sorted by name
          "kw": {"mysql_engine": "InnoDB", ...}
        }
      ],
      "enums": [{"schema": null, "name": "mood", "values": ["sad", "happy"]}]
    }

``type.sqlalchemy`` is the SQLAlchemy form (the generic type when it compiles to the same
text, else the exact class, e.g. ``postgresql.JSONB(astext_type=sa.Text())``);
``type.compiled`` is what the dialect writes. On load, when the SQLAlchemy form does not
compile to the recorded text any more, the recorded text is used as the type
(:class:`~offline_sql.schema_items.RawType`), so the baseline never silently changes a column.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Dialect as SADialect

from offline_sql.config import BASELINE_FILE as BASELINE_FILE
from offline_sql.errors import ConfigError, DatabaseError, OutputError, UsageError
from offline_sql.schema_items import RawType, default_sql, type_sql
from offline_sql.state import (
    CheckState,
    ColumnState,
    ForeignKeyState,
    IndexState,
    PrimaryKeyState,
    SchemaState,
    TableState,
    UniqueState,
)

if TYPE_CHECKING:
    from offline_sql.config import Config

FORMAT = "mig-baseline"
VERSION = 1

Source = Literal["database", "models"]


# ---- writing --------------------------------------------------------------------------------


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
    from offline_sql.dialects import get_dialect

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
    from offline_sql.online import connect, driver_message, mask

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


# ---- reading --------------------------------------------------------------------------------


def load_baseline(script_location: Path) -> SchemaState | None:
    """The schema recorded in ``<script_location>/baseline.json``, or None without one."""
    path = Path(script_location) / BASELINE_FILE
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable baseline: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ConfigError(f'{path}: not a mig baseline (no "format": "{FORMAT}")')
    if document.get("version") != VERSION:
        raise ConfigError(
            f"{path}: baseline format version {document.get('version')!r} is not supported "
            f"(this mig reads version {VERSION}); upgrade mig"
        )
    try:
        return _state(document)
    except UsageError as exc:  # an unknown "dialect"
        raise ConfigError(f"{path}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: invalid baseline entry: {exc!r}") from None


def _state(document: dict[str, Any]) -> SchemaState:
    from offline_sql.dialects import get_dialect

    sa_dialect = get_dialect(document["dialect"]).sa_dialect()
    state = SchemaState()
    for entry in document["tables"]:
        state.add_table(_table(entry, sa_dialect))
    for enum in document.get("enums", []):
        state.enums[(enum["schema"], enum["name"])] = tuple(enum["values"])
    return state


def _type_packages() -> tuple[str, ...]:
    """The ``sqlalchemy.dialects`` packages a recorded type may name, one per dialect's
    :attr:`~offline_sql.dialects.base.Dialect.sqlalchemy_package` (MariaDB shares MySQL's)."""
    from offline_sql.dialects import NAMES, get_dialect

    return tuple(dict.fromkeys(get_dialect(name).sqlalchemy_package for name in NAMES))


def _type(entry: dict[str, str], sa_dialect: SADialect) -> sa.types.TypeEngine[Any]:
    """The recorded type, or its recorded text when the SQLAlchemy form no longer agrees."""
    import importlib

    namespace: dict[str, Any] = {"sa": sa}
    for package in _type_packages():
        namespace[package] = importlib.import_module(f"sqlalchemy.dialects.{package}")
    found: Any = None
    text = entry["sqlalchemy"]
    if _plain_expression(text):
        try:
            found = eval(text, {"__builtins__": {}}, namespace)
        except Exception:
            found = None
    if isinstance(found, sa.types.TypeEngine) and type_sql(found, sa_dialect) == entry["compiled"]:
        return found
    return RawType(entry["compiled"])


_PLAIN_NODES = (
    ast.Expression,
    ast.Call,
    ast.Attribute,
    ast.Name,
    ast.Constant,
    ast.keyword,
    ast.List,
    ast.Tuple,
    ast.Load,
    ast.UnaryOp,
    ast.USub,
)


def _plain_expression(text: str) -> bool:
    """Whether ``text`` is only calls, names, attributes and literals (what
    :func:`~offline_sql.autogen.pysource.render_type` writes): nothing else is evaluated."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return all(isinstance(node, _PLAIN_NODES) for node in ast.walk(tree)) and not any(
        isinstance(node, ast.Attribute) and node.attr.startswith("_") for node in ast.walk(tree)
    )


def _column(entry: dict[str, Any], sa_dialect: SADialect) -> ColumnState:
    identity = computed = None
    if entry.get("identity") is not None:
        identity = sa.Identity(**entry["identity"])
    if entry.get("computed") is not None:
        computed = sa.Computed(
            sa.text(entry["computed"]["sqltext"]), entry["computed"]["persisted"]
        )
    default = entry.get("server_default")
    return ColumnState(
        name=entry["name"],
        type=_type(entry["type"], sa_dialect),
        nullable=bool(entry["nullable"]),
        server_default=None if default is None else sa.text(default),
        autoincrement=entry.get("autoincrement", "auto"),
        comment=entry.get("comment"),
        identity=identity,
        computed=computed,
    )


def _table(entry: dict[str, Any], sa_dialect: SADialect) -> TableState:
    table = TableState(name=entry["name"], schema=entry["schema"], comment=entry.get("comment"))
    for column in entry["columns"]:
        state = _column(column, sa_dialect)
        table.columns[state.name] = state
    pk = entry.get("primary_key")
    if pk is not None:
        table.primary_key = PrimaryKeyState(pk["name"], tuple(pk["columns"]))
        for name in pk["columns"]:
            table.columns[name].primary_key = True
    table.foreign_keys = [
        ForeignKeyState(
            name=fk["name"],
            columns=tuple(fk["columns"]),
            referent_schema=fk["referent_schema"],
            referent_table=fk["referent_table"],
            referent_columns=tuple(fk["referent_columns"]),
            ondelete=fk.get("ondelete"),
            onupdate=fk.get("onupdate"),
            deferrable=fk.get("deferrable"),
            initially=fk.get("initially"),
            match=fk.get("match"),
        )
        for fk in entry.get("foreign_keys", [])
    ]
    table.uniques = [
        UniqueState(u["name"], tuple(u["columns"]), u.get("deferrable"), u.get("initially"))
        for u in entry.get("uniques", [])
    ]
    table.checks = [CheckState(c["name"], c["sqltext"]) for c in entry.get("checks", [])]
    for index in entry.get("indexes", []):
        elements: list[Any] = [
            e["column"] if "column" in e else sa.text(e["expression"]) for e in index["elements"]
        ]
        table.indexes[index["name"]] = IndexState(
            name=index["name"],
            columns=tuple(
                e["column"] if "column" in e else e["expression"] for e in index["elements"]
            ),
            unique=bool(index["unique"]),
            kw=dict(index.get("kw", {})),
            expressions=tuple(elements),
        )
    table.kw = dict(entry.get("kw", {}))
    return table
