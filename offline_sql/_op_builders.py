"""Operations built from Alembic's arguments, shared by ``op`` and ``batch_alter_table``.

Private: revision scripts use :mod:`offline_sql.op`, whose namespace holds only the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.sql.elements import ClauseElement

from offline_sql.errors import ScriptError
from offline_sql.operations import (
    UNSET,
    AlterColumn,
    ConstraintType,
    CreateCheckConstraint,
    CreateForeignKey,
    CreateIndex,
    CreateTableComment,
    CreateUniqueConstraint,
    DropColumn,
    DropConstraint,
    DropIndex,
    DropTableComment,
)

_CONSTRAINT_TYPES: tuple[str, ...] = ("foreignkey", "primary", "unique", "check")


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
