"""Operations recorded from revision scripts: what to do, never how a database spells it.

Each ``op.*`` call in a script becomes one of these dataclasses (see ``offline_sql.op``).
They are replayed by :mod:`offline_sql.state` to know the schema, and rendered to SQL by
a dialect in ``offline_sql.dialects``. Keeping them plain data is what lets one recorded
run serve offline scripts, online mode, review and schema state alike.

SQLAlchemy objects given by the script (``sa.Column``, types, clause elements) are kept as
they were passed; renderers copy them before attaching them to any ``Table``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Union

import sqlalchemy as sa
from sqlalchemy.sql.elements import ClauseElement, TextClause


class _Unset:
    """Marker for "the script did not mention this attribute" (distinct from None)."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()
"""Attribute not given. ``alter_column(nullable=UNSET)`` leaves nullability alone."""

ServerDefault = Union[
    str,
    TextClause,
    ClauseElement,
    "sa.DefaultClause",
    "sa.Computed",
    "sa.Identity",
    None,
    Literal[False],
]
"""A server default as scripts give it: text, a clause, ``None``/``False`` to drop it."""

ConstraintType = Literal["foreignkey", "primary", "unique", "check"]


@dataclass(frozen=True)
class Origin:
    """Where in a revision script an operation was recorded, for error messages."""

    path: str
    line: int
    revision: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} (revision {self.revision})"


@dataclass(eq=False)
class Operation:
    """Base of all operations. ``origin`` is filled by the recorder."""

    origin: Origin | None = field(default=None, kw_only=True, compare=False, repr=False)
    autocommit: bool = field(default=False, kw_only=True, compare=False, repr=False)
    """Recorded inside ``op.get_context().autocommit_block()``: its statements run outside
    the transaction (the framer commits before them and begins again after), as Alembic's
    offline mode writes them."""

    @property
    def table_key(self) -> tuple[str | None, str] | None:
        """(schema, table) the operation changes, or None when it is not about one table."""
        return None


@dataclass(eq=False)
class TableOperation(Operation):
    table_name: str
    schema: str | None = field(default=None, kw_only=True)

    @property
    def table_key(self) -> tuple[str | None, str] | None:
        return (self.schema, self.table_name)


@dataclass(eq=False)
class CreateTable(TableOperation):
    """``op.create_table(name, *columns_and_constraints, **kw)``.

    ``items`` holds ``sa.Column``, ``sa.Constraint`` and ``sa.Index`` objects exactly as given;
    ``kw`` holds table keyword arguments (``comment``, ``prefixes``, ``info``, dialect kwargs
    such as ``mysql_engine``).
    """

    items: tuple[sa.schema.SchemaItem, ...] = ()
    comment: str | None = None
    kw: Mapping[str, Any] = field(default_factory=dict)
    if_not_exists: bool = False
    """``op.create_table(..., if_not_exists=True)`` (Alembic 1.13+)."""
    built: Any = field(default=None, init=False, repr=False, compare=False)
    """The table built from copies of ``items`` and its state, made once on first use and
    shared by the renderers and the replay (``schema_items.created_table``)."""


@dataclass(eq=False)
class DropTable(TableOperation):
    if_exists: bool = False
    kw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class RenameTable(TableOperation):
    new_table_name: str = ""


@dataclass(eq=False)
class AddColumn(TableOperation):
    column: sa.Column[Any] = field(default_factory=lambda: sa.Column("_", sa.Integer))
    if_not_exists: bool = False
    built: Any = field(default=None, init=False, repr=False, compare=False)
    """A copy of ``column`` on a table of its own and that table's state, made once on
    first use and shared by the renderers and the replay (``schema_items.added_column``)."""


@dataclass(eq=False)
class DropColumn(TableOperation):
    column_name: str = ""
    if_exists: bool = False
    kw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class AlterColumn(TableOperation):
    """``op.alter_column``: every attribute left at ``UNSET`` is not to change.

    ``existing_*`` are the script's hints about the column today; the schema state is
    authoritative and a contradicting hint is a warning.
    """

    column_name: str = ""
    nullable: bool | Any = UNSET
    type_: sa.types.TypeEngine[Any] | Any = UNSET
    server_default: ServerDefault | Any = UNSET
    new_column_name: str | Any = UNSET
    comment: str | Any | None = UNSET
    autoincrement: bool | Any | None = UNSET
    existing_type: sa.types.TypeEngine[Any] | Any = UNSET
    existing_nullable: bool | Any = UNSET
    existing_server_default: ServerDefault | Any = UNSET
    existing_comment: str | Any | None = UNSET
    existing_autoincrement: bool | Any | None = UNSET
    postgresql_using: str | None = None
    kw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class CreateIndex(TableOperation):
    """``op.create_index``; ``kw`` carries dialect options (``postgresql_where``,
    ``postgresql_concurrently``, ``mysql_length`` ...)."""

    index_name: str | None = None
    columns: tuple[str | ClauseElement, ...] = ()
    unique: bool = False
    if_not_exists: bool = False
    kw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class DropIndex(TableOperation):
    """``op.drop_index(name, table_name=...)``; ``table_name`` may be empty when the
    script did not give it (the state then finds the table)."""

    index_name: str = ""
    if_exists: bool = False
    kw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class CreatePrimaryKey(TableOperation):
    constraint_name: str | None = None
    columns: tuple[str, ...] = ()


@dataclass(eq=False)
class CreateUniqueConstraint(TableOperation):
    constraint_name: str | None = None
    columns: tuple[str, ...] = ()
    deferrable: bool | None = None
    initially: str | None = None
    kw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class CreateForeignKey(TableOperation):
    """``op.create_foreign_key(name, source_table, referent_table, local_cols, remote_cols)``;
    ``table_name``/``schema`` are the source side."""

    constraint_name: str | None = None
    referent_table: str = ""
    local_cols: tuple[str, ...] = ()
    remote_cols: tuple[str, ...] = ()
    referent_schema: str | None = None
    onupdate: str | None = None
    ondelete: str | None = None
    deferrable: bool | None = None
    initially: str | None = None
    match: str | None = None
    kw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class CreateCheckConstraint(TableOperation):
    constraint_name: str | None = None
    condition: str | ClauseElement = ""
    kw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class CreateExcludeConstraint(TableOperation):
    """``op.create_exclude_constraint(name, table, *elements, where=, using=, ...)``
    (PostgreSQL's EXCLUDE): ``elements`` are (column name or expression, operator) pairs
    as given; ``kw`` the rest of ``ExcludeConstraint``'s keywords."""

    constraint_name: str | None = None
    elements: tuple[Any, ...] = ()
    kw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class DropConstraint(TableOperation):
    constraint_name: str = ""
    type_: ConstraintType | None = None
    if_exists: bool = False


@dataclass(eq=False)
class CreateTableComment(TableOperation):
    comment: str = ""
    existing_comment: str | Any | None = UNSET


@dataclass(eq=False)
class DropTableComment(TableOperation):
    existing_comment: str | Any | None = UNSET


@dataclass(eq=False)
class Execute(Operation):
    """``op.execute(sql, parameters)``: a string (wrapped in ``sa.text``) or a SQLAlchemy
    statement. Unbound ``:name`` parameters are a generation error, never NULL."""

    sqltext: str | ClauseElement = ""
    parameters: Mapping[str, Any] | None = None
    execution_options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def raw_text(self) -> str | None:
        """The SQL text given (a string, ``sa.text``, ``sa.DDL``), None for a SQLAlchemy
        statement (``table.update()``, ``insert()``): only text can change a table's
        structure behind the state's back."""
        sqltext: object = self.sqltext
        if isinstance(sqltext, str):
            return sqltext
        if isinstance(sqltext, TextClause):
            return sqltext.text
        statement = getattr(sqltext, "statement", None)  # sa.DDL
        return statement if isinstance(statement, str) else None


@dataclass(eq=False)
class BulkInsert(TableOperation):
    """``op.bulk_insert(table, rows)``. ``table`` is the ``sa.Table``/``table()`` given;
    its column types decide how each value is rendered."""

    table: sa.TableClause | None = None
    rows: Sequence[Mapping[str, Any]] = ()
    multiinsert: bool = True


@dataclass(eq=False)
class BatchAlterTable(TableOperation):
    """``with op.batch_alter_table(name) as batch_op:``: the operations recorded inside,
    in order. Dialects that can ALTER render them one by one; SQLite rebuilds once."""

    operations: tuple[Operation, ...] = ()
    recreate: Literal["auto", "always", "never"] = "auto"
    kw: Mapping[str, Any] = field(default_factory=dict)


ALL_OPERATIONS: tuple[type[Operation], ...] = tuple(
    value
    for value in dict(globals()).values()
    if isinstance(value, type)
    and issubclass(value, Operation)
    and value.__module__ == __name__
    and value not in (Operation, TableOperation)
)
"""Every operation: the dataclasses above, in their order (nothing to list by hand);
``offline_sql.operation_specs`` declares where each one is wired (docs/architecture.md,
"Adding an operation")."""


def tables_dropped_later(
    operations: Sequence[Operation],
) -> list[frozenset[tuple[str | None, str]]]:
    """For each operation of one step, the tables (``(schema, name)``) a later operation of
    the same step drops with nothing in between but other drops of indexes and
    constraints on them (and operations on other tables). Whatever the earlier operation
    removes from such a table goes with ``DROP TABLE`` anyway: a dialect may leave a drop
    the database refuses on its own to it. Raw SQL and renames end the look-ahead."""
    out: list[frozenset[tuple[str | None, str]]] = [frozenset()] * len(operations)
    pending: set[tuple[str | None, str]] = set()
    for position in range(len(operations) - 1, -1, -1):
        out[position] = frozenset(pending)
        op = operations[position]
        key = (op.schema, op.table_name) if isinstance(op, TableOperation) else None
        if isinstance(op, DropTable) and key is not None:
            pending.add(key)
        elif isinstance(op, RenameTable) and key is not None:
            pending.discard(key)
            pending.discard((op.schema, op.new_table_name))
        elif isinstance(op, Execute):
            pending.clear()
        elif isinstance(op, (DropIndex, DropConstraint)):
            continue
        elif key is not None:
            pending.discard(key)
    return out
