"""Comparing the application's models with the schema the migrations build, with no database.

Both sides become a :class:`~offline_sql.state.SchemaState` (models through
:func:`state_from_metadata`, migrations through the replay), then :func:`compare_states`
lists the operations that turn the migrations' schema into the models'. Working on two
states of the same shape keeps the comparison symmetric and lets tests build either side
from plain operations.

What is compared: tables, columns (type as compiled for the target dialect, nullability,
server default as normalized SQL text, comment), table comments, indexes (by name),
unique constraints and foreign keys (by columns and referent; names when both sides give
one). Primary keys, CHECK constraints of existing tables, identity and computed columns
are not compared: their text differs between spellings too often to be trusted offline.
Renames are never guessed: they show as a drop and an add.

The operations come in an order a database accepts (see :func:`compare_states`); the
same inputs always give the same list.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect as SADialect
from sqlalchemy.schema import SchemaItem

from offline_sql.operations import (
    UNSET,
    AddColumn,
    AlterColumn,
    CreateForeignKey,
    CreateIndex,
    CreateTable,
    CreateTableComment,
    CreateUniqueConstraint,
    DropColumn,
    DropConstraint,
    DropIndex,
    DropTable,
    DropTableComment,
    Operation,
)
from offline_sql.schema_items import column_from_state, default_sql, type_sql
from offline_sql.state import SchemaState
from offline_sql.table_state import (
    ColumnState,
    ForeignKeyState,
    IndexState,
    TableKey,
    TableState,
    UniqueState,
)

# ---- the models as a schema state ---------------------------------------------------------


def state_from_metadata(metadata: sa.MetaData) -> SchemaState:
    """The schema the models describe, in the state's terms."""
    from offline_sql.schema_items import table_state

    state = SchemaState()
    for table in metadata.tables.values():
        found = table_state(table, dict(table.dialect_kwargs))
        state.add_table(found)
        for column in table.columns:
            state.note_enum(column.type)
    return state


def _colspec(fk: ForeignKeyState, column: str) -> str:
    parts = (fk.referent_schema, fk.referent_table, column)
    return ".".join(p for p in parts if p)


def fk_constraint(fk: ForeignKeyState) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        list(fk.columns),
        [_colspec(fk, c) for c in fk.referent_columns],
        name=fk.name,
        ondelete=fk.ondelete,
        onupdate=fk.onupdate,
        deferrable=fk.deferrable,
        initially=fk.initially,
        match=fk.match,
    )


def table_items(table: TableState, *, without_fks: Collection[int] = ()) -> tuple[SchemaItem, ...]:
    """Columns and constraints of ``op.create_table`` for ``table`` (indexes are separate
    ``op.create_index`` calls, as Alembic writes them). ``without_fks`` are positions of
    foreign keys created later (dependency cycles)."""
    items: list[SchemaItem] = [column_from_state(c) for c in table.columns.values()]
    if table.primary_key is not None:
        items.append(
            sa.PrimaryKeyConstraint(*table.primary_key.columns, name=table.primary_key.name)
        )
    for position, fk in enumerate(table.foreign_keys):
        if position not in without_fks:
            items.append(fk_constraint(fk))
    for unique in table.uniques:
        items.append(
            sa.UniqueConstraint(
                *unique.columns,
                name=unique.name,
                deferrable=unique.deferrable,
                initially=unique.initially,
            )
        )
    for check in table.checks:
        items.append(sa.CheckConstraint(sa.text(check.sqltext), name=check.name))
    return tuple(items)


def create_table_ops(table: TableState, *, without_fks: Collection[int] = ()) -> list[Operation]:
    """``CreateTable`` then one ``CreateIndex`` per index: the table as the state knows it."""
    ops: list[Operation] = [
        CreateTable(
            table.name,
            schema=table.schema,
            items=table_items(table, without_fks=without_fks),
            comment=table.comment,
            kw=dict(table.kw),
        )
    ]
    ops.extend(create_index_op(table, index) for index in _sorted_indexes(table))
    return ops


def create_index_op(table: TableState, index: IndexState) -> CreateIndex:
    return CreateIndex(
        table.name,
        schema=table.schema,
        index_name=index.name,
        columns=tuple(index.expressions or index.columns),
        unique=index.unique,
        kw=dict(index.kw),
    )


def create_fk_op(table: TableState, fk: ForeignKeyState) -> CreateForeignKey:
    return CreateForeignKey(
        table.name,
        schema=table.schema,
        constraint_name=fk.name,
        referent_table=fk.referent_table,
        referent_schema=fk.referent_schema,
        local_cols=fk.columns,
        remote_cols=fk.referent_columns,
        ondelete=fk.ondelete,
        onupdate=fk.onupdate,
        deferrable=fk.deferrable,
        initially=fk.initially,
        match=fk.match,
    )


def create_unique_op(table: TableState, unique: UniqueState) -> CreateUniqueConstraint:
    return CreateUniqueConstraint(
        table.name,
        schema=table.schema,
        constraint_name=unique.name,
        columns=unique.columns,
        deferrable=unique.deferrable,
        initially=unique.initially,
    )


def _sorted_indexes(table: TableState) -> list[IndexState]:
    return [table.indexes[name] for name in sorted(table.indexes)]


# ---- normalizing what each side says --------------------------------------------------------


def type_text(type_: sa.types.TypeEngine[Any], sa_dialect: SADialect) -> str:
    """The type as the dialect writes it in DDL, normalized: ``String(50)`` and
    ``VARCHAR(50)`` agree, and differences the database cannot see vanish. A type the
    dialect cannot compile is compared by its Python form."""
    text = re.sub(r"\s+", " ", type_sql(type_, sa_dialect).strip())
    text = re.sub(r"\s*([(),])\s*", r"\1", text)
    return _fold_outside_quotes(text)


def default_text(value: Any, sa_dialect: SADialect) -> str | None:
    """A server default as normalized SQL text (``"x"`` and ``sa.text("'x'")`` agree;
    outer parentheses, spacing and keyword case do not matter)."""
    text = default_sql(value, sa_dialect)
    if text is None:
        return None
    text = re.sub(r"\s+", " ", text.strip())
    while _wrapped(text):
        text = text[1:-1].strip()
    return _fold_outside_quotes(text)


def _wrapped(text: str) -> bool:
    """Whether one pair of parentheses encloses the whole text."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for position, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and position < len(text) - 1:
            return False
    return True


def _fold_outside_quotes(text: str) -> str:
    """Upper-case everything but quoted literals and identifiers."""
    parts = re.split(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")", text)
    return "".join(p if i % 2 else p.upper() for i, p in enumerate(parts))


# ---- the comparison ---------------------------------------------------------------------------


@dataclass
class Comparison:
    """What :func:`compare_states` found: operations, and what it cannot express."""

    ops: list[Operation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Differences no operation can fix (an unnamed constraint to drop, a table raw SQL
    changed), one human line each."""


@dataclass
class _Phases:
    """Operations grouped in the order a database accepts them."""

    drop_fks: list[Operation] = field(default_factory=list)
    drop_indexes: list[Operation] = field(default_factory=list)
    create_tables: list[Operation] = field(default_factory=list)
    add_columns: list[Operation] = field(default_factory=list)
    alter_columns: list[Operation] = field(default_factory=list)
    table_comments: list[Operation] = field(default_factory=list)
    create_indexes: list[Operation] = field(default_factory=list)
    create_fks: list[Operation] = field(default_factory=list)
    drop_columns: list[Operation] = field(default_factory=list)
    drop_tables: list[Operation] = field(default_factory=list)

    def all(self) -> list[Operation]:
        return [
            *self.drop_fks,
            *self.drop_indexes,
            *self.create_tables,
            *self.add_columns,
            *self.alter_columns,
            *self.table_comments,
            *self.create_indexes,
            *self.create_fks,
            *self.drop_columns,
            *self.drop_tables,
        ]


def compare(
    metadata: sa.MetaData,
    state: SchemaState,
    dialect_name: str,
    *,
    exclude_tables: Collection[TableKey] = (),
) -> list[Operation]:
    """Operations that turn ``state`` (the migrations' schema) into ``metadata``'s."""
    return compare_metadata(metadata, state, dialect_name, exclude_tables=exclude_tables).ops


def compare_metadata(
    metadata: sa.MetaData,
    state: SchemaState,
    dialect_name: str,
    *,
    exclude_tables: Collection[TableKey] = (),
) -> Comparison:
    from offline_sql.dialect_api.registry import get_dialect

    sa_dialect = get_dialect(dialect_name).sa_dialect()
    return compare_states(state_from_metadata(metadata), state, sa_dialect, exclude_tables)


def compare_states(
    target: SchemaState,
    current: SchemaState,
    sa_dialect: SADialect,
    exclude_tables: Collection[TableKey] = (),
) -> Comparison:
    """Operations turning ``current`` into ``target``, in this order: drop foreign keys,
    drop indexes and unique constraints, create tables (foreign-key dependency order), add
    columns, alter columns, table comments, create indexes and unique constraints, create
    foreign keys, drop columns, drop tables (reverse dependency order)."""
    result = Comparison()
    phases = _Phases()
    excluded = set(exclude_tables)
    wanted = {k: t for k, t in target.tables.items() if k not in excluded}
    have = {k: t for k, t in current.tables.items() if k not in excluded}

    new_keys = [k for k in _sorted_keys(wanted) if k not in have]
    ordered, deferred = _dependency_order({k: wanted[k] for k in new_keys})
    for key in ordered:
        later = {pos for (k, pos) in deferred if k == key}
        phases.create_tables.extend(create_table_ops(wanted[key], without_fks=later))
    for key, position in deferred:
        phases.create_fks.append(create_fk_op(wanted[key], wanted[key].foreign_keys[position]))

    for key in _sorted_keys(wanted):
        if key in have:
            _compare_table(wanted[key], have[key], sa_dialect, phases, result)

    gone = {k: have[k] for k in _sorted_keys(have) if k not in wanted}
    ordered, deferred = _dependency_order(gone)
    for key, position in deferred:
        _drop_fk(gone[key], gone[key].foreign_keys[position], phases, result)
    for key in reversed(ordered):
        phases.drop_tables.append(DropTable(key[1], schema=key[0]))
    result.ops = phases.all()
    return result


def _sorted_keys(tables: Iterable[TableKey]) -> list[TableKey]:
    return sorted(tables, key=lambda k: (k[0] or "", k[1]))


def _dependency_order(
    tables: dict[TableKey, TableState],
) -> tuple[list[TableKey], list[tuple[TableKey, int]]]:
    """Tables so that each comes after those its foreign keys reference (among
    ``tables``), and the foreign keys (table, position) that close a cycle: they are
    created after all tables, and dropped before any."""
    pending = dict(tables)
    done: list[TableKey] = []
    deferred: list[tuple[TableKey, int]] = []

    def blockers(key: TableKey) -> list[int]:
        return [
            pos
            for pos, fk in enumerate(pending[key].foreign_keys)
            if (fk.referent_schema, fk.referent_table) in pending
            and (fk.referent_schema, fk.referent_table) != key
            and (key, pos) not in deferred
        ]

    while pending:
        ready = [k for k in _sorted_keys(pending) if not blockers(k)]
        if not ready:
            stuck = _sorted_keys(pending)[0]
            deferred.extend((stuck, pos) for pos in blockers(stuck))
            ready = [stuck]
        done.append(ready[0])
        del pending[ready[0]]
    return done, deferred


def _compare_table(
    wanted: TableState,
    have: TableState,
    sa_dialect: SADialect,
    phases: _Phases,
    result: Comparison,
) -> None:
    key = wanted.key
    if have.unknown_since is not None:
        result.notes.append(
            f"table {_qualified(key)}: raw SQL in revision {have.unknown_since.revision} "
            "changed it in a way mig cannot follow; it is not compared"
        )
        return
    for name, column in wanted.columns.items():
        if name not in have.columns:
            phases.add_columns.append(
                AddColumn(key[1], schema=key[0], column=column_from_state(column))
            )
        else:
            altered = _compare_column(key, column, have.columns[name], sa_dialect)
            if altered is not None:
                phases.alter_columns.append(altered)
    for name in have.columns:
        if name not in wanted.columns:
            phases.drop_columns.append(DropColumn(key[1], schema=key[0], column_name=name))
    if (wanted.comment or None) != (have.comment or None):
        if wanted.comment:
            phases.table_comments.append(
                CreateTableComment(
                    key[1], schema=key[0], comment=wanted.comment, existing_comment=have.comment
                )
            )
        else:
            phases.table_comments.append(
                DropTableComment(key[1], schema=key[0], existing_comment=have.comment)
            )
    _compare_indexes(wanted, have, phases)
    _compare_uniques(wanted, have, phases, result)
    _compare_fks(wanted, have, phases, result)


def _compare_column(
    key: TableKey, wanted: ColumnState, have: ColumnState, sa_dialect: SADialect
) -> AlterColumn | None:
    """One ``AlterColumn`` with every change of the column (``existing_*`` from the state,
    so the downgrade can restore it)."""
    changes: dict[str, Any] = {}
    if type_text(wanted.type, sa_dialect) != type_text(have.type, sa_dialect):
        changes["type_"] = wanted.type
    if wanted.nullable != have.nullable:
        changes["nullable"] = wanted.nullable
    same_default = default_text(wanted.server_default, sa_dialect) == default_text(
        have.server_default, sa_dialect
    )
    if not same_default and wanted.computed is None and wanted.identity is None:
        changes["server_default"] = wanted.server_default
    if (wanted.comment or None) != (have.comment or None):
        changes["comment"] = wanted.comment
    if not changes:
        return None
    return AlterColumn(
        key[1],
        schema=key[0],
        column_name=wanted.name,
        nullable=changes.get("nullable", UNSET),
        type_=changes.get("type_", UNSET),
        server_default=changes.get("server_default", UNSET),
        comment=changes.get("comment", UNSET),
        existing_type=have.type,
        existing_nullable=have.nullable,
        existing_server_default=have.server_default,
        existing_comment=have.comment,
    )


def _compare_indexes(wanted: TableState, have: TableState, phases: _Phases) -> None:
    for index in _sorted_indexes(have):
        other = wanted.indexes.get(index.name)
        if other is None or not _same_index(index, other):
            phases.drop_indexes.append(
                DropIndex(have.name, schema=have.schema, index_name=index.name)
            )
    for index in _sorted_indexes(wanted):
        other = have.indexes.get(index.name)
        if other is None or not _same_index(index, other):
            phases.create_indexes.append(create_index_op(wanted, index))


def _same_index(a: IndexState, b: IndexState) -> bool:
    return a.columns == b.columns and bool(a.unique) == bool(b.unique)


def _unique_matches(a: UniqueState, b: UniqueState) -> bool:
    if a.columns != b.columns:
        return False
    return a.name is None or b.name is None or a.name == b.name


def _compare_uniques(
    wanted: TableState, have: TableState, phases: _Phases, result: Comparison
) -> None:
    unmatched = list(wanted.uniques)
    for unique in have.uniques:
        match = next((u for u in unmatched if _unique_matches(u, unique)), None)
        if match is not None:
            unmatched.remove(match)
        elif unique.name is None:
            result.notes.append(
                f"table {_qualified(have.key)}: unnamed unique constraint on "
                f"({', '.join(unique.columns)}) is not in the models; mig cannot drop an "
                "unnamed constraint: name it in the migration that creates it"
            )
        else:
            phases.drop_indexes.append(
                DropConstraint(
                    have.name, schema=have.schema, constraint_name=unique.name, type_="unique"
                )
            )
    phases.create_indexes.extend(create_unique_op(wanted, u) for u in unmatched)


def _fk_matches(a: ForeignKeyState, b: ForeignKeyState) -> bool:
    def shape(fk: ForeignKeyState) -> tuple[Any, ...]:
        return (
            fk.columns,
            fk.referent_schema,
            fk.referent_table,
            fk.referent_columns,
            (fk.ondelete or "").upper() or None,
            (fk.onupdate or "").upper() or None,
        )

    if shape(a) != shape(b):
        return False
    return a.name is None or b.name is None or a.name == b.name


def _compare_fks(wanted: TableState, have: TableState, phases: _Phases, result: Comparison) -> None:
    unmatched = list(wanted.foreign_keys)
    for fk in have.foreign_keys:
        match = next((f for f in unmatched if _fk_matches(f, fk)), None)
        if match is not None:
            unmatched.remove(match)
        else:
            _drop_fk(have, fk, phases, result)
    phases.create_fks.extend(create_fk_op(wanted, fk) for fk in unmatched)


def _drop_fk(table: TableState, fk: ForeignKeyState, phases: _Phases, result: Comparison) -> None:
    if fk.name is None:
        result.notes.append(
            f"table {_qualified(table.key)}: unnamed foreign key ({', '.join(fk.columns)}) -> "
            f"{fk.referent_table} is not in the models; mig cannot drop an unnamed constraint: "
            "name it in the migration that creates it"
        )
        return
    phases.drop_fks.append(
        DropConstraint(table.name, schema=table.schema, constraint_name=fk.name, type_="foreignkey")
    )


def _qualified(key: TableKey) -> str:
    return f"{key[0]}.{key[1]}" if key[0] else key[1]
