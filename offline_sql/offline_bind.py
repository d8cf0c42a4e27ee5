"""What ``op.get_bind()`` returns offline: writes become operations, reads are answered or refused.

Alembic's offline mode hands scripts a mock connection that prints whatever it is given.
mig does more, and never guesses:

* ``.dialect``, ``.engine`` (the bind itself), ``.engine.name``, ``.engine.dialect``: the
  target database's SQLAlchemy dialect.
* DDL through the bind (``postgresql.ENUM(...).create(bind, checkfirst=True)``,
  ``sa.Enum(name=...).drop(bind)``, ``metadata.create_all(bind)``, ``table.create(bind)``,
  ``index.drop(bind)``, ``bind.execute(CreateTable(t))``) runs SQLAlchemy's own DDL
  visitors, whose every statement becomes an operation: tables, indexes and constraints as
  the same operations ``op.create_table`` and friends record, anything else (enum types,
  sequences) as raw SQL compiled for the target, which the replay follows. ``checkfirst``
  is answered from the replayed schema (:mod:`offline_sql.bind_reflection`), not a query.
* ``bind.execute(statement)`` records the statement like ``op.execute``. Its result cannot
  be read: reading rows (``fetchall``, ``scalar``, iterating; ``bind.scalar(...)``) is a
  one-line :class:`~offline_sql.errors.OfflineReadError` naming the script line...
* ...except while the script is *replayed* below a range's start (already applied, nothing
  emitted): there a read is answered as if the tables were empty (no rows; an aggregate
  without GROUP BY gives one row, ``count`` 0 and the others NULL), with an
  :class:`~offline_sql.errors.OfflineReadWarning` naming the revision, so that
  ``mig upgrade R:head --sql`` works when a revision below R read data. The schema mig
  follows is then the one the script records on an empty database.
* ``sa.inspect(bind)``, ``MetaData.reflect(bind=...)``, ``Table(..., autoload_with=...)``:
  answered from the replayed schema (:mod:`offline_sql.bind_reflection`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import inspection
from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData
from sqlalchemy.sql import ddl as sa_ddl
from sqlalchemy.sql import functions as sa_functions

from offline_sql import _op_builders as build
from offline_sql.bind_reflection import StateDialect, state_inspector
from offline_sql.errors import OfflineReadError, OfflineReadWarning
from offline_sql.operations import CreateTable, DropTable, Execute
from offline_sql.schema_items import Built, build_table, copy_item

if TYPE_CHECKING:
    from offline_sql.operations import Operation
    from offline_sql.recorder import Recorder

_AGGREGATES = {"count", "sum", "min", "max", "avg", "array_agg", "string_agg", "group_concat"}


class OfflineBind:
    """``op.get_bind()`` offline (see the module docstring). Any other public attribute
    is an error naming the script line, since no database is there to answer."""

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder

    # ---- what the target is -------------------------------------------------------------

    @property
    def dialect(self) -> Any:
        return self._recorder.dialect.sa_dialect()

    @property
    def engine(self) -> OfflineBind:
        """The bind itself, as Alembic's mock connection (``.engine.name``, ``.engine.dialect``)."""
        return self

    @property
    def name(self) -> str:
        name: str = self.dialect.name
        return name

    def connect(self) -> OfflineBind:
        return self

    def __enter__(self) -> OfflineBind:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def close(self) -> None:
        return None

    def execution_options(self, **kw: Any) -> OfflineBind:
        return self

    def schema_for_object(self, obj: Any) -> str | None:
        schema: str | None = obj.schema
        return schema

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise self.read_error(f"op.get_bind().{name}")

    # ---- errors -------------------------------------------------------------------------

    def read_error(self, what: str) -> OfflineReadError:
        """The error for ``what`` (an attribute or call) that would read the database."""
        recorder = self._recorder
        return OfflineReadError(
            f"{recorder.path}:{recorder.script_line()} (revision {recorder.revision}): "
            f"{what} needs a database, and offline scripts cannot read the "
            "database; guard the code with `if not op.get_context().is_offline_mode():` "
            "or use op.execute for writes"
        )

    def state_dialect(self) -> StateDialect:
        """The dialect whose reflection reads the schema replayed up to this point."""
        recorder = self._recorder
        return StateDialect(self.dialect, recorder.schema_view, self.read_error)

    # ---- DDL ----------------------------------------------------------------------------

    def _run_ddl_visitor(self, visitorcallable: Any, element: Any, **kwargs: Any) -> None:
        """``element.create(bind)`` / ``.drop(bind)`` / ``metadata.create_all(bind)``."""
        _DDLCapture(self).run(visitorcallable, element, **kwargs)

    # ---- statements ---------------------------------------------------------------------

    def execute(
        self,
        statement: Any,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        execution_options: Any = None,
    ) -> Any:
        """Record the statement (DDL as operations, see :meth:`_run_ddl_visitor`); the
        result refuses to be read (answers empty while replayed below a range)."""
        if isinstance(statement, str):
            statement = sa.text(statement)
        if isinstance(statement, sa_ddl.ExecutableDDLElement):
            _DDLCapture(self).execute(statement)
            return _UnreadResult(self, statement)
        for sqltext, values in _statements(statement, parameters):
            self._recorder.record(Execute(sqltext=sqltext, parameters=values))
        return _UnreadResult(self, statement)

    def scalar(self, statement: Any, parameters: Any = None, **kw: Any) -> Any:
        return self.read(statement, "op.get_bind().scalar").scalar()

    def scalars(self, statement: Any, parameters: Any = None, **kw: Any) -> Any:
        return self.read(statement, "op.get_bind().scalars").scalars()

    def read(self, statement: Any, what: str) -> IteratorResult[Any]:
        """Rows of ``statement``: refused inside the generated range; below it (replay),
        the answer of empty tables, with a warning naming the revision."""
        recorder = self._recorder
        if not recorder.replaying:
            raise self.read_error(what)
        warnings.warn(
            f"{recorder.path}:{recorder.script_line()} (revision {recorder.revision}): "
            f"{what} read the database while the revision was replayed below the range's "
            "start (already applied, nothing emitted): answered as if its tables were "
            "empty, so mig follows the schema that script gives on an empty database",
            OfflineReadWarning,
            stacklevel=3,
        )
        keys, rows = empty_answer(statement)
        return IteratorResult(SimpleResultMetaData(keys), iter(rows))


def _statements(
    statement: Any, parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
) -> Iterator[tuple[Any, Mapping[str, Any] | None]]:
    """``(statement, parameters)`` of ``Execute`` operations: one per parameter set
    (``executemany``); values of an INSERT go into the statement."""
    if parameters is None:
        yield statement, None
        return
    sets = [parameters] if isinstance(parameters, Mapping) else list(parameters)
    for values in sets:
        if isinstance(statement, sa.TextClause):
            yield statement, dict(values)
        elif isinstance(statement, sa.Insert):
            yield statement.values(dict(values)), None
        else:
            yield statement.params(dict(values)), None


class _UnreadResult:
    """The result of ``bind.execute`` offline: nothing to read (see :meth:`OfflineBind.read`)."""

    rowcount = -1

    def __init__(self, bind: OfflineBind, statement: Any) -> None:
        self._bind = bind
        self._statement = statement
        self._answer: IteratorResult[Any] | None = None

    def close(self) -> None:
        return None

    def _rows(self, what: str) -> IteratorResult[Any]:
        if self._answer is None:
            self._answer = self._bind.read(self._statement, f"reading the result ({what})")
        return self._answer

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows("iteration"))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._rows(name), name)


def empty_answer(statement: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(keys, rows) of ``statement`` on empty tables: no rows, except an aggregate query
    without GROUP BY, which gives one row (``count`` 0, the others NULL)."""
    if isinstance(statement, sa.Select):
        columns = list(statement.selected_columns)
        keys = [str(getattr(c, "key", None) or f"column_{i}") for i, c in enumerate(columns)]
        names = [_function_name(c) for c in columns]
        if columns and not statement._group_by_clauses and all(n in _AGGREGATES for n in names):
            return keys, [tuple(0 if n == "count" else None for n in names)]
        return keys, []
    if isinstance(statement, sa.TextClause):
        return _text_answer(statement.text)
    return [], []


def _function_name(column: Any) -> str | None:
    element = getattr(column, "element", column)  # a Label
    if isinstance(element, sa_functions.FunctionElement):
        return str(getattr(element, "name", "")).lower()
    return None


def _text_answer(text: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    import sqlglot
    from sqlglot import exp

    try:
        parsed = sqlglot.parse_one(text)
    except Exception:  # any text sqlglot cannot read: no rows
        return [], []
    if not isinstance(parsed, exp.Select):
        return [], []
    projections = parsed.expressions
    keys = [p.alias_or_name or f"column_{i}" for i, p in enumerate(projections)]
    functions = [p.unalias() for p in projections]
    if (
        projections
        and parsed.args.get("group") is None
        and all(isinstance(f, exp.AggFunc) for f in functions)
    ):
        return keys, [tuple(0 if isinstance(f, exp.Count) else None for f in functions)]
    return keys, []


# ---- DDL through the bind ------------------------------------------------------------------


class _DDLCapture:
    """The connection SQLAlchemy's DDL visitors run on: ``checkfirst`` questions go to the
    replayed schema, each DDL statement becomes an operation recorded at the script line."""

    def __init__(self, bind: OfflineBind) -> None:
        self.bind = bind
        self.dialect = bind.state_dialect()
        self.engine = self
        self.created: set[tuple[str | None, str]] = set()
        """Tables created here: their comments travel with the create_table operation."""

    def schema_for_object(self, obj: Any) -> str | None:
        schema: str | None = obj.schema
        return schema

    def connect(self) -> _DDLCapture:
        return self

    def run(self, visitorcallable: Any, element: Any, **kwargs: Any) -> None:
        visitorcallable(dialect=self.dialect, connection=self, **kwargs).traverse_single(element)

    _run_ddl_visitor = run

    def execute(self, element: Any, *args: Any, **kw: Any) -> None:
        record = self.bind._recorder.record
        if isinstance(element, sa_ddl.CreateTable):
            self._create_table(element)
        elif isinstance(element, sa_ddl.DropTable):
            table = element.element
            record(DropTable(table.name, schema=table.schema))
        elif isinstance(element, sa_ddl.CreateIndex):
            record(_create_index(element.element))
        elif isinstance(element, sa_ddl.DropIndex):
            index = element.element
            owner = index.table
            record(
                build.drop_index(
                    str(index.name),
                    owner.name if owner is not None else None,
                    schema=owner.schema if owner is not None else None,
                )
            )
        elif isinstance(element, sa_ddl.AddConstraint) and (
            added := _add_constraint(element.element)
        ):
            record(added)
        elif isinstance(element, sa_ddl.DropConstraint) and _name(element.element):
            constraint = element.element
            record(
                build.drop_constraint(
                    str(_name(constraint)),
                    constraint.table.name,
                    _constraint_type(constraint),
                    schema=constraint.table.schema,
                )
            )
        elif isinstance(element, _COMMENTS) and _table_key(element.element) in self.created:
            return  # the create_table operation carries the table's and columns' comments
        else:
            sql = str(element.compile(dialect=self.bind.dialect)).strip()
            record(Execute(sqltext=sql))

    def _create_table(self, element: sa_ddl.CreateTable) -> None:
        """Recorded as ``op.create_table`` records it (the same operation, built once)."""
        recorder = self.bind._recorder
        table = element.element
        included = element.include_foreign_key_constraints
        items: list[Any] = [copy_item(column) for column in table.columns]
        for constraint in table.constraints:
            if isinstance(constraint, sa.ForeignKeyConstraint):
                if included is None or constraint in included:
                    items.append(constraint)
            elif isinstance(constraint, sa.PrimaryKeyConstraint):
                if constraint.name is not None or not constraint._implicit_generated:
                    items.append(constraint)
            elif not constraint._type_bound and not getattr(constraint, "_column_flag", False):
                items.append(constraint)
        # The table's indexes come next as CreateIndex statements of their own.
        for column in items:
            if isinstance(column, sa.Column) and column.index:
                column.index = column.unique = None
        self.created.add((table.schema, table.name))
        kw = dict(table.kwargs)
        operation = CreateTable(
            table.name, schema=table.schema, items=tuple(items), comment=table.comment, kw=kw
        )
        built = build_table(
            table.name, items, sa.MetaData(), schema=table.schema, comment=table.comment, kw=kw
        )
        operation.built = Built.of(built, kw)
        operation.built.prerendered = recorder.prerender_create_table(operation, built)
        recorder.record(operation)


_COMMENTS = (sa_ddl.SetTableComment, sa_ddl.SetColumnComment, sa_ddl.SetConstraintComment)


def _table_key(element: Any) -> tuple[str | None, str] | None:
    table = element if isinstance(element, sa.Table) else getattr(element, "table", None)
    return (table.schema, table.name) if table is not None else None


def _create_index(index: sa.Index) -> Operation:
    table = index.table
    assert table is not None
    columns = [e.name if isinstance(e, sa.Column) else e for e in index.expressions]
    return build.create_index(
        index.name,
        table.name,
        columns,
        schema=table.schema,
        unique=bool(index.unique),
        **index.dialect_kwargs,
    )


def _add_constraint(constraint: Any) -> Operation | None:
    """``ALTER TABLE ... ADD CONSTRAINT`` as its operation; None when mig has none for it
    (the statement is then recorded as SQL)."""
    table = constraint.table
    if isinstance(constraint, sa.ForeignKeyConstraint):
        referred = constraint.elements[0].column.table
        return build.create_foreign_key(
            _name(constraint),
            table.name,
            referred.name,
            list(constraint.column_keys),
            [element.column.name for element in constraint.elements],
            onupdate=constraint.onupdate,
            ondelete=constraint.ondelete,
            deferrable=constraint.deferrable,
            initially=constraint.initially,
            match=constraint.match,
            source_schema=table.schema,
            referent_schema=referred.schema,
        )
    if isinstance(constraint, sa.UniqueConstraint):
        names = [c.name for c in constraint.columns]
        return build.create_unique_constraint(
            _name(constraint), table.name, names, schema=table.schema
        )
    if isinstance(constraint, sa.CheckConstraint):
        return build.create_check_constraint(
            _name(constraint), table.name, constraint.sqltext, schema=table.schema
        )
    return None


def _name(constraint: Any) -> str | None:
    """The constraint's name, None for none (SQLAlchemy's "no name" marker included)."""
    name = constraint.name
    return name if isinstance(name, str) else None


def _constraint_type(constraint: Any) -> str | None:
    for kind, name in (
        (sa.ForeignKeyConstraint, "foreignkey"),
        (sa.UniqueConstraint, "unique"),
        (sa.CheckConstraint, "check"),
        (sa.PrimaryKeyConstraint, "primary"),
    ):
        if isinstance(constraint, kind):
            return name
    return None


@inspection._inspects(OfflineBind)
def _inspect_offline_bind(bind: OfflineBind) -> Any:
    """``sa.inspect(op.get_bind())``, ``MetaData.reflect(bind=...)`` and
    ``Table(..., autoload_with=...)`` offline: SQLAlchemy's Inspector answering from the
    schema mig replayed up to this point of the script."""
    return state_inspector(bind.state_dialect())
