"""The column as it is before an ALTER, for databases that must restate it whole.

MySQL's ``MODIFY`` and SQL Server's ``ALTER COLUMN`` replace the column definition: an
attribute left out is an attribute lost (Alembic's ``--sql`` mode drops NOT NULL that way).
So those renderers start from the column as the schema state knows it, fall back on the
script's ``existing_*`` hints when the state does not know the table, and refuse to guess
when neither says.

On every database the hints are optional, and one that contradicts the state is a warning
naming the script and line (:func:`hints_checked`, which ``Dialect.render`` wraps around
every renderer): the state wins, because it was replayed from the migrations themselves,
but a wrong hint is a wrong belief about the database worth fixing wherever it is written.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ClauseElement, TextClause

from offline_sql.dialect_api.constructs import describe
from offline_sql.errors import RenderError
from offline_sql.operations import UNSET, AlterColumn, BatchAlterTable, Operation
from offline_sql.state import SchemaState
from offline_sql.table_state import ColumnState, TableState

HINTS: dict[str, str] = {
    "type": "existing_type",
    "nullable": "existing_nullable",
    "server_default": "existing_server_default",
    "comment": "existing_comment",
    "autoincrement": "existing_autoincrement",
}
"""ColumnState attribute -> the ``alter_column`` hint that describes it."""

_CHANGES: dict[str, str] = {
    "type": "type_",
    "nullable": "nullable",
    "server_default": "server_default",
    "comment": "comment",
    "autoincrement": "autoincrement",
}
"""ColumnState attribute -> the ``alter_column`` argument that changes it."""


class AlterColumnHintWarning(UserWarning):
    """An ``existing_*`` hint disagrees with the schema replayed from the migrations."""


def default_text(default: Any) -> str | None:
    """A comparable spelling of a server default (None when there is none)."""
    if default is None or default is False:
        return None
    if isinstance(default, sa.DefaultClause):
        return default_text(default.arg)
    if isinstance(default, str):
        return repr(default)
    if isinstance(default, TextClause):
        return default.text.strip()
    if isinstance(default, ClauseElement):
        return str(default)
    return repr(default)


def _shown(attr: str, value: Any) -> str:
    """``value`` as a message shows it: a server default as its SQL text (``now()``), not
    ``<TextClause object at 0x...>``; anything else as its repr."""
    if attr == "server_default":
        text = default_text(value)
        return "no default" if text is None else text
    return repr(value)


def _hint_given(op: AlterColumn, attr: str) -> bool:
    return getattr(op, HINTS[attr]) is not UNSET


def _changed(op: AlterColumn, attr: str) -> bool:
    return getattr(op, _CHANGES[attr]) is not UNSET


def _table(state: SchemaState, op: AlterColumn) -> TableState | None:
    table = state.get(op.schema, op.table_name)
    if table is None or table.unknown_since is not None:
        return None
    return table


def current_column(
    op: AlterColumn,
    state: SchemaState,
    need: Sequence[str],
    same_type: Callable[[Any, Any], bool],
) -> ColumnState:
    """The column before ``op``: from the state, else from the hints.

    ``need`` lists the attributes the database restates (``type``, ``nullable``, ...). When
    the state does not know the column, each needed attribute must come from the operation
    itself (it is being changed) or from its ``existing_*`` hint; otherwise this raises a
    :class:`RenderError` naming the hints to add. ``same_type`` compares two types the way
    the database would spell them.

    A hint contradicting the state is not warned about here: :func:`hints_checked` did it
    already, for every database alike.
    """
    table = _table(state, op)
    column = table.columns.get(op.column_name) if table is not None else None
    if column is None:
        return _from_hints(op, need, _why_unknown(op, state))
    return column.copy()


def _why_unknown(op: AlterColumn, state: SchemaState) -> str:
    """Why the state cannot describe the column, naming the raw SQL that hid it if any."""
    table = state.get(op.schema, op.table_name)
    since = table.unknown_since if table is not None else None
    if since is not None:
        return (
            f"raw SQL in revision {since.revision} ({since.path}:{since.line}) changed table "
            f"{op.table_name!r} in a way mig cannot follow, so column {op.column_name!r} is "
            "not known"
        )
    return f"column {op.column_name!r} is not in the schema replayed from the migrations"


def _can_count(op: AlterColumn) -> bool:
    """Only an integer column can count itself (AUTO_INCREMENT, IDENTITY): elsewhere the
    ``existing_autoincrement`` hint cannot matter, so it is not asked for."""
    type_ = op.type_ if op.type_ is not UNSET else op.existing_type
    return isinstance(type_, sa.Integer)


def _from_hints(op: AlterColumn, need: Sequence[str], why: str) -> ColumnState:
    missing = [
        HINTS[attr]
        for attr in need
        if not _changed(op, attr)
        and not _hint_given(op, attr)
        and (attr != "autoincrement" or _can_count(op))
    ]
    if missing:
        names = ", ".join(f"{m}=..." for m in missing)
        # None means "not given" in alter_column (Alembic's sentinel): say how to spell none.
        none = " (existing_comment='' for no comment)" if HINTS["comment"] in missing else ""
        raise RenderError(
            f"{describe(op)}: {why}, and this database restates the whole column definition; "
            f"add {names} to the alter_column call so no attribute is lost{none}"
        )

    def pick(attr: str, fallback: Any) -> Any:
        value = getattr(op, HINTS[attr])
        return fallback if value is UNSET else value

    autoincrement = pick("autoincrement", False)
    return ColumnState(
        name=op.column_name,
        type=pick("type", sa.types.NullType()),
        nullable=bool(pick("nullable", True)),
        server_default=_no_false(pick("server_default", None)),
        comment=pick("comment", None),
        autoincrement=bool(autoincrement),
    )


TypeCheck = Callable[[Any, Any], bool]


def _type_agrees(same_type: TypeCheck) -> TypeCheck:
    """``same_type``, except that a hint this database cannot spell is compared as written
    (it cannot be the column's type here, but the state still wins: no error for a hint)."""

    def agrees(hint: Any, known: Any) -> bool:
        try:
            return same_type(hint, known)
        except (sa.exc.CompileError, sa.exc.ArgumentError):
            return repr(hint) == repr(known)

    return agrees


def _warn_contradictions(op: AlterColumn, column: ColumnState, same_type: TypeCheck) -> None:
    checks: dict[str, TypeCheck] = {
        "type": _type_agrees(same_type),
        "nullable": lambda hint, known: bool(hint) == bool(known),
        "server_default": lambda hint, known: default_text(hint) == default_text(known),
        "comment": lambda hint, known: (hint or None) == (known or None),
    }
    for attr, agrees in checks.items():
        hint = getattr(op, HINTS[attr])
        known = getattr(column, attr)
        if hint is UNSET or agrees(hint, known):
            continue
        where = str(op.origin) if op.origin else "an alter_column call"
        warnings.warn(
            f"{where}: {HINTS[attr]}={_shown(attr, hint)} contradicts the schema replayed "
            f"from the migrations ({attr} {_shown(attr, known)} on "
            f"{op.table_name}.{op.column_name}); using the "
            "replayed schema, fix or remove the hint",
            AlterColumnHintWarning,
            stacklevel=2,
        )


def _check_alter(op: Operation, state: SchemaState, same_type: TypeCheck) -> None:
    assert isinstance(op, AlterColumn)
    table = _table(state, op)
    column = table.columns.get(op.column_name) if table is not None else None
    if column is not None:
        _warn_contradictions(op, column, same_type)


def _check_batch(op: Operation, state: SchemaState, same_type: TypeCheck) -> None:
    """Each inner operation against the state the earlier ones leave."""
    assert isinstance(op, BatchAlterTable)
    work = state.copy()
    for inner in op.operations:
        check = _CHECKS.get(type(inner))
        if check is not None:
            check(inner, work, same_type)
        try:
            work.apply(inner)
        except Exception:  # the renderer meets the same operation and says what is wrong
            return


_CHECKS: dict[type[Operation], Callable[[Operation, SchemaState, TypeCheck], None]] = {
    AlterColumn: _check_alter,
    BatchAlterTable: _check_batch,
}
"""Operations that carry ``existing_*`` hints (directly or inside a batch)."""

_CHECKED: ContextVar[bool] = ContextVar("offline_sql_hints_checked", default=False)
"""True while an operation whose hints were checked renders (a batch renders its inner
operations through ``Dialect.render`` again: they must not warn twice)."""


@contextmanager
def hints_checked(op: Operation, state: SchemaState, same_type: TypeCheck) -> Iterator[None]:
    """Warn (:class:`AlterColumnHintWarning`, naming the script and line) for each
    ``existing_*`` hint of ``op`` that contradicts ``state``, once, then let it render.

    ``state`` is the schema before ``op``; a column the state does not know has nothing to
    contradict (the renderers that need it then take the hints, see :func:`current_column`).
    ``same_type`` compares two types the way the database would spell them.
    """
    if _CHECKED.get():
        yield
        return
    check = _CHECKS.get(type(op))
    if check is not None:
        check(op, state, same_type)
    token = _CHECKED.set(True)
    try:
        yield
    finally:
        _CHECKED.reset(token)


def _no_false(default: Any) -> Any:
    """``False`` means "no default" in scripts; the state says None."""
    return None if default is False else default


def altered(column: ColumnState, op: AlterColumn) -> ColumnState:
    """The column after ``op``: every attribute the script did not mention stays."""
    new = column.copy()
    if op.type_ is not UNSET:
        new.type = op.type_
    if op.nullable is not UNSET:
        new.nullable = bool(op.nullable)
    if op.server_default is not UNSET:
        new.server_default = _no_false(op.server_default)
    if op.comment is not UNSET:
        new.comment = op.comment
    if op.autoincrement is not UNSET:
        new.autoincrement = bool(op.autoincrement)
    if op.new_column_name is not UNSET:
        new.name = op.new_column_name
    return new


def is_auto_increment(table: TableState | None, column: ColumnState) -> bool:
    """Whether the column counts itself (MySQL ``AUTO_INCREMENT``, SQL Server ``IDENTITY``).

    ``autoincrement="auto"`` follows SQLAlchemy's rule: the only primary-key column, of an
    integer type, without a server default.
    """
    if column.autoincrement is True:
        return True
    if column.autoincrement != "auto" or table is None or table.primary_key is None:
        return False
    integer = isinstance(column.type, sa.Integer)
    only_pk = table.primary_key.columns == (column.name,)
    return integer and only_pk and column.server_default is None
