"""Replaying one operation on a :class:`~offline_sql.state.SchemaState`.

One handler per operation type, ``replay_<facade>``, found through the operation's
declaration (:mod:`offline_sql.operation_specs`; the table at the end of this module). The
state's own module is imported only by type checkers: :mod:`offline_sql.state` imports the
replay, never the other way round. An operation type without a handler is a bug and fails
loudly, naming the function to write. Handlers never guess: an
operation on a table the state does not know changes nothing (the renderers that need
the table say so through ``SchemaState.require``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from offline_sql.operation_specs import missing, part
from offline_sql.operations import (
    UNSET,
    AddColumn,
    AlterColumn,
    BatchAlterTable,
    BulkInsert,
    CreateCheckConstraint,
    CreateExcludeConstraint,
    CreateForeignKey,
    CreateIndex,
    CreatePrimaryKey,
    CreateTable,
    CreateTableComment,
    CreateUniqueConstraint,
    DropColumn,
    DropConstraint,
    DropIndex,
    DropTable,
    DropTableComment,
    Execute,
    Operation,
    RenameTable,
)
from offline_sql.schema_items import (
    added_column,
    added_column_state,
    created_table,
    created_table_state,
    default_arg,
    name_by_convention,
    sql_text,
    type_check_names,
)
from offline_sql.table_state import (
    CheckState,
    ForeignKeyState,
    IndexState,
    PrimaryKeyState,
    TableKey,
    UniqueState,
)

if TYPE_CHECKING:
    from offline_sql.state import SchemaState


def apply(op: Operation, state: SchemaState, sqlglot_dialect: str) -> None:
    """Change ``state`` as ``op`` does."""
    _apply(op, state, sqlglot_dialect)


def _apply(op: Operation, state: SchemaState, dialect: str) -> None:
    replay = _REPLAYS.get(type(op))
    if replay is None:
        raise TypeError(f"no schema-state replay: {missing(type(op), 'replay')}")
    replay(op, state, dialect)


def _key(op: Any) -> TableKey:
    return (op.schema, op.table_name)


# ---- tables -------------------------------------------------------------------------------


def replay_create_table(op: CreateTable, state: SchemaState, dialect: str) -> None:
    if op.if_not_exists and state.get(op.schema, op.table_name) is not None:
        return
    built = created_table(op)
    state.add_table(created_table_state(op))
    _note_column_objects(state, built.columns)


def _note_column_objects(state: SchemaState, columns: Iterable[sa.Column[Any]]) -> None:
    """Database-level objects columns bring along: named enums, sequences."""
    for column in columns:
        state.note_enum(column.type)
        if isinstance(column.default, sa.Sequence):
            state.sequences.add((column.default.schema, column.default.name))


def replay_drop_table(op: DropTable, state: SchemaState, dialect: str) -> None:
    state.drop_table(_key(op))


def replay_rename_table(op: RenameTable, state: SchemaState, dialect: str) -> None:
    state.rename_table(_key(op), op.new_table_name)


def replay_create_table_comment(op: CreateTableComment, state: SchemaState, dialect: str) -> None:
    table = state.get(op.schema, op.table_name)
    if table is not None:
        table.comment = op.comment


def replay_drop_table_comment(op: DropTableComment, state: SchemaState, dialect: str) -> None:
    table = state.get(op.schema, op.table_name)
    if table is not None:
        table.comment = None


# ---- columns ------------------------------------------------------------------------------


def replay_add_column(op: AddColumn, state: SchemaState, dialect: str) -> None:
    existing = state.get(op.schema, op.table_name)
    if existing is None or (op.if_not_exists and op.column.name in existing.columns):
        return
    # The column on a table of its own: SQLAlchemy resolves unique/index/ForeignKey.
    built = added_column(op)
    added = added_column_state(op)
    state.add_column(existing.key, added.columns[op.column.name])
    state.add_foreign_keys(existing.key, added.foreign_keys)
    existing.uniques.extend(added.uniques)
    existing.checks.extend(added.checks)
    existing.indexes.update(added.indexes)
    _note_column_objects(state, built.columns)


def replay_drop_column(op: DropColumn, state: SchemaState, dialect: str) -> None:
    state.drop_column(_key(op), op.column_name)


def replay_alter_column(op: AlterColumn, state: SchemaState, dialect: str) -> None:
    column = state.column(_key(op), op.column_name)
    if column is None:
        return
    if op.nullable is not UNSET:
        column.nullable = bool(op.nullable)
    if op.type_ is not UNSET:
        _replace_type_checks(state, op, column.type)
        column.type = op.type_
        state.note_enum(op.type_)
    if op.server_default is not UNSET:
        _set_server_default(column, op.server_default)
    if op.comment is not UNSET:
        column.comment = op.comment
    if op.autoincrement is not UNSET:
        column.autoincrement = "auto" if op.autoincrement is None else op.autoincrement
    if op.new_column_name is not UNSET:
        state.rename_column(_key(op), op.column_name, op.new_column_name)


def _replace_type_checks(state: SchemaState, op: AlterColumn, old_type: Any) -> None:
    """A type change replaces the CHECK its old type carried with the new type's: table
    CHECKs named like either (a baseline keeps a type's CHECK as a table CHECK) go, and
    the new type brings its own (``dialect_api/base.py`` drops and adds them alike)."""
    table = state.get(op.schema, op.table_name)
    if table is None:
        return
    names = type_check_names(old_type, op.column_name) | type_check_names(op.type_, op.column_name)
    if op.existing_type is not UNSET:
        names |= type_check_names(op.existing_type, op.column_name)
    if names:
        table.checks = [c for c in table.checks if c.name not in names]


def _set_server_default(column: Any, value: Any) -> None:
    """``alter_column(server_default=...)``: an Identity or Computed replaces the plain
    default; None/False drops whatever default there was."""
    column.identity = None
    column.computed = None
    column.server_default = None
    if isinstance(value, sa.Identity):
        column.identity = value
    elif isinstance(value, sa.Computed):
        column.computed = value
    else:
        column.server_default = default_arg(value)


# ---- indexes and constraints --------------------------------------------------------------


def replay_create_index(op: CreateIndex, state: SchemaState, dialect: str) -> None:
    table = state.get(op.schema, op.table_name)
    if table is None:
        return
    name = op.index_name or _default_index_name(op)
    if op.if_not_exists and name in table.indexes:
        return
    index = IndexState(
        name=name,
        columns=tuple(c if isinstance(c, str) else sql_text(c) for c in op.columns),
        unique=op.unique,
        kw=dict(op.kw),
        expressions=tuple(op.columns),
    )
    state.add_index(table.key, index)


def _default_index_name(op: CreateIndex) -> str:
    """SQLAlchemy's default convention ``ix_%(column_0_label)s``."""
    first = op.columns[0] if op.columns else "expr"
    label = first if isinstance(first, str) else "expr"
    return "_".join(p for p in ("ix", op.schema, op.table_name, label) if p)


def replay_drop_index(op: DropIndex, state: SchemaState, dialect: str) -> None:
    state.drop_index(op.index_name, _key(op) if op.table_name else (op.schema, ""))


def replay_create_primary_key(op: CreatePrimaryKey, state: SchemaState, dialect: str) -> None:
    table = state.get(op.schema, op.table_name)
    if table is None:
        return
    table.primary_key = PrimaryKeyState(op.constraint_name, tuple(op.columns))
    for name, column in table.columns.items():
        column.primary_key = name in op.columns
        if column.primary_key:
            column.nullable = False


def replay_create_unique_constraint(
    op: CreateUniqueConstraint, state: SchemaState, dialect: str
) -> None:
    table = state.get(op.schema, op.table_name)
    if table is not None:
        table.uniques.append(
            UniqueState(op.constraint_name, tuple(op.columns), op.deferrable, op.initially)
        )


def replay_create_foreign_key(op: CreateForeignKey, state: SchemaState, dialect: str) -> None:
    table = state.get(op.schema, op.table_name)
    if table is not None:
        state.add_foreign_keys(
            table.key,
            [
                ForeignKeyState(
                    name=op.constraint_name,
                    columns=tuple(op.local_cols),
                    referent_schema=op.referent_schema,
                    referent_table=op.referent_table,
                    referent_columns=tuple(op.remote_cols),
                    ondelete=op.ondelete,
                    onupdate=op.onupdate,
                    deferrable=op.deferrable,
                    initially=op.initially,
                    match=op.match,
                )
            ],
        )


def replay_create_check_constraint(
    op: CreateCheckConstraint, state: SchemaState, dialect: str
) -> None:
    table = state.get(op.schema, op.table_name)
    if table is not None:
        table.checks.append(CheckState(op.constraint_name, sql_text(op.condition)))


def replay_create_exclude_constraint(
    op: CreateExcludeConstraint, state: SchemaState, dialect: str
) -> None:
    table = state.get(op.schema, op.table_name)
    if table is not None and op.constraint_name:
        table.excludes.append(op.constraint_name)


def replay_drop_constraint(op: DropConstraint, state: SchemaState, dialect: str) -> None:
    table = state.get(op.schema, op.table_name)
    if table is None:
        return
    name, kind = op.constraint_name, op.type_
    if kind in (None, "primary") and table.primary_key and table.primary_key.name == name:
        for column in table.primary_key.columns:
            if column in table.columns:
                table.columns[column].primary_key = False
        table.primary_key = None
    if kind in (None, "foreignkey"):
        table.foreign_keys = [fk for fk in table.foreign_keys if fk.name != name]
    if kind in (None, "unique"):
        before = len(table.uniques)
        table.uniques = [u for u in table.uniques if u.name != name]
        index = table.indexes.get(name)
        if len(table.uniques) == before and index is not None and index.unique:
            # A unique index dropped as a constraint (MySQL shows them as one thing).
            del table.indexes[name]
    if kind in (None, "check"):
        table.checks = [c for c in table.checks if c.name != name]
    if kind is None:
        table.excludes = [n for n in table.excludes if n != name]


# ---- data and raw SQL ---------------------------------------------------------------------


def replay_bulk_insert(op: BulkInsert, state: SchemaState, dialect: str) -> None:
    return None


def replay_execute(op: Execute, state: SchemaState, dialect: str) -> None:
    # Imported for raw SQL text only (it reads it with sqlglot, 60-70 ms to import): a
    # SQLAlchemy statement such as ``table.update()``, the data migrations of many real
    # histories, changes no structure.
    text = op.raw_text
    if text is None or not text.strip():
        return
    from offline_sql.rawsql import apply_execute

    apply_execute(op, state, dialect)


def replay_batch_alter_table(op: BatchAlterTable, state: SchemaState, dialect: str) -> None:
    name_batch_constraints(op, state)
    for inner in op.operations:
        _apply(inner, state, dialect)


def name_batch_constraints(op: BatchAlterTable, state: SchemaState) -> None:
    """``batch_alter_table(naming_convention=...)``: the unnamed constraints the block drops
    by the name the convention gives them get that name first (see
    :func:`~offline_sql.schema_items.name_by_convention`)."""
    convention = op.kw.get("naming_convention")
    table = state.get(op.schema, op.table_name)
    if not convention or table is None:
        return
    wanted = {inner.constraint_name for inner in op.operations if isinstance(inner, DropConstraint)}
    name_by_convention(table, convention, wanted)


_REPLAYS: dict[type[Operation], Callable[[Any, SchemaState, str], None]] = part(globals(), "replay")
"""Each operation's ``replay_<facade>``, as its declaration names it."""
