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

from offline_sql._op_builders import (
    _type,
    build_alter_column,
    build_check,
    build_create_index,
    build_drop_column,
    build_drop_constraint,
    build_drop_index,
    build_drop_table_comment,
    build_foreign_key,
    build_table_comment,
    build_unique,
)
from offline_sql.operations import (
    AddColumn,
    BulkInsert,
    CreatePrimaryKey,
    CreateTable,
    DropTable,
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


def __dir__() -> list[str]:
    """Only the API: the names this module imports to implement it are not part of it
    (``offline_sql._op_builders`` holds the helpers ``batch_alter_table`` shares)."""
    return sorted(__all__)


def _record(what: str, operation: Operation) -> None:
    current_recorder(what).record(operation)


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
