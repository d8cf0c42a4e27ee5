"""Compare two databases by reflection: did the offline script and online mode build the same?

:func:`snapshot` describes a database as plain JSON-able data; :func:`diff` lists the
differences in words. Both databases are expected to be of the same kind (two PostgreSQL
databases, two SQLite files ...), so types and defaults are compared as that database
reports them, after these normalizations (each one a thing that legitimately differs
between two equivalent databases, or a reporting quirk):

N1  Names the database generated are dropped (``None``): PostgreSQL ``<table>_pkey``,
    ``<table>_<cols>_fkey/_key/_check/_excl`` (with a numeric suffix on collisions), MySQL
    ``<table>_ibfk_<n>`` / ``<table>_chk_<n>`` / ``PRIMARY``, MariaDB ``CONSTRAINT_<n>`` and
    a unique index named after its first column (``email``, ``email_2``), SQLite
    ``sqlite_autoindex_*``. The numbering depends on creation order, which a SQLite table
    rebuild or a different operation order changes without changing the schema.
N2  SQL text (defaults, check constraints, index expressions): whitespace collapsed,
    keywords and identifiers lower-cased and MySQL backquotes dropped outside quoted
    literals, redundant outer parentheses removed. ``now()`` and ``NOW()``, ``(x > 0)``
    and ``x > 0`` are one thing.
N3  Types: compiled with the database's own SQLAlchemy dialect, whitespace collapsed,
    upper-cased; lengths, precision and scale are kept.
N4  Foreign key actions: upper-cased; ``NO ACTION`` (the default) equals absent.
N5  Unordered things are keyed, not listed: constraints by their columns, indexes by name
    (or by columns when the name was generated), so creation order does not matter.
    Column order is kept (``column_order``): it is visible to ``SELECT *``.
N6  Indexes that only implement a unique constraint (SQLAlchemy's
    ``duplicates_constraint``) are reported once, as the constraint.
N7  The default schema is ``None`` wherever a referred schema is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

Snapshot = dict[str, Any]

GENERATED_NAME_PATTERNS: tuple[str, ...] = (
    r"{table}_pkey\d*",
    r"{table}_.+_(?:fkey|key|check|excl)\d*",
    r"{table}_ibfk_\d+",
    r"{table}_chk_\d+",
    r"CONSTRAINT_\d+",
    r"PRIMARY",
    r"sqlite_autoindex_.*",
)
"""N1: names the database invents; ``{table}`` is the escaped table name."""


def is_generated_name(name: str | None, table: str, columns: Sequence[str] = ()) -> bool:
    """Whether ``name`` is one the database generated rather than one a script chose (N1)."""
    if name is None:
        return True
    escaped = re.escape(table)
    for pattern in GENERATED_NAME_PATTERNS:
        if re.fullmatch(pattern.format(table=escaped), name):
            return True
    # MariaDB/MySQL name an unnamed unique key (and a column CHECK) after the first column.
    return bool(columns) and re.fullmatch(rf"{re.escape(columns[0])}(?:_\d+)?", name) is not None


def _name(name: str | None, table: str, columns: Sequence[str] = ()) -> str | None:
    return None if is_generated_name(name, table, columns) else name


def normalize_sql(text: str | None) -> str | None:
    """N2: one spelling for equivalent SQL fragments."""
    if text is None:
        return None
    parts = re.split(r"('(?:[^']|'')*')", str(text))
    out = []
    for index, part in enumerate(parts):
        if index % 2:  # a quoted literal: byte for byte
            out.append(part)
        else:
            out.append(re.sub(r"\s+", " ", part.lower().replace("`", "")))
    result = "".join(out).strip()
    result = re.sub(r"\(\s+", "(", result)
    result = re.sub(r"\s+\)", ")", result)
    while _wrapped(result):
        result = result[1:-1].strip()
    return result


def _wrapped(text: str) -> bool:
    """True when one pair of parentheses encloses the whole text (outside literals)."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    quoted = False
    for index, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth == 0 and index != len(text) - 1:
                return False
    return depth == 0


def normalize_type(type_: sa.types.TypeEngine[Any], dialect: sa.engine.Dialect) -> str:
    """N3: the type as the database's dialect spells it."""
    try:
        text = type_.compile(dialect=dialect)
    except sa.exc.CompileError:
        text = repr(type_)
    return re.sub(r"\s+", " ", text).strip().upper()


def _action(value: Any) -> str | None:
    """N4."""
    if value is None:
        return None
    text = str(value).upper()
    return None if text == "NO ACTION" else text


def _cols(columns: Iterable[Any]) -> list[str]:
    return [str(c) for c in columns]


def _key(columns: Sequence[str]) -> str:
    return "(" + ", ".join(columns) + ")"


def _column(col: dict[str, Any], dialect: sa.engine.Dialect) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": normalize_type(col["type"], dialect),
        "nullable": bool(col["nullable"]),
        "default": normalize_sql(col.get("default")),
        "comment": col.get("comment"),
    }
    if "autoincrement" in col:
        out["autoincrement"] = col["autoincrement"]
    if col.get("identity"):
        out["identity"] = {k: col["identity"][k] for k in sorted(col["identity"])}
    if col.get("computed"):
        computed = col["computed"]
        out["computed"] = {
            "sqltext": normalize_sql(computed.get("sqltext")),
            "persisted": computed.get("persisted"),
        }
    return out


def _table(
    inspector: sa.engine.Inspector, name: str, schema: str | None, default_schema: str | None
) -> dict[str, Any]:
    dialect = inspector.dialect
    columns = inspector.get_columns(name, schema=schema)
    pk = inspector.get_pk_constraint(name, schema=schema)
    pk_cols = _cols(pk.get("constrained_columns") or [])
    table: dict[str, Any] = {
        "column_order": [c["name"] for c in columns],
        "columns": {c["name"]: _column(dict(c), dialect) for c in columns},
        "primary_key": {"name": _name(pk.get("name"), name), "columns": pk_cols}
        if pk_cols
        else None,
        "foreign_keys": _foreign_keys(inspector, name, schema, default_schema),
        "unique_constraints": {},
        "check_constraints": {},
        "indexes": {},
        "comment": _optional(inspector.get_table_comment, name, schema).get("text"),
    }
    for uq in _optional_list(inspector.get_unique_constraints, name, schema):
        cols = _cols(uq["column_names"])
        table["unique_constraints"][_key(cols)] = {"name": _name(uq.get("name"), name, cols)}
    column_names = set(table["column_order"])
    for ck in _check_constraints(inspector, name, schema):
        text = normalize_sql(ck["sqltext"]) or ""
        ck_name = ck.get("name")
        # MariaDB names a column-level CHECK after its column (N1).
        generated = ck_name in column_names or is_generated_name(ck_name, name)
        table["check_constraints"][text] = {"name": None if generated else ck_name}
    for ix in _optional_list(inspector.get_indexes, name, schema, include_auto_indexes=True):
        _add_index(table, name, ix, pk_cols)
    return table


def _add_index(table: dict[str, Any], name: str, ix: dict[str, Any], pk: list[str]) -> None:
    """N6: an index that only implements a constraint is reported as that constraint.

    SQLite reflects an inline ``UNIQUE`` only as an automatic index, and a table-level one
    as both; MySQL lists a unique key as both a constraint and an index."""
    expressions = ix.get("expressions")
    cols = [
        str(c) if c is not None else str(normalize_sql(e))
        for c, e in zip(ix["column_names"], expressions or ix["column_names"], strict=True)
    ]
    ix_name = _name(ix.get("name"), name, cols)
    if ix.get("duplicates_constraint"):
        return
    if ix.get("unique") and ix_name is None and not expressions:
        if cols != pk:
            table["unique_constraints"].setdefault(_key(cols), {"name": None})
        return
    table["indexes"][ix_name or _key(cols)] = {
        "name": ix_name,
        "columns": cols,
        "unique": bool(ix.get("unique")),
    }


def _check_constraints(
    inspector: sa.engine.Inspector, name: str, schema: str | None
) -> list[dict[str, Any]]:
    """Check constraints; MySQL/MariaDB read from information_schema, because SQLAlchemy
    parses only table-level checks out of ``SHOW CREATE TABLE`` and misses column ones."""
    if inspector.dialect.name != "mysql":
        return _optional_list(inspector.get_check_constraints, name, schema)
    query = sa.text(
        "SELECT tc.CONSTRAINT_NAME, cc.CHECK_CLAUSE"
        " FROM information_schema.TABLE_CONSTRAINTS tc"
        " JOIN information_schema.CHECK_CONSTRAINTS cc"
        " ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA"
        " AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME"
        " WHERE tc.CONSTRAINT_TYPE = 'CHECK' AND tc.TABLE_NAME = :t"
        " AND tc.TABLE_SCHEMA = COALESCE(:s, DATABASE())"
    )
    conn = inspector.bind
    assert isinstance(conn, sa.Connection), "snapshot() inspects through a Connection"
    rows = conn.execute(query, {"t": name, "s": schema})
    return [{"name": row[0], "sqltext": row[1]} for row in rows]


def _foreign_keys(
    inspector: sa.engine.Inspector, name: str, schema: str | None, default_schema: str | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fk in inspector.get_foreign_keys(name, schema=schema):
        cols = _cols(fk["constrained_columns"])
        referred_schema = fk.get("referred_schema")
        if referred_schema == default_schema:
            referred_schema = None  # N7
        referred = fk["referred_table"]
        if referred_schema:
            referred = f"{referred_schema}.{referred}"
        ref_cols = _cols(fk["referred_columns"])
        options = fk.get("options") or {}
        out[f"{_key(cols)} -> {referred}{_key(ref_cols)}"] = {
            "name": _name(fk.get("name"), name, cols),
            "ondelete": _action(options.get("ondelete")),
            "onupdate": _action(options.get("onupdate")),
            "deferrable": options.get("deferrable"),
            "initially": options.get("initially"),
        }
    return out


def _optional(method: Any, name: str, schema: str | None) -> dict[str, Any]:
    """A reflection the database may not support (SQLite has no comments)."""
    try:
        return dict(method(name, schema=schema))
    except NotImplementedError:
        return {}


def _optional_list(method: Any, name: str, schema: str | None, **kw: Any) -> list[dict[str, Any]]:
    try:
        return [dict(item) for item in method(name, schema=schema, **kw)]
    except NotImplementedError:
        return []


def _versions(conn: sa.Connection, table: str, schema: str | None) -> list[str] | None:
    if not sa.inspect(conn).has_table(table, schema=schema):
        return None
    version_table = sa.table(table, sa.column("version_num"), schema=schema)
    query = sa.select(version_table.c.version_num).order_by(version_table.c.version_num)
    return [str(row[0]) for row in conn.execute(query)]


def snapshot(
    engine: Engine,
    *,
    exclude: Iterable[str] = (),
    schema: str | None = None,
    version_table: str = "mig_version",
) -> Snapshot:
    """A normalized description of one schema of the database behind ``engine``.

    ``exclude`` names tables to leave out. ``versions`` holds the version table's rows
    (sorted), None when it does not exist; the version table is also described as a table.
    """
    skip = set(exclude)
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        default_schema = inspector.default_schema_name
        names = sorted(n for n in inspector.get_table_names(schema=schema) if n not in skip)
        result: Snapshot = {
            "tables": {n: _table(inspector, n, schema, default_schema) for n in names},
            "views": sorted(n for n in inspector.get_view_names(schema=schema) if n not in skip),
            "sequences": sorted(_optional_names(inspector.get_sequence_names, schema)),
            "enums": _enums(inspector, schema),
            "versions": _versions(conn, version_table, schema),
        }
    return result


def _optional_names(method: Any, schema: str | None) -> list[str]:
    try:
        return [str(n) for n in method(schema=schema)]
    except NotImplementedError:
        return []


def _enums(inspector: sa.engine.Inspector, schema: str | None) -> dict[str, list[str]]:
    """Named enum types (PostgreSQL); other databases have none to report."""
    get_enums = getattr(inspector, "get_enums", None)
    if get_enums is None:
        return {}
    return {e["name"]: list(e["labels"]) for e in get_enums(schema=schema or "public")}


# ---- differences --------------------------------------------------------------------------


def diff(a: Snapshot, b: Snapshot, *, labels: tuple[str, str] = ("first", "second")) -> list[str]:
    """Readable differences between two snapshots; empty when they are equivalent."""
    out: list[str] = []
    _diff(a, b, [], out, labels)
    return out


def _path(parts: Sequence[str]) -> str:
    return " / ".join(parts) if parts else "(root)"


_SINGULAR = {
    "tables": "table",
    "columns": "column",
    "foreign_keys": "foreign key",
    "unique_constraints": "unique constraint",
    "check_constraints": "check",
    "indexes": "index",
    "enums": "enum",
}
"""Keyed collections named in the singular in messages (``table users / column id``)."""


def _diff(a: Any, b: Any, path: list[str], out: list[str], labels: tuple[str, str]) -> None:
    if not (isinstance(a, dict) and isinstance(b, dict)):
        if a != b:
            out.append(f"{_path(path)}: {a!r} ({labels[0]}) != {b!r} ({labels[1]})")
        return
    collection = _SINGULAR.get(path[-1]) if path else None
    for key in [*a, *(k for k in b if k not in a)]:
        # "tables / users" reads better as "table users".
        child = [*path[:-1], f"{collection} {key}"] if collection else [*path, str(key)]
        if key not in b:
            out.append(f"{_path(child)}: only in {labels[0]}")
        elif key not in a:
            out.append(f"{_path(child)}: only in {labels[1]}")
        else:
            _diff(a[key], b[key], child, out, labels)
