"""What raw SQL given to ``op.execute`` does to the schema state, read with sqlglot.

DDL the parser understands (CREATE/DROP TABLE, ALTER TABLE ADD/DROP/RENAME/ALTER/MODIFY
COLUMN, RENAME TO, CREATE/DROP INDEX, COMMENT ON) updates the state; data statements
change nothing. Whatever else touches tables we know (other ALTER TABLE forms,
statements sqlglot cannot parse) marks those tables ``unknown_since`` the operation, so
a renderer that needs them refuses with a clear message instead of restating a column
wrongly. SQL that names no known table is kept in ``SchemaState.unparsed`` for warnings.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from offline_sql.operations import Execute, Origin
from offline_sql.schema_items import RawType
from offline_sql.table_state import (
    CheckState,
    ColumnState,
    ForeignKeyState,
    IndexState,
    PrimaryKeyState,
    TableKey,
    TableState,
    UniqueState,
)

_T = exp.DataType.Type

_SIMPLE_TYPES: dict[Any, Callable[[], sa.types.TypeEngine[Any]]] = {
    _T.INT: sa.Integer,
    _T.MEDIUMINT: sa.Integer,
    _T.SERIAL: sa.Integer,
    _T.BIGINT: sa.BigInteger,
    _T.BIGSERIAL: sa.BigInteger,
    _T.SMALLINT: sa.SmallInteger,
    _T.SMALLSERIAL: sa.SmallInteger,
    _T.TINYINT: sa.SmallInteger,
    _T.TEXT: sa.Text,
    _T.MEDIUMTEXT: sa.Text,
    _T.LONGTEXT: sa.Text,
    _T.BOOLEAN: sa.Boolean,
    _T.DATE: sa.Date,
    _T.DATETIME: sa.DateTime,
    _T.TIMESTAMP: sa.DateTime,
    _T.TIMESTAMPTZ: lambda: sa.DateTime(timezone=True),
    _T.TIME: sa.Time,
    _T.FLOAT: sa.Float,
    _T.DOUBLE: sa.Double,
    _T.JSON: sa.JSON,
    _T.JSONB: sa.JSON,
    _T.UUID: sa.Uuid,
    _T.BLOB: sa.LargeBinary,
    _T.MEDIUMBLOB: sa.LargeBinary,
    _T.LONGBLOB: sa.LargeBinary,
    _T.VARBINARY: sa.LargeBinary,
    _T.INTERVAL: sa.Interval,
}

_SIZED_TYPES: dict[Any, Callable[..., sa.types.TypeEngine[Any]]] = {
    _T.VARCHAR: sa.String,
    _T.NVARCHAR: sa.Unicode,
    _T.CHAR: sa.CHAR,
    _T.NCHAR: sa.NCHAR,
    _T.DECIMAL: sa.Numeric,
}

_SERIAL = {_T.SERIAL, _T.BIGSERIAL, _T.SMALLSERIAL}

_NO_SCHEMA_CHANGE: tuple[type[exp.Expression], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Select,
    exp.SetOperation,
    exp.Merge,
    exp.TruncateTable,
    exp.Grant,
    exp.Set,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Use,
)
"""Statements that read or write data or session settings, never table structure."""

_UNCHANGING_CREATES = {"VIEW", "FUNCTION", "PROCEDURE", "SEQUENCE", "SCHEMA", "TRIGGER", "TYPE"}

if TYPE_CHECKING:
    from offline_sql.state import SchemaState


def apply_execute(op: Execute, state: SchemaState, dialect: str) -> None:
    """Update ``state`` for the raw SQL in ``op`` (SQLAlchemy DML constructs change nothing)."""
    text = op.raw_text
    if text is None or not text.strip():
        return
    try:
        with _quiet_sqlglot():
            statements = sqlglot.parse(text, read=dialect or None)
    except (ParseError, TokenError):
        _cannot_follow(state, text, op.origin)
        return
    for statement in statements:
        if isinstance(statement, exp.Expression):
            _apply_statement(statement, state, op.origin, dialect)


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning when it falls back to a bare Command; we handle that."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


# ---- statements ---------------------------------------------------------------------------


def _apply_statement(
    statement: exp.Expression, state: SchemaState, origin: Origin | None, dialect: str
) -> None:
    if isinstance(statement, _NO_SCHEMA_CHANGE):
        return
    handler = _HANDLERS.get(type(statement))
    if handler is not None and handler(statement, state, origin, dialect):
        return
    _mark_mentioned(statement, state, origin, dialect)


def _mark_mentioned(
    statement: exp.Expression, state: SchemaState, origin: Origin | None, dialect: str
) -> None:
    """Mark every known table the statement names; remember it if it names none."""
    found = False
    for table in statement.find_all(exp.Table):
        known = state.find(table.db or None, table.name)
        if known is not None:
            state.mark_unknown(known.key, origin)
            found = True
    if not found:
        _cannot_follow(state, statement.sql(dialect=dialect or None), origin)


def _cannot_follow(state: SchemaState, text: str, origin: Origin | None) -> None:
    """Unparsable text: mark known tables whose names appear in it as words."""
    found = False
    for table in list(state.tables.values()):
        if re.search(rf"(?<![\w$]){re.escape(table.name)}(?![\w$])", text, re.IGNORECASE):
            state.mark_unknown(table.key, origin)
            found = True
    if not found:
        state.unparsed.append((origin, text))


def _key(table: exp.Table) -> tuple[str | None, str]:
    return (table.db or None, table.name)


def _known(state: SchemaState, table: exp.Table) -> TableState | None:
    schema, name = _key(table)
    return state.find(schema, name)


Handler = Callable[[Any, "SchemaState", "Origin | None", str], bool]
"""Returns True when the statement was fully understood."""


def _create(statement: exp.Create, state: SchemaState, origin: Origin | None, d: str) -> bool:
    kind = str(statement.args.get("kind") or "").upper()
    if kind == "TYPE":
        _create_enum_type(statement, state)
        return True
    if kind in _UNCHANGING_CREATES:
        return True
    if kind == "INDEX":
        return _create_index(statement, state, d)
    if kind != "TABLE":
        return False
    target = statement.this
    if isinstance(target, exp.Schema) and isinstance(target.this, exp.Table):
        table, understood = _table_from_schema(target, d)
        if not understood:
            table.unknown_since = origin
        if statement.args.get("exists") and state.find(table.schema, table.name):
            return True
        state.add_table(table)
        return True
    if isinstance(target, exp.Table):
        # CREATE TABLE ... AS SELECT / LIKE: exists, columns unknown.
        schema, name = _key(target)
        table = TableState(name=name, schema=schema, unknown_since=origin)
        state.add_table(table)
        return True
    return False


def _table_from_schema(schema_node: exp.Schema, d: str) -> tuple[TableState, bool]:
    """The table, and whether every column definition was understood."""
    schema, name = _key(schema_node.this)
    table = TableState(name=name, schema=schema)
    pk_columns: list[str] = []
    pk_name: str | None = None
    understood = True
    for item in schema_node.expressions:
        if isinstance(item, exp.ColumnDef):
            column, extras, known = _column(item, d)
            understood = understood and known
            table.columns[column.name] = column
            if column.primary_key:
                pk_columns.append(column.name)
            table.uniques.extend(extras)
        else:
            name_, primary = _table_constraint(item, table, d)
            if primary:
                pk_name = name_ or pk_name
                pk_columns.extend(c for c in primary if c not in pk_columns)
    if pk_columns:
        table.primary_key = PrimaryKeyState(pk_name, tuple(pk_columns))
        for column_name in pk_columns:
            if column_name in table.columns:
                table.columns[column_name].primary_key = True
                table.columns[column_name].nullable = False
    return table, understood


def _names(nodes: list[Any]) -> tuple[str, ...]:
    names: list[str] = []
    for node in nodes:
        inner = node.this if isinstance(node, exp.Ordered) else node
        names.append(inner.name)
    return tuple(names)


def _table_constraint(
    item: exp.Expression, table: TableState, d: str
) -> tuple[str | None, tuple[str, ...]]:
    """Record a table-level constraint; returns (name, pk columns) for a primary key."""
    name: str | None = None
    parts: list[exp.Expression] = [item]
    if isinstance(item, exp.Constraint):
        name = item.this.name
        parts = list(item.expressions)
    primary: tuple[str, ...] = ()
    for part in parts:
        if isinstance(part, exp.PrimaryKey):
            primary = _names(part.expressions)
        elif isinstance(part, exp.UniqueColumnConstraint):
            columns = part.this.expressions if isinstance(part.this, exp.Schema) else []
            table.uniques.append(UniqueState(name, _names(columns)))
        elif isinstance(part, exp.CheckColumnConstraint):
            table.checks.append(CheckState(name, part.this.sql(dialect=d or None)))
        elif isinstance(part, exp.ForeignKey):
            table.foreign_keys.append(_foreign_key(name, part))
    return name, primary


def _foreign_key(name: str | None, node: exp.ForeignKey) -> ForeignKeyState:
    reference = node.args.get("reference")
    target = reference.this if reference is not None else None
    options = " ".join(str(o) for o in (reference.args.get("options") or [])) if reference else ""
    ref_table = target.this if isinstance(target, exp.Schema) else target
    ondelete = re.search(r"ON DELETE (SET NULL|SET DEFAULT|NO ACTION|\w+)", options, re.I)
    onupdate = re.search(r"ON UPDATE (SET NULL|SET DEFAULT|NO ACTION|\w+)", options, re.I)
    return ForeignKeyState(
        name=name,
        columns=_names(node.expressions),
        referent_schema=(ref_table.db or None) if isinstance(ref_table, exp.Table) else None,
        referent_table=ref_table.name if ref_table is not None else "",
        referent_columns=_names(target.expressions) if isinstance(target, exp.Schema) else (),
        ondelete=ondelete.group(1).upper() if ondelete else None,
        onupdate=onupdate.group(1).upper() if onupdate else None,
    )


def _column(node: exp.ColumnDef, d: str) -> tuple[ColumnState, list[UniqueState], bool]:
    """A column definition, the unique constraints declared on it, and whether every part
    of it was understood. A part the state cannot hold (``COLLATE``, ``CHARACTER SET``,
    ``ON UPDATE``, an inline ``REFERENCES`` or ``CHECK`` ...) must hide the table: a
    MySQL ``MODIFY`` or a SQLite rebuild written from the state would silently drop it."""
    kind = node.args.get("kind")
    column = ColumnState(name=node.name, type=_type(kind, d) if kind else sa.types.NullType())
    if isinstance(kind, exp.DataType) and kind.this in _SERIAL:
        column.autoincrement = True
        column.nullable = False
    uniques: list[UniqueState] = []
    understood = True
    for constraint in node.args.get("constraints") or []:
        spec = constraint.args.get("kind")
        if isinstance(spec, exp.NotNullColumnConstraint):
            column.nullable = bool(spec.args.get("allow_null"))
        elif isinstance(spec, exp.PrimaryKeyColumnConstraint):
            column.primary_key = True
            column.nullable = False
        elif isinstance(spec, exp.DefaultColumnConstraint):
            column.server_default = sa.text(spec.this.sql(dialect=d or None))
        elif isinstance(
            spec, (exp.AutoIncrementColumnConstraint, exp.GeneratedAsIdentityColumnConstraint)
        ):
            column.autoincrement = True
        elif isinstance(spec, exp.UniqueColumnConstraint):
            uniques.append(UniqueState(None, (column.name,)))
        elif isinstance(spec, exp.CommentColumnConstraint):
            column.comment = spec.this.name
        elif isinstance(spec, exp.ComputedColumnConstraint):
            column.computed = sa.Computed(
                sa.text(spec.this.sql(dialect=d or None)), persisted=spec.args.get("persisted")
            )
        else:
            understood = False
    return column, uniques, understood


def _type(node: exp.DataType, d: str) -> sa.types.TypeEngine[Any]:
    simple = _SIMPLE_TYPES.get(node.this)
    params = [p.this for p in node.expressions if isinstance(p, exp.DataTypeParam)]
    numbers = [int(p.this) for p in params if isinstance(p, exp.Literal) and not p.is_string]
    if simple is not None and not params:
        return simple()
    sized = _SIZED_TYPES.get(node.this)
    if sized is not None and len(numbers) == len(params):
        return sized(*numbers)
    return RawType(node.sql(dialect=d or None))


def _create_index(statement: exp.Create, state: SchemaState, d: str) -> bool:
    index = statement.this
    if not isinstance(index, exp.Index) or not isinstance(index.args.get("table"), exp.Table):
        return False
    table = _known(state, index.args["table"])
    if table is None:
        return True
    params = index.args.get("params")
    elements = list(params.args.get("columns") or []) if params is not None else []
    columns: list[str] = []
    expressions: list[Any] = []
    for element in elements:
        inner = element.this if isinstance(element, exp.Ordered) else element
        if isinstance(inner, exp.Column):
            columns.append(inner.name)
            expressions.append(inner.name)
        else:
            text = inner.sql(dialect=d or None)
            columns.append(text)
            expressions.append(sa.text(text))
    state.add_index(
        table.key,
        IndexState(
            name=index.name,
            columns=tuple(columns),
            unique=bool(statement.args.get("unique")),
            expressions=tuple(expressions),
        ),
    )
    return True


def _drop(statement: exp.Drop, state: SchemaState, origin: Origin | None, d: str) -> bool:
    kind = str(statement.args.get("kind") or "").upper()
    targets = [t for t in statement.args.get("tables") or [] if isinstance(t, exp.Table)]
    if kind == "TABLE":
        for target in targets:
            known = _known(state, target)
            if known is not None:
                state.drop_table(known.key)
        return True
    if kind == "TYPE":
        for target in targets:
            _drop_enum_type(target, state, origin, cascade=bool(statement.args.get("cascade")))
        return True
    if kind == "INDEX":
        cluster = statement.args.get("cluster")
        on = cluster.this if isinstance(cluster, exp.OnProperty) else None
        known = _known(state, on) if isinstance(on, exp.Table) else None
        for target in targets:
            key: TableKey | None = known.key if known else (target.db or None, "")
            state.drop_index(target.name, key)
        return True
    return kind in _UNCHANGING_CREATES


def _enum_type_key(state: SchemaState, target: exp.Table) -> tuple[str | None, str] | None:
    """The key of the enum type the state knows under ``target``'s name (unquoted names
    fold, as the database folds them), or None."""
    schema, name = _key(target)
    if (schema, name) in state.enums:
        return (schema, name)
    quoted = isinstance(target.this, exp.Identifier) and target.this.quoted
    if quoted:
        return None
    folded = (schema.casefold() if schema else None, name.casefold())
    for key in state.enums:
        if (key[0].casefold() if key[0] else None, key[1].casefold()) == folded:
            return key
    return None


def _create_enum_type(statement: exp.Create, state: SchemaState) -> None:
    """``CREATE TYPE name AS ENUM (...)``: a later table using a ``sa.Enum`` of that name
    finds the type there and does not create it again."""
    target, body = statement.this, statement.args.get("expression")
    if not isinstance(target, exp.Table) or not isinstance(body, exp.DataType):
        return
    if body.this != exp.DataType.Type.ENUM or _enum_type_key(state, target) is not None:
        return
    labels = tuple(e.name for e in body.expressions if isinstance(e, exp.Literal))
    state.enums[_key(target)] = labels


def _drop_enum_type(
    target: exp.Table, state: SchemaState, origin: Origin | None, *, cascade: bool
) -> None:
    """``DROP TYPE``: the type is gone (a later table using it creates it again); with
    CASCADE the columns using it went too, which the replay does not follow."""
    key = _enum_type_key(state, target)
    if key is None:
        return
    del state.enums[key]
    if not cascade:
        return
    for table in list(state.tables.values()):
        for column in table.columns.values():
            type_ = column.type
            if isinstance(type_, sa.Enum) and (type_.schema, str(type_.name)) == key:
                state.mark_unknown(table.key, origin)


def _comment(statement: exp.Comment, state: SchemaState, origin: Origin | None, d: str) -> bool:
    kind = str(statement.args.get("kind") or "").upper()
    text = statement.expression
    value = text.name if isinstance(text, exp.Literal) and text.is_string else None
    target = statement.this
    if kind == "TABLE" and isinstance(target, exp.Table):
        table = _known(state, target)
        if table is not None:
            table.comment = value
        return True
    if kind == "COLUMN" and isinstance(target, exp.Column):
        table = state.find((target.args.get("db") and target.db) or None, target.table)
        if table is not None and target.name in table.columns:
            table.columns[target.name].comment = value
        return True
    return False


def _alter(statement: exp.Alter, state: SchemaState, origin: Origin | None, d: str) -> bool:
    if str(statement.args.get("kind") or "").upper() != "TABLE":
        return False
    target = statement.this
    table = _known(state, target) if isinstance(target, exp.Table) else None
    if table is None:
        return True
    for action in statement.args.get("actions") or []:
        if not _alter_action(action, table, state, d):
            state.mark_unknown(table.key, origin)
            return True
    return True


def _alter_action(action: Any, table: TableState, state: SchemaState, d: str) -> bool:
    """Apply one ALTER TABLE action; False when it is not understood."""
    if isinstance(action, exp.ColumnDef):
        column, uniques, understood = _column(action, d)
        state.add_column(table.key, column)
        table.uniques.extend(uniques)
        return understood
    if isinstance(action, exp.Drop) and str(action.args.get("kind")).upper() == "COLUMN":
        for dropped in action.args.get("tables") or []:
            state.drop_column(table.key, dropped.name)
        return True
    if isinstance(action, exp.RenameColumn):
        state.rename_column(table.key, action.this.name, action.args["to"].name)
        return True
    if isinstance(action, exp.AlterRename):
        state.rename_table(table.key, action.this.name)
        return True
    if isinstance(action, exp.ModifyColumn) and isinstance(action.this, exp.ColumnDef):
        column, _, understood = _column(action.this, d)
        old = table.columns.get(column.name)
        if old is None:
            return False
        column.primary_key = old.primary_key
        column.nullable = column.nullable and not old.primary_key
        table.columns[column.name] = column
        return understood
    if isinstance(action, exp.AlterColumn):
        return _alter_column(action, table, d)
    if isinstance(action, exp.AddConstraint):
        for constraint in action.expressions:
            _, primary = _table_constraint(constraint, table, d)
            if primary:
                return False
        return True
    return False


def _alter_column(action: exp.AlterColumn, table: TableState, d: str) -> bool:
    column = table.columns.get(action.this.name)
    if column is None:
        return False
    args = action.args
    understood = False
    if args.get("allow_null") is not None:
        column.nullable = bool(args["allow_null"])
        understood = True
    if isinstance(args.get("dtype"), exp.DataType):
        column.type = _type(args["dtype"], d)
        understood = True
    if args.get("drop"):
        column.server_default = None
        understood = True
    if isinstance(args.get("default"), exp.Expression):
        column.server_default = sa.text(args["default"].sql(dialect=d or None))
        understood = True
    return understood


_HANDLERS: dict[type[exp.Expression], Handler] = {
    exp.Create: _create,
    exp.Drop: _drop,
    exp.Alter: _alter,
    exp.Comment: _comment,
}
