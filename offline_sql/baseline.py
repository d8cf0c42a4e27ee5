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
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect as SADialect

from offline_sql.config import BASELINE_FILE as BASELINE_FILE
from offline_sql.errors import ConfigError, UsageError
from offline_sql.schema_items import RawType, type_sql
from offline_sql.state import SchemaState
from offline_sql.table_state import (
    CheckState,
    ColumnState,
    ForeignKeyState,
    IndexState,
    PrimaryKeyState,
    TableState,
    UniqueState,
)

if TYPE_CHECKING:
    pass

FORMAT = "mig-baseline"
VERSION = 1


# ---- writing --------------------------------------------------------------------------------


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
    from offline_sql.dialect_api.registry import get_dialect

    sa_dialect = get_dialect(document["dialect"]).sa_dialect()
    state = SchemaState()
    for entry in document["tables"]:
        state.add_table(_table(entry, sa_dialect))
    for enum in document.get("enums", []):
        state.enums[(enum["schema"], enum["name"])] = tuple(enum["values"])
    return state


def _type_packages() -> tuple[str, ...]:
    """The ``sqlalchemy.dialects`` packages a recorded type may name, one per dialect's
    :attr:`~offline_sql.dialect_api.base.Dialect.sqlalchemy_package` (MariaDB shares MySQL's)."""
    from offline_sql.dialect_api.registry import NAMES, get_dialect

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
