"""``op.batch_alter_table``: the per-table operations of one block, kept together.

Inside ``with op.batch_alter_table("t") as batch_op:`` each call builds the same
operation as its ``op.*`` twin with the table filled in, stamped with its script line but
NOT recorded on its own: the block becomes one :class:`BatchAlterTable` so that SQLite can
rebuild the table once while other databases render the operations one by one.

Every method is bound to the one builder of ``offline_sql._op_builders`` its ``op.*`` twin
binds, in the form ``OperationSpec.batch`` declares: Alembic's batch signature is the
``op.*`` one without the table and its schema. ``batch_op.execute`` is recorded at once,
as Alembic runs it: before the block's operations, which wait for the end of the block.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, Concatenate, Literal, NoReturn, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.sql.elements import conv

from offline_sql import _op_builders as _build
from offline_sql.errors import ScriptError
from offline_sql.operations import BatchAlterTable, Operation
from offline_sql.recorder import MigrationContext, Recorder

_P = ParamSpec("_P")
_A = TypeVar("_A")
_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])
_SCHEMAS = ("schema", "source_schema")


def _schema_parameter(builder: Callable[..., Any]) -> str:
    found = [n for n in _SCHEMAS if n in inspect.signature(builder).parameters]
    assert len(found) == 1, builder
    return found[0]


def _signature(builder: Callable[..., Any], drop: set[str]) -> inspect.Signature:
    """The builder's signature without the table and schema, as ``help()`` shows it."""
    params = [p for n, p in inspect.signature(builder).parameters.items() if n not in drop]
    self = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return inspect.Signature([self, *params], return_annotation=None)


def _method(builder: Callable[..., Any], method: Callable[..., None], drop: set[str]) -> None:
    functools.update_wrapper(method, builder)
    method.__module__ = __name__
    method.__qualname__ = f"BatchOperations.{builder.__name__}"
    method.__signature__ = _signature(builder, drop)  # type: ignore[attr-defined]


def table_first(
    builder: Callable[Concatenate[str, _P], Operation],
) -> Callable[Concatenate[BatchOperations, _P], None]:
    """``batch_op.add_column(column, ...)`` for ``add_column(table_name, column, ...)``."""
    schema = _schema_parameter(builder)
    call: Any = builder

    def method(self: BatchOperations, /, *args: Any, **kwargs: Any) -> None:
        kwargs = self._arguments(builder.__name__, schema, kwargs)
        self._add(call(self.table_name, *args, **kwargs))

    _method(builder, method, {next(iter(inspect.signature(builder).parameters)), schema})
    return method


def table_second(
    builder: Callable[Concatenate[_A, str, _P], Operation],
) -> Callable[Concatenate[BatchOperations, _A, _P], None]:
    """``batch_op.create_index(name, columns, ...)`` for
    ``create_index(name, table_name, columns, ...)``."""
    schema = _schema_parameter(builder)
    first_name, table = list(inspect.signature(builder).parameters)[:2]
    call: Any = builder

    def method(self: BatchOperations, /, *args: Any, **kwargs: Any) -> None:
        kwargs = self._arguments(builder.__name__, schema, kwargs)
        if args:
            self._add(call(args[0], self.table_name, *args[1:], **kwargs))
        elif first_name in kwargs:  # batch_op.create_index(index_name=..., columns=...)
            self._add(call(kwargs.pop(first_name), self.table_name, **kwargs))
        else:
            raise TypeError(f"batch_op.{builder.__name__}() missing argument {first_name!r}")

    _method(builder, method, {table, schema})
    return method


def at_once(builder: Callable[_P, Operation]) -> Callable[Concatenate[BatchOperations, _P], None]:
    """``batch_op.execute(...)``: recorded when called, as Alembic runs it (before the
    block's operations, which wait for the end of the block)."""
    call: Any = builder

    def method(self: BatchOperations, /, *args: Any, **kwargs: Any) -> None:
        self.recorder.record(call(*args, **kwargs))

    _method(builder, method, set())
    return method


FORMS: dict[str, Callable[[Any], Callable[..., None]]] = {
    "table_first": table_first,
    "table_second": table_second,
    "at_once": at_once,
}
"""``OperationSpec.batch`` -> the function binding a builder in that form (for the test)."""


class BatchOperations:
    """The object a ``batch_alter_table`` block receives; Alembic's batch method names."""

    def __init__(self, recorder: Recorder, table_name: str, schema: str | None) -> None:
        self.recorder = recorder
        self.table_name = table_name
        self.schema = schema
        self.operations: list[Operation] = []

    def _add(self, operation: Operation) -> None:
        self.operations.append(self.recorder.stamp(operation))

    def _arguments(self, method: str, schema: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        """``kwargs`` with the block's schema; the script giving one itself is refused
        (the table and schema come from ``batch_alter_table``, as in Alembic)."""
        if schema in kwargs:
            raise ScriptError(
                f"{self.recorder.origin_here()}: batch_op.{method}() takes no {schema}=: "
                f"the block's batch_alter_table({self.table_name!r}, schema=...) gives it"
            )
        return {**kwargs, schema: self.schema}

    # ---- operations: each bound to its one builder (offline_sql/_op_builders.py) ------
    # (ignore[arg-type]: mypy cannot prove a builder's **kw never gets the table by name;
    # the signature it infers for the method is still the builder's, less the table.)

    add_column = table_first(_build.add_column)
    drop_column = table_first(_build.drop_column)  # type: ignore[arg-type]
    alter_column = table_first(_build.alter_column)  # type: ignore[arg-type]
    create_table_comment = table_first(_build.create_table_comment)
    drop_table_comment = table_first(_build.drop_table_comment)
    create_index = table_second(_build.create_index)  # type: ignore[arg-type]
    drop_index = table_second(_build.drop_index)  # type: ignore[arg-type]
    create_primary_key = table_second(_build.create_primary_key)
    create_unique_constraint = table_second(_build.create_unique_constraint)  # type: ignore[arg-type]
    create_foreign_key = table_second(_build.create_foreign_key)  # type: ignore[arg-type]
    create_check_constraint = table_second(_build.create_check_constraint)  # type: ignore[arg-type]
    create_exclude_constraint = table_second(_build.create_exclude_constraint)  # type: ignore[arg-type]
    drop_constraint = table_second(_build.drop_constraint)
    execute = at_once(_build.execute)

    # ---- the rest of Alembic's batch_op: the same as op's --------------------------------

    def f(self, name: str) -> conv:
        """As ``op.f``: ``name`` is final, naming conventions leave it as it is."""
        return conv(name)

    def inline_literal(self, value: Any, type_: Any = None) -> sa.BindParameter[Any]:
        """As ``op.inline_literal``."""
        return _build.inline_literal(value, type_)

    def get_context(self) -> MigrationContext:
        """As ``op.get_context()``."""
        return self.recorder.get_context()

    def get_bind(self) -> Any:
        """As ``op.get_bind()``."""
        return self.recorder.get_bind()

    def invoke(self, operation: Any) -> Any:
        """As ``op.invoke``; one of mig's own operations joins the block."""
        from offline_sql.custom_ops import invoke

        return invoke(self, operation, self._add)

    def run_async(self, async_function: Callable[..., Any], *args: Any, **kw_args: Any) -> NoReturn:
        """Refused, as ``op.run_async``."""
        from offline_sql.custom_ops import refuse_run_async

        raise refuse_run_async(str(self.recorder.origin_here()))

    @classmethod
    def register_operation(
        cls, name: str, sourcename: str | None = None
    ) -> Callable[[type[_T]], type[_T]]:
        """Make ``batch_op.<name>`` call ``op_cls.<sourcename or name>(batch_op, ...)``."""
        from offline_sql.custom_ops import register_batch_operation

        return register_batch_operation(cls, name, sourcename)

    @classmethod
    def implementation_for(cls, op_cls: type, replace: bool = False) -> Callable[[_F], _F]:
        """As ``Operations.implementation_for`` (one registry for both)."""
        from offline_sql.custom_ops import implementation_for

        return implementation_for(op_cls, replace)


def finish_batch(
    batch: BatchOperations,
    recreate: Literal["auto", "always", "never"],
    kw: Mapping[str, Any],
) -> BatchAlterTable:
    """The single operation a finished block records."""
    return BatchAlterTable(
        batch.table_name,
        schema=batch.schema,
        operations=tuple(batch.operations),
        recreate=recreate,
        kw=dict(kw),
    )
