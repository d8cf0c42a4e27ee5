"""The ``op`` facade revision scripts call: Alembic's names and signatures.

``from offline_sql import op`` replaces ``from alembic import op``; nothing else in a script
changes. Each function turns its arguments into one dataclass of
:mod:`offline_sql.operations` (mapping Alembic's "not given" sentinels to ``UNSET``) and
hands it to the :class:`~offline_sql.recorder.Recorder` of the current run, found through
a context variable. Called outside a run, every function raises :class:`MigError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy.schema import SchemaItem
from sqlalchemy.sql.elements import ClauseElement, conv

from offline_sql.errors import ScriptError
from offline_sql.operations import (
    UNSET,
    AddColumn,
    AlterColumn,
    BulkInsert,
    ConstraintType,
    CreateCheckConstraint,
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
from offline_sql.recorder import MigrationContext, current_recorder
from offline_sql.schema_items import Built, build_table

if TYPE_CHECKING:
    from offline_sql.batch import BatchOperations

__all__ = [
    "add_column",
    "alter_column",
    "batch_alter_table",
    "bulk_insert",
    "create_check_constraint",
    "create_foreign_key",
    "create_index",
    "create_primary_key",
    "create_table",
    "create_table_comment",
    "create_unique_constraint",
    "drop_column",
    "drop_constraint",
    "drop_index",
    "drop_table",
    "drop_table_comment",
    "execute",
    "f",
    "get_bind",
    "get_context",
    "inline_literal",
    "is_offline_mode",
    "rename_table",
]

_CONSTRAINT_TYPES: tuple[str, ...] = ("foreignkey", "primary", "unique", "check")


def _record(what: str, operation: Operation) -> None:
    current_recorder(what).record(operation)


# ---- builders shared with batch_alter_table ----------------------------------------------


def _type(value: Any) -> Any:
    """Alembic accepts a type class (``sa.String``) where an instance is meant."""
    if value is None:
        return UNSET
    if isinstance(value, type) and issubclass(value, sa.types.TypeEngine):
        return value()
    return value


def _given(value: Any, not_given: Any) -> Any:
    """``UNSET`` when ``value`` is Alembic's "not given" sentinel for that parameter."""
    return UNSET if value is not_given else value


def build_alter_column(
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
    **kw: Any,
) -> AlterColumn:
    """The :class:`AlterColumn` for Alembic's ``alter_column`` arguments.

    Alembic's sentinels: ``nullable``/``new_column_name``/``type_``/``existing_*`` None and
    ``comment``/``server_default``/``existing_server_default`` False mean "not given".
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


def build_create_index(
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


def build_unique(
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


def build_check(
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


def build_drop_constraint(
    constraint_name: str,
    table_name: str,
    type_: str | None = None,
    *,
    schema: str | None = None,
    if_exists: bool | None = None,
) -> DropConstraint:
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


def build_drop_column(
    table_name: str, column_name: str, *, schema: str | None = None, **kw: Any
) -> DropColumn:
    extra = dict(kw)
    if_exists = bool(extra.pop("if_exists", False))
    return DropColumn(
        table_name, schema=schema, column_name=column_name, if_exists=if_exists, kw=extra
    )


def build_drop_index(
    index_name: str,
    table_name: str | None,
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


def build_foreign_key(
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


def build_table_comment(
    table_name: str,
    comment: str | None,
    *,
    existing_comment: str | None = None,
    schema: str | None = None,
) -> CreateTableComment | DropTableComment:
    """A comment of None drops the comment, as in Alembic."""
    if comment is None:
        return build_drop_table_comment(
            table_name, existing_comment=existing_comment, schema=schema
        )
    return CreateTableComment(
        table_name,
        schema=schema,
        comment=comment,
        existing_comment=_given(existing_comment, None),
    )


def build_drop_table_comment(
    table_name: str, *, existing_comment: str | None = None, schema: str | None = None
) -> DropTableComment:
    return DropTableComment(
        table_name, schema=schema, existing_comment=_given(existing_comment, None)
    )


# ---- tables -------------------------------------------------------------------------------


def create_table(table_name: str, *columns: SchemaItem, **kw: Any) -> sa.Table:
    """Record a CREATE TABLE; returns a ``sa.Table`` (built from copies, so the items
    recorded stay as given) to pass to :func:`bulk_insert`, like Alembic."""
    extra = dict(kw)
    schema = extra.pop("schema", None)
    comment = extra.pop("comment", None)
    if_not_exists = bool(extra.pop("if_not_exists", False))
    operation = CreateTable(
        table_name,
        schema=schema,
        items=tuple(columns),
        comment=comment,
        kw=extra,
        if_not_exists=if_not_exists,
    )
    recorder = current_recorder("create_table")
    table = build_table(
        table_name, columns, sa.MetaData(), schema=schema, comment=comment, kw=extra
    )
    # Read and rendered before the script can change the table, which is then its own.
    operation.built = Built.of(table, extra)
    operation.built.prerendered = recorder.prerender_create_table(operation, table)
    recorder.record(operation)
    return table


def drop_table(
    table_name: str, *, schema: str | None = None, if_exists: bool | None = None, **kw: Any
) -> None:
    _record("drop_table", DropTable(table_name, schema=schema, if_exists=bool(if_exists), kw=kw))


def rename_table(old_table_name: str, new_table_name: str, *, schema: str | None = None) -> None:
    _record(
        "rename_table", RenameTable(old_table_name, schema=schema, new_table_name=new_table_name)
    )


def create_table_comment(
    table_name: str,
    comment: str | None,
    *,
    existing_comment: str | None = None,
    schema: str | None = None,
) -> None:
    _record(
        "create_table_comment",
        build_table_comment(table_name, comment, existing_comment=existing_comment, schema=schema),
    )


def drop_table_comment(
    table_name: str, *, existing_comment: str | None = None, schema: str | None = None
) -> None:
    _record(
        "drop_table_comment",
        build_drop_table_comment(table_name, existing_comment=existing_comment, schema=schema),
    )


# ---- columns ------------------------------------------------------------------------------


def add_column(
    table_name: str,
    column: sa.Column[Any],
    *,
    schema: str | None = None,
    if_not_exists: bool | None = None,
) -> None:
    _record(
        "add_column",
        AddColumn(table_name, schema=schema, column=column, if_not_exists=bool(if_not_exists)),
    )


def drop_column(table_name: str, column_name: str, *, schema: str | None = None, **kw: Any) -> None:
    _record("drop_column", build_drop_column(table_name, column_name, schema=schema, **kw))


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
    **kw: Any,
) -> None:
    _record(
        "alter_column",
        build_alter_column(
            table_name,
            column_name,
            nullable=nullable,
            comment=comment,
            server_default=server_default,
            new_column_name=new_column_name,
            type_=type_,
            existing_type=existing_type,
            existing_server_default=existing_server_default,
            existing_nullable=existing_nullable,
            existing_comment=existing_comment,
            schema=schema,
            **kw,
        ),
    )


# ---- indexes and constraints --------------------------------------------------------------


def create_index(
    index_name: str | None,
    table_name: str,
    columns: Sequence[str | ClauseElement] | str,
    *,
    schema: str | None = None,
    unique: bool = False,
    if_not_exists: bool | None = None,
    **kw: Any,
) -> None:
    _record(
        "create_index",
        build_create_index(
            index_name,
            table_name,
            columns,
            schema=schema,
            unique=unique,
            if_not_exists=if_not_exists,
            **kw,
        ),
    )


def drop_index(
    index_name: str,
    table_name: str | None = None,
    *,
    schema: str | None = None,
    if_exists: bool | None = None,
    **kw: Any,
) -> None:
    _record(
        "drop_index",
        build_drop_index(index_name, table_name, schema=schema, if_exists=if_exists, **kw),
    )


def create_primary_key(
    constraint_name: str | None,
    table_name: str,
    columns: Sequence[str],
    *,
    schema: str | None = None,
) -> None:
    _record(
        "create_primary_key",
        CreatePrimaryKey(
            table_name, schema=schema, constraint_name=constraint_name, columns=tuple(columns)
        ),
    )


def create_unique_constraint(
    constraint_name: str | None,
    table_name: str,
    columns: Sequence[str],
    *,
    schema: str | None = None,
    **kw: Any,
) -> None:
    _record(
        "create_unique_constraint",
        build_unique(constraint_name, table_name, columns, schema=schema, **kw),
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
) -> None:
    _record(
        "create_foreign_key",
        build_foreign_key(
            constraint_name,
            source_table,
            referent_table,
            local_cols,
            remote_cols,
            onupdate=onupdate,
            ondelete=ondelete,
            deferrable=deferrable,
            initially=initially,
            match=match,
            source_schema=source_schema,
            referent_schema=referent_schema,
            **dialect_kw,
        ),
    )


def create_check_constraint(
    constraint_name: str | None,
    table_name: str,
    condition: str | ClauseElement,
    *,
    schema: str | None = None,
    **kw: Any,
) -> None:
    _record(
        "create_check_constraint",
        build_check(constraint_name, table_name, condition, schema=schema, **kw),
    )


def drop_constraint(
    constraint_name: str,
    table_name: str,
    type_: str | None = None,
    *,
    schema: str | None = None,
    if_exists: bool | None = None,
) -> None:
    _record(
        "drop_constraint",
        build_drop_constraint(
            constraint_name, table_name, type_, schema=schema, if_exists=if_exists
        ),
    )


# ---- data ---------------------------------------------------------------------------------


def execute(
    sqltext: str | ClauseElement,
    parameters: Mapping[str, Any] | None = None,
    *,
    execution_options: Mapping[str, Any] | None = None,
) -> None:
    """Record raw SQL or a SQLAlchemy statement. ``parameters`` (an addition to Alembic's
    signature) binds ``:name`` placeholders; an unbound one is a generation error."""
    _record(
        "execute",
        Execute(
            sqltext=sqltext,
            parameters=dict(parameters) if parameters is not None else None,
            execution_options=dict(execution_options or {}),
        ),
    )


def bulk_insert(
    table: sa.TableClause, rows: Sequence[Mapping[str, Any]], *, multiinsert: bool = True
) -> None:
    _record(
        "bulk_insert",
        BulkInsert(
            table.name,
            schema=table.schema,
            table=table,
            rows=[dict(row) for row in rows],
            multiinsert=multiinsert,
        ),
    )


def inline_literal(value: Any, type_: Any = None) -> sa.BindParameter[Any]:
    """A value rendered inline (as a literal) in offline SQL, like Alembic's."""
    return sa.literal(value, _type(type_) if type_ is not None else None, literal_execute=True)


def f(name: str) -> conv:
    """Mark ``name`` as final: naming conventions leave it as it is."""
    return conv(name)


# ---- context ------------------------------------------------------------------------------


def get_context() -> MigrationContext:
    return current_recorder("get_context").get_context()


def get_bind() -> Any:
    """Online, the connection; offline, a stand-in whose ``.dialect`` works and whose
    reading methods raise :class:`~offline_sql.errors.OfflineReadError`."""
    return current_recorder("get_bind").get_bind()


def is_offline_mode() -> bool:
    return current_recorder("is_offline_mode").offline


@contextmanager
def batch_alter_table(
    table_name: str,
    schema: str | None = None,
    recreate: Literal["auto", "always", "never"] = "auto",
    **kw: Any,
) -> Iterator[BatchOperations]:
    """Collect the per-table operations of the block into ONE ``BatchAlterTable``.

    Nothing is recorded when the block raises, so a half batch never reaches the output.
    """
    from offline_sql.batch import BatchOperations, finish_batch

    recorder = current_recorder("batch_alter_table")
    origin = recorder.origin_here()
    batch = BatchOperations(recorder, table_name, schema)
    yield batch
    recorder.record(finish_batch(batch, recreate, kw), origin)
