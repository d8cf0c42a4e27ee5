"""Between SQLAlchemy schema items and the schema state, in both directions.

Scripts hand ``op.create_table`` columns, constraints and indexes that must stay as given
(the recorded operation is replayed and rendered more than once), so everything here
works on copies: :func:`copy_item` detaches, :func:`build_table` assembles a ``sa.Table``
from copies (SQLAlchemy then resolves column-level ``unique``/``index``/``ForeignKey``
and the default index naming convention for us), :func:`table_state` reads a table into a
:class:`~offline_sql.table_state.TableState` and :func:`table_from_state` goes back.

Building a ``sa.Table`` is most of the cost of an operation, so ``create_table`` and
``add_column`` build theirs once (:class:`Built`, kept on the operation): the renderers
and the replay share it (the replay keeps the state read from it), and only what a
renderer would change is copied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect as SADialect
from sqlalchemy.schema import SchemaItem
from sqlalchemy.sql.elements import ClauseElement, TextClause, quoted_name
from sqlalchemy.sql.schema import ColumnCollectionConstraint

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
    from offline_sql.operations import AddColumn, CreateTable
    from offline_sql.statements import Statement


class RawType(sa.types.UserDefinedType[Any]):
    """A column type known only by its DDL text (raw SQL the replay read, or a baseline whose
    SQLAlchemy form no longer compiles to what it recorded): restated verbatim."""

    cache_ok = True

    def __init__(self, spec: str) -> None:
        self.spec = spec

    def get_col_spec(self, **kw: Any) -> str:
        return self.spec

    def __repr__(self) -> str:
        return f"RawType({self.spec!r})"


# ---- copying what scripts give -----------------------------------------------------------


def constraint_column_names(constraint: ColumnCollectionConstraint | sa.Index) -> list[str]:
    """Column names of a constraint or index, attached to a table or not."""
    # An unbound constraint raises on ``.table``; ``parent`` is only set once attached.
    if getattr(constraint, "parent", None) is not None:
        return [c.name for c in constraint.columns]
    pending: list[Any] = list(getattr(constraint, "_pending_colargs", []))
    return [c if isinstance(c, str) else c.name for c in pending if c is not None]


def _dialect_kwargs(item: Any) -> dict[str, Any]:
    return dict(item.dialect_kwargs)


def copy_item(item: SchemaItem) -> SchemaItem:
    """An unattached copy of a column, constraint or index (shared sub-objects such as
    types and clause elements are reused: they are never mutated)."""
    if isinstance(item, sa.Column):
        copied = item._copy()
        if isinstance(item.type, sa.Enum) and isinstance(copied.type, sa.Enum):
            # SQLAlchemy 2.1's Enum copy forgets create_type=False (a type the user
            # manages): keep it, so PostgreSQL never drops a type mig did not create.
            copied.type.create_type = getattr(item.type, "create_type", True)
        return copied
    if isinstance(item, (sa.PrimaryKeyConstraint, sa.UniqueConstraint)):
        return type(item)(
            *constraint_column_names(item),
            # The name as given: ``conv`` and SQLAlchemy's "no name" marker (which the
            # stubs leave out) must survive the copy.
            name=item.name,  # type: ignore[arg-type]
            deferrable=item.deferrable,
            initially=item.initially,
            **_dialect_kwargs(item),
        )
    if isinstance(item, sa.ForeignKeyConstraint):
        return sa.ForeignKeyConstraint(
            list(item.column_keys),
            [element._get_colspec() for element in item.elements],
            name=item.name,
            onupdate=item.onupdate,
            ondelete=item.ondelete,
            deferrable=item.deferrable,
            initially=item.initially,
            match=item.match,
            use_alter=item.use_alter,
            **_dialect_kwargs(item),
        )
    if isinstance(item, sa.CheckConstraint):
        return sa.CheckConstraint(
            item.sqltext,
            name=item.name,
            deferrable=item.deferrable,
            initially=item.initially,
            **_dialect_kwargs(item),
        )
    if isinstance(item, sa.Index):
        elements = [e.name if isinstance(e, sa.Column) else e for e in item.expressions]
        return sa.Index(item.name, *elements, unique=item.unique, **_dialect_kwargs(item))
    return item


def build_table(
    name: str,
    items: Iterable[SchemaItem],
    metadata: sa.MetaData,
    *,
    schema: str | None = None,
    comment: str | None = None,
    kw: Mapping[str, Any] | None = None,
) -> sa.Table:
    """A ``sa.Table`` in ``metadata`` made of copies of ``items`` (columns first, so
    constraints and indexes given by column name resolve)."""
    copies = [copy_item(item) for item in items]
    columns = [c for c in copies if isinstance(c, sa.Column)]
    others = [c for c in copies if not isinstance(c, sa.Column)]
    return sa.Table(name, metadata, *columns, *others, schema=schema, comment=comment, **(kw or {}))


# ---- built once per operation -------------------------------------------------------------


@dataclass
class Built:
    """What an operation's schema items make, built once for the renderers and the replay.

    ``state`` and ``columns`` were read from the table as soon as it was built, before
    anyone else saw it. The replay takes ``state`` itself the first time (see
    :func:`created_table_state`), so the state of a table is never built twice."""

    state: TableState | None
    """None once the replay took it."""
    columns: tuple[sa.Column[Any], ...]
    """The table's columns (the replay notes the enums and sequences they bring)."""
    table: sa.Table | None = None
    """mig's own copy for the renderers, in a ``MetaData`` of its own: they may add stub
    tables for foreign-key targets to it but change nothing else (one that must change a
    constraint builds a copy of its own). None until a renderer asks for it when the
    table built with the state was handed to the script (``op.create_table``)."""
    prerendered: tuple[Any, tuple[Statement, ...]] | None = None
    """(dialect, statements) rendered from the table when it was built, before the script
    got it: what that dialect's ``render_create_table`` gives for the table itself."""

    @classmethod
    def of(cls, table: sa.Table, kw: Mapping[str, Any] | None = None) -> Built:
        """What ``table`` is now (``table`` is kept only when mig keeps it to itself)."""
        return cls(table_state(table, kw), tuple(table.columns))


def created_table(op: CreateTable) -> Built:
    """What a ``create_table`` builds (made on first use when the recorder did not)."""
    if op.built is None:
        table = table_for(op)
        op.built = Built.of(table, op.kw)
        op.built.table = table
    built: Built = op.built
    return built


def created_table_state(op: CreateTable) -> TableState:
    """The state of the table a ``create_table`` makes, for the schema state to keep and
    change: the one read when the table was built, the first time; read from a fresh
    build after that (an operation replayed on two states)."""
    built = created_table(op)
    if built.state is None:
        return table_state(table_for(op), op.kw)
    taken, built.state = built.state, None
    return taken


def table_for(op: CreateTable) -> sa.Table:
    """A fresh ``sa.Table`` of copies of a ``create_table``'s items."""
    return build_table(
        op.table_name, op.items, sa.MetaData(), schema=op.schema, comment=op.comment, kw=op.kw
    )


def added_column(op: AddColumn) -> Built:
    """The column of an ``add_column`` on a table of its own (so SQLAlchemy resolves its
    ``unique``/``index``/``ForeignKey``), and that table's state (made on first use)."""
    if op.built is None:
        table = build_table(op.table_name, [op.column], sa.MetaData(), schema=op.schema)
        op.built = Built.of(table)
        op.built.table = table
    built: Built = op.built
    return built


def added_column_state(op: AddColumn) -> TableState:
    """The state of an ``add_column``'s table of its own (see :func:`added_column`), for the
    schema state to keep parts of: taken as :func:`created_table_state` takes its own."""
    built = added_column(op)
    if built.state is None:
        return table_state(build_table(op.table_name, [op.column], sa.MetaData(), schema=op.schema))
    taken, built.state = built.state, None
    return taken


# ---- reading a table into the state ------------------------------------------------------


def default_arg(value: Any) -> Any:
    """A server default as the state keeps it: the text or clause, None for none."""
    if value is None or value is False:
        return None
    if isinstance(value, sa.DefaultClause):
        return value.arg
    return value


def default_sql(value: Any, sa_dialect: SADialect) -> str | None:
    """A server default as the SQL the database stores (None for none): a plain string is
    a quoted literal, a clause is compiled for ``sa_dialect`` with its literals inlined."""
    value = default_arg(value)
    if value is None:
        return None
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, TextClause):
        return value.text
    if isinstance(value, ClauseElement):
        return str(value.compile(dialect=sa_dialect, compile_kwargs={"literal_binds": True}))
    return str(value)


def type_sql(type_: sa.types.TypeEngine[Any], sa_dialect: SADialect) -> str:
    """The type as ``sa_dialect`` writes it in DDL; one it cannot compile, by its Python form."""
    try:
        return str(type_.compile(dialect=sa_dialect))
    except sa.exc.CompileError:
        return repr(type_)


def sql_text(element: str | ClauseElement) -> str:
    """SQL text of a CHECK condition or index expression, literals inlined."""
    if isinstance(element, str):
        return element
    if isinstance(element, TextClause):
        return element.text
    return str(element.compile(compile_kwargs={"literal_binds": True}))


def plain_name(name: Any) -> Any:
    """A name as the state keeps it: SQLAlchemy's ``quoted_name`` without forced quoting
    becomes the plain ``str`` it equals (a ``quoted_name`` costs twice the memory, and the
    state keeps every name of every table); one that forces quoting stays as it is."""
    if isinstance(name, quoted_name) and name.quote is None:
        return str.__str__(name)
    return name


def column_state(column: sa.Column[Any]) -> ColumnState:
    server_default = column.server_default
    identity = column.identity
    computed = column.computed
    if identity is not None or computed is not None:
        server_default = None
    return ColumnState(
        name=plain_name(column.name),
        type=column.type,
        nullable=bool(column.nullable),
        server_default=default_arg(server_default),
        autoincrement=column.autoincrement,
        comment=column.comment,
        identity=identity,
        computed=computed,
        primary_key=column.primary_key,
    )


def fk_target(fk: sa.ForeignKey) -> tuple[str | None, str, str]:
    """(schema, table, column) a foreign key points at, from the public ``target_fullname``
    (``"[schema.]table.column"``), the same in SQLAlchemy 2.0 and 2.1."""
    *qualified, column = fk.target_fullname.split(".")
    return ".".join(qualified[:-1]) or None, qualified[-1], column


def _fk_state(constraint: sa.ForeignKeyConstraint) -> ForeignKeyState:
    targets = [fk_target(element) for element in constraint.elements]
    schema, table = targets[0][0], targets[0][1]
    return ForeignKeyState(
        name=name_or_none(constraint.name),
        columns=tuple(plain_name(key) for key in constraint.column_keys),
        referent_schema=schema,
        referent_table=table,
        referent_columns=tuple(t[2] for t in targets),
        ondelete=constraint.ondelete,
        onupdate=constraint.onupdate,
        deferrable=constraint.deferrable,
        initially=constraint.initially,
        match=constraint.match,
    )


def name_or_none(name: Any) -> str | None:
    """A constraint name as text; SQLAlchemy's "no name" markers become None."""
    if name is None or type(name).__name__ == "_NoneName":
        return None
    return str(name)


def index_state(index: sa.Index) -> IndexState:
    names: list[str] = []
    given: list[Any] = []
    for element in index.expressions:
        if isinstance(element, sa.Column):
            names.append(plain_name(element.name))
            given.append(plain_name(element.name))
        elif isinstance(element, str):
            names.append(element)
            given.append(element)
        else:
            names.append(sql_text(element))
            given.append(element)
    return IndexState(
        name=str(index.name),
        columns=tuple(names),
        unique=bool(index.unique),
        kw=_dialect_kwargs(index),
        expressions=tuple(given),
    )


def table_state(table: sa.Table, kw: Mapping[str, Any] | None = None) -> TableState:
    """Everything the state keeps about ``table`` (as built by :func:`build_table`)."""
    state = TableState(
        name=plain_name(table.name),
        schema=plain_name(table.schema),
        comment=table.comment,
        kw=dict(kw or {}),
    )
    for column in table.columns:
        read = column_state(column)
        state.columns[read.name] = read
    pk_names = tuple(str(c.name) for c in table.primary_key.columns)
    if pk_names:
        state.primary_key = PrimaryKeyState(name_or_none(table.primary_key.name), pk_names)
    for constraint in table._sorted_constraints:
        if isinstance(constraint, sa.ForeignKeyConstraint):
            state.foreign_keys.append(_fk_state(constraint))
        elif isinstance(constraint, sa.UniqueConstraint):
            state.uniques.append(
                UniqueState(
                    name_or_none(constraint.name),
                    tuple(plain_name(c.name) for c in constraint.columns),
                    constraint.deferrable,
                    constraint.initially,
                )
            )
        elif isinstance(constraint, sa.CheckConstraint) and not getattr(
            constraint, "_type_bound", False
        ):
            state.checks.append(
                CheckState(name_or_none(constraint.name), sql_text(constraint.sqltext))
            )
    for index in sorted(table.indexes, key=lambda i: str(i.name)):
        found = index_state(index)
        state.indexes[found.name] = found
    return state


# ---- and back ----------------------------------------------------------------------------


def column_from_state(state: ColumnState) -> sa.Column[Any]:
    """A ``sa.Column`` restating ``state`` (the primary key comes from the table's constraint)."""
    args: list[Any] = []
    if state.identity is not None:
        args.append(state.identity._copy())
    if state.computed is not None:
        args.append(state.computed._copy())
    return sa.Column(
        state.name,
        state.type,
        *args,
        nullable=state.nullable,
        server_default=server_default_arg(state.server_default),
        autoincrement=state.autoincrement,  # type: ignore[arg-type]
        comment=state.comment,
    )


def server_default_arg(value: Any) -> Any:
    """The state keeps defaults as scripts gave them; ``sa.Column`` wants text, a clause or
    a ``FetchedValue`` (``DefaultClause``)."""
    if value is None or isinstance(value, (str, ClauseElement, sa.schema.FetchedValue)):
        return value
    return sa.text(str(value))


def _referent(fk: ForeignKeyState, metadata: sa.MetaData) -> list[Any]:
    """Targets of a foreign key: names when ``metadata`` holds the referent table, else
    columns of a stand-in table in a throwaway MetaData (so compiling needs no other table).
    The stand-in is a ``sa.Table``, not ``sa.table()``: SQLAlchemy 2.0 reads ``.key`` of a
    foreign key's target table, which a ``TableClause`` has only from 2.1 on."""
    key = f"{fk.referent_schema}.{fk.referent_table}" if fk.referent_schema else fk.referent_table
    if key in metadata.tables:
        return [f"{key}.{c}" for c in fk.referent_columns]
    target = sa.Table(
        fk.referent_table,
        sa.MetaData(),
        *(sa.Column(c) for c in fk.referent_columns),
        schema=fk.referent_schema,
    )
    return [target.c[c] for c in fk.referent_columns]


def table_from_state(state: TableState, metadata: sa.MetaData) -> sa.Table:
    """A ``sa.Table`` reproducing ``state``: columns in order, named constraints, indexes."""
    items: list[Any] = [column_from_state(c) for c in state.columns.values()]
    if state.primary_key is not None:
        items.append(
            sa.PrimaryKeyConstraint(*state.primary_key.columns, name=state.primary_key.name)
        )
    for unique in state.uniques:
        items.append(
            sa.UniqueConstraint(
                *unique.columns,
                name=unique.name,
                deferrable=unique.deferrable,
                initially=unique.initially,
            )
        )
    for check in state.checks:
        items.append(sa.CheckConstraint(sa.text(check.sqltext), name=check.name))
    for fk in state.foreign_keys:
        items.append(
            sa.ForeignKeyConstraint(
                list(fk.columns),
                _referent(fk, metadata),
                name=fk.name,
                ondelete=fk.ondelete,
                onupdate=fk.onupdate,
                deferrable=fk.deferrable,
                initially=fk.initially,
                match=fk.match,
            )
        )
    for index in state.indexes.values():
        elements = index.expressions or index.columns
        items.append(sa.Index(index.name, *elements, unique=index.unique, **index.kw))
    return sa.Table(
        state.name, metadata, *items, schema=state.schema, comment=state.comment, **state.kw
    )


def type_checks(type_: Any, column: str) -> list[sa.CheckConstraint]:
    """The CHECK constraints SQLAlchemy attaches to a column of ``type_`` (a non-native
    ``sa.Enum`` or ``sa.Boolean`` with ``create_constraint=True``), on a throwaway table;
    whether a database writes one is its compiler's call (``_create_rule``)."""
    if not isinstance(type_, sa.types.SchemaType):
        return []
    table = sa.Table("_mig_type_checks", sa.MetaData(), sa.Column(column, type_))
    return [
        c
        for c in table.constraints
        if isinstance(c, sa.CheckConstraint) and getattr(c, "_type_bound", False)
    ]


def type_check_names(type_: Any, column: str) -> set[str]:
    """Names of :func:`type_checks` (unnamed ones left out)."""
    return {n for c in type_checks(type_, column) if (n := name_or_none(c.name)) is not None}


def name_by_convention(table: TableState, convention: Mapping[str, Any], wanted: set[str]) -> None:
    """Give the unnamed constraints of ``table`` whose ``convention`` name is in ``wanted``
    that name: ``batch_alter_table(naming_convention=...)`` names what Alembic reflects
    without a name, so the block can drop it by that name (SQLite keeps no names)."""
    if not wanted:
        return
    metadata = sa.MetaData(naming_convention=dict(convention))
    stub = sa.Table(
        table.name,
        metadata,
        *(sa.Column(name, column.type) for name, column in table.columns.items()),
        schema=table.schema,
    )

    def named(constraint: sa.Constraint) -> str | None:
        try:
            stub.append_constraint(constraint)
        except sa.exc.InvalidRequestError:  # a convention needing %(constraint_name)s
            return None
        name = name_or_none(constraint.name)
        return name if name in wanted else None

    for fk in table.foreign_keys:
        if fk.name is None:
            referent = sa.Table(
                fk.referent_table,
                metadata,
                *(sa.Column(c) for c in fk.referent_columns),
                schema=fk.referent_schema,
                extend_existing=True,
            )
            targets = [referent.c[c] for c in fk.referent_columns]
            fk.name = named(sa.ForeignKeyConstraint(list(fk.columns), targets))
    for unique in table.uniques:
        if unique.name is None:
            unique.name = named(sa.UniqueConstraint(*unique.columns))
    for check in table.checks:
        if check.name is None:
            check.name = named(sa.CheckConstraint(sa.text(check.sqltext)))
    if table.primary_key is not None and table.primary_key.name is None:
        table.primary_key.name = named(sa.PrimaryKeyConstraint(*table.primary_key.columns))
