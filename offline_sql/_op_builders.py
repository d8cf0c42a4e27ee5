"""The builders: Alembic's ``op.*`` arguments in, one operation dataclass out.

Each operation's signature is written here once, in Alembic's ``op.*`` form, and bound twice:
``offline_sql.op`` records what the builder returns, and ``batch_op`` (``offline_sql.batch``)
fills in the table and schema of its block (``OperationSpec.batch`` says where they go).
``offline_sql.operation_specs`` names the builder of each operation.

Private: revision scripts use :mod:`offline_sql.op`, whose namespace holds only the API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.schema import SchemaItem
from sqlalchemy.sql.elements import ClauseElement

from offline_sql.errors import ScriptError
from offline_sql.operations import (
    UNSET,
    AddColumn,
    AlterColumn,
    BulkInsert,
    ConstraintType,
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
    RenameTable,
)

_CONSTRAINT_TYPES: tuple[str, ...] = ("foreignkey", "primary", "unique", "check")


def _type(value: Any) -> Any:
    """Alembic accepts a type class (``sa.String``) where an instance is meant."""
    if value is None:
        return UNSET
    if isinstance(value, type) and issubclass(value, sa.types.TypeEngine):
        return value()
    return value


def inline_literal(value: Any, type_: Any = None) -> sa.BindParameter[Any]:
    """A value rendered inline (as a literal) in offline SQL, like Alembic's (``op`` and
    ``batch_op`` both offer it)."""
    return sa.literal(value, _type(type_) if type_ is not None else None, literal_execute=True)


def _given(value: Any, not_given: Any) -> Any:
    """``UNSET`` when ``value`` is Alembic's "not given" sentinel for that parameter."""
    return UNSET if value is not_given else value


# ---- tables -------------------------------------------------------------------------------


def create_table(table_name: str, *columns: SchemaItem, **kw: Any) -> CreateTable:
    """``items`` as given; ``op.create_table`` also builds the ``sa.Table`` it returns."""
    extra = dict(kw)
    schema = extra.pop("schema", None)
    comment = extra.pop("comment", None)
    if_not_exists = bool(extra.pop("if_not_exists", False))
    return CreateTable(
        table_name,
        schema=schema,
        items=tuple(columns),
        comment=comment,
        kw=extra,
        if_not_exists=if_not_exists,
    )


def drop_table(
    table_name: str, *, schema: str | None = None, if_exists: bool | None = None, **kw: Any
) -> DropTable:
    return DropTable(table_name, schema=schema, if_exists=bool(if_exists), kw=kw)


def rename_table(
    old_table_name: str, new_table_name: str, *, schema: str | None = None
) -> RenameTable:
    return RenameTable(old_table_name, schema=schema, new_table_name=new_table_name)


# ---- columns ------------------------------------------------------------------------------


def add_column(
    table_name: str,
    column: sa.Column[Any],
    *,
    schema: str | None = None,
    if_not_exists: bool | None = None,
    insert_before: str | None = None,
    insert_after: str | None = None,
) -> AddColumn:
    """``insert_before``/``insert_after`` (Alembic's batch form) change nothing: mig adds
    the column last, as ``ALTER TABLE ... ADD COLUMN`` does."""
    return AddColumn(table_name, schema=schema, column=column, if_not_exists=bool(if_not_exists))


def alter_column(
    table_name: str,
    column_name: str,
    *,
    nullable: bool | None = None,
    comment: str | Literal[False] | None = False,
    server_default: Any = False,
    new_column_name: str | None = None,
    type_: Any = None,
    existing_type: Any = None,
    existing_server_default: Any = False,
    existing_nullable: bool | None = None,
    existing_comment: str | None = None,
    schema: str | None = None,
    insert_before: str | None = None,
    insert_after: str | None = None,
    **kw: Any,
) -> AlterColumn:
    """The :class:`AlterColumn` for Alembic's ``alter_column`` arguments.

    Alembic's sentinels: ``nullable``/``new_column_name``/``type_``/``existing_*`` None and
    ``comment``/``server_default``/``existing_server_default`` False mean "not given".
    ``insert_before``/``insert_after`` (Alembic's batch form) place a column in a rebuilt
    table; mig keeps the table's column order, so they change nothing.
    """
    extra = dict(kw)
    autoincrement = extra.pop("autoincrement", UNSET)
    existing_autoincrement = extra.pop("existing_autoincrement", UNSET)
    postgresql_using = extra.pop("postgresql_using", None)
    return AlterColumn(
        table_name,
        schema=schema,
        column_name=column_name,
        nullable=_given(nullable, None),
        type_=_type(type_),
        server_default=_given(server_default, False),
        new_column_name=_given(new_column_name, None),
        comment=_given(comment, False),
        autoincrement=autoincrement,
        existing_type=_type(existing_type),
        existing_nullable=_given(existing_nullable, None),
        existing_server_default=_given(existing_server_default, False),
        existing_comment=_given(existing_comment, None),
        existing_autoincrement=existing_autoincrement,
        postgresql_using=postgresql_using,
        kw=extra,
    )


def create_index(
    index_name: str | None,
    table_name: str,
    columns: Sequence[str | ClauseElement] | str,
    *,
    schema: str | None = None,
    unique: bool = False,
    if_not_exists: bool | None = None,
    **kw: Any,
) -> CreateIndex:
    elements = (columns,) if isinstance(columns, str) else tuple(columns)
    return CreateIndex(
        table_name,
        schema=schema,
        index_name=index_name,
        columns=elements,
        unique=unique,
        if_not_exists=bool(if_not_exists),
        kw=dict(kw),
    )


def create_unique_constraint(
    constraint_name: str | None,
    table_name: str,
    columns: Sequence[str],
    *,
    schema: str | None = None,
    **kw: Any,
) -> CreateUniqueConstraint:
    extra = dict(kw)
    return CreateUniqueConstraint(
        table_name,
        schema=schema,
        constraint_name=constraint_name,
        columns=tuple(columns),
        deferrable=extra.pop("deferrable", None),
        initially=extra.pop("initially", None),
        kw=extra,
    )


def create_check_constraint(
    constraint_name: str | None,
    table_name: str,
    condition: str | ClauseElement,
    *,
    schema: str | None = None,
    **kw: Any,
) -> CreateCheckConstraint:
    return CreateCheckConstraint(
        table_name,
        schema=schema,
        constraint_name=constraint_name,
        condition=condition,
        kw=dict(kw),
    )


def create_exclude_constraint(
    constraint_name: str | None,
    table_name: str,
    *elements: Any,
    schema: str | None = None,
    **kw: Any,
) -> CreateExcludeConstraint:
    """PostgreSQL's EXCLUDE: ``elements`` are ``(column or expression, operator)`` pairs,
    ``kw`` ``ExcludeConstraint``'s (``using``, ``where``, ``deferrable``, ``initially``)."""
    return CreateExcludeConstraint(
        table_name, schema=schema, constraint_name=constraint_name, elements=elements, kw=kw
    )


def drop_constraint(
    constraint_name: str,
    table_name: str,
    type_: str | None = None,
    *,
    schema: str | None = None,
    if_exists: bool | None = None,
) -> DropConstraint:
    """``type_`` one of Alembic's kinds, or None for "whichever the state knows"."""
    if type_ is not None and type_ not in _CONSTRAINT_TYPES:
        raise ScriptError(
            f"op.drop_constraint({constraint_name!r}, {table_name!r}): type_={type_!r} is not "
            f"one of {', '.join(_CONSTRAINT_TYPES)}"
        )
    kind: ConstraintType | None = type_  # type: ignore[assignment]
    return DropConstraint(
        table_name,
        schema=schema,
        constraint_name=constraint_name,
        type_=kind,
        if_exists=bool(if_exists),
    )


def drop_column(
    table_name: str, column_name: str, *, schema: str | None = None, **kw: Any
) -> DropColumn:
    extra = dict(kw)
    if_exists = bool(extra.pop("if_exists", False))
    return DropColumn(
        table_name, schema=schema, column_name=column_name, if_exists=if_exists, kw=extra
    )


def drop_index(
    index_name: str,
    table_name: str | None = None,
    *,
    schema: str | None = None,
    if_exists: bool | None = None,
    **kw: Any,
) -> DropIndex:
    """``table_name`` may be None: the state then finds the table that has the index."""
    return DropIndex(
        table_name or "",
        schema=schema,
        index_name=index_name,
        if_exists=bool(if_exists),
        kw=dict(kw),
    )


def create_foreign_key(
    constraint_name: str | None,
    source_table: str,
    referent_table: str,
    local_cols: Sequence[str],
    remote_cols: Sequence[str],
    *,
    onupdate: str | None = None,
    ondelete: str | None = None,
    deferrable: bool | None = None,
    initially: str | None = None,
    match: str | None = None,
    source_schema: str | None = None,
    referent_schema: str | None = None,
    **dialect_kw: Any,
) -> CreateForeignKey:
    return CreateForeignKey(
        source_table,
        schema=source_schema,
        constraint_name=constraint_name,
        referent_table=referent_table,
        local_cols=tuple(local_cols),
        remote_cols=tuple(remote_cols),
        referent_schema=referent_schema,
        onupdate=onupdate,
        ondelete=ondelete,
        deferrable=deferrable,
        initially=initially,
        match=match,
        kw=dialect_kw,
    )


def create_table_comment(
    table_name: str,
    comment: str | None,
    *,
    existing_comment: str | None = None,
    schema: str | None = None,
) -> CreateTableComment | DropTableComment:
    """A comment of None drops the comment, as in Alembic."""
    if comment is None:
        return drop_table_comment(table_name, existing_comment=existing_comment, schema=schema)
    return CreateTableComment(
        table_name,
        schema=schema,
        comment=comment,
        existing_comment=_given(existing_comment, None),
    )


def drop_table_comment(
    table_name: str, *, existing_comment: str | None = None, schema: str | None = None
) -> DropTableComment:
    return DropTableComment(
        table_name, schema=schema, existing_comment=_given(existing_comment, None)
    )


def create_primary_key(
    constraint_name: str | None,
    table_name: str,
    columns: Sequence[str],
    *,
    schema: str | None = None,
) -> CreatePrimaryKey:
    return CreatePrimaryKey(
        table_name, schema=schema, constraint_name=constraint_name, columns=tuple(columns)
    )


# ---- data ---------------------------------------------------------------------------------


def execute(
    sqltext: str | ClauseElement,
    parameters: Mapping[str, Any] | None = None,
    *,
    execution_options: Mapping[str, Any] | None = None,
) -> Execute:
    """Raw SQL or a SQLAlchemy statement. ``parameters`` (an addition to Alembic's
    signature) binds ``:name`` placeholders; an unbound one is a generation error."""
    return Execute(
        sqltext=sqltext,
        parameters=dict(parameters) if parameters is not None else None,
        execution_options=dict(execution_options or {}),
    )


def bulk_insert(
    table: sa.TableClause, rows: Sequence[Mapping[str, Any]], *, multiinsert: bool = True
) -> BulkInsert:
    return BulkInsert(
        table.name,
        schema=table.schema,
        table=table,
        rows=[dict(row) for row in rows],
        multiinsert=multiinsert,
    )
