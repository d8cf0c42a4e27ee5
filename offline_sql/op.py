"""The ``op`` facade revision scripts call: Alembic's names and signatures.

``from offline_sql import op`` replaces ``from alembic import op``; nothing else in a script
changes. Each operation function is its builder (:mod:`offline_sql._op_builders`, which
turns Alembic's arguments into one dataclass of :mod:`offline_sql.operations`, mapping
Alembic's "not given" sentinels to ``UNSET``), bound here to hand the result to the
:class:`~offline_sql.recorder.Recorder` of the current run, found through a context
variable; ``batch_op`` binds the same builders. Called outside a run, every function raises
:class:`MigError`. Custom operations (``Operations.register_operation``) are found through
the module's ``__getattr__``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, NoReturn, ParamSpec

import sqlalchemy as sa
from sqlalchemy.schema import SchemaItem
from sqlalchemy.sql.elements import conv

from offline_sql import _op_builders as _build
from offline_sql.operations import Operation
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
    "create_exclude_constraint",
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
    "invoke",
    "is_offline_mode",
    "rename_table",
    "run_async",
]


def __dir__() -> list[str]:
    """Only the API: the names this module imports to implement it are not part of it
    (``offline_sql._op_builders`` holds the builders ``batch_op`` binds too)."""
    return sorted(__all__)


if not TYPE_CHECKING:  # a module __getattr__ would make mypy accept any attribute

    def __getattr__(name: str) -> Any:
        """``op.<name>`` of a custom operation (``Operations.register_operation``): its
        classmethod, given ``op`` as the ``operations`` argument, as in Alembic."""
        from offline_sql.custom_ops import registered

        source = registered(name)
        if source is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        return functools.partial(source, sys.modules[__name__])


_P = ParamSpec("_P")


def _recorded(builder: Callable[_P, Operation]) -> Callable[_P, None]:
    """``op.<name>``: the builder's signature (shown by ``help()`` and type checkers), the
    operation it builds recorded in the current run."""

    @functools.wraps(builder)
    def record(*args: _P.args, **kwargs: _P.kwargs) -> None:
        current_recorder(builder.__name__).record(builder(*args, **kwargs))

    record.__module__ = __name__
    return record


# ---- operations: each bound to its one builder (offline_sql/_op_builders.py) --------------

drop_table = _recorded(_build.drop_table)
rename_table = _recorded(_build.rename_table)
create_table_comment = _recorded(_build.create_table_comment)
drop_table_comment = _recorded(_build.drop_table_comment)
add_column = _recorded(_build.add_column)
drop_column = _recorded(_build.drop_column)
alter_column = _recorded(_build.alter_column)
create_index = _recorded(_build.create_index)
drop_index = _recorded(_build.drop_index)
create_primary_key = _recorded(_build.create_primary_key)
create_unique_constraint = _recorded(_build.create_unique_constraint)
create_foreign_key = _recorded(_build.create_foreign_key)
create_check_constraint = _recorded(_build.create_check_constraint)
create_exclude_constraint = _recorded(_build.create_exclude_constraint)
drop_constraint = _recorded(_build.drop_constraint)
execute = _recorded(_build.execute)
bulk_insert = _recorded(_build.bulk_insert)


def create_table(table_name: str, *columns: SchemaItem, **kw: Any) -> sa.Table:
    """Record a CREATE TABLE; returns a ``sa.Table`` (built from copies, so the items
    recorded stay as given) to pass to :func:`bulk_insert`, like Alembic."""
    operation = _build.create_table(table_name, *columns, **kw)
    recorder = current_recorder("create_table")
    table = build_table(
        table_name,
        columns,
        sa.MetaData(),
        schema=operation.schema,
        comment=operation.comment,
        kw=operation.kw,
    )
    # Read and rendered before the script can change the table, which is then its own.
    operation.built = Built.of(table, operation.kw)
    operation.built.prerendered = recorder.prerender_create_table(operation, table)
    recorder.record(operation)
    return table


# ---- helpers ------------------------------------------------------------------------------


def inline_literal(value: Any, type_: Any = None) -> sa.BindParameter[Any]:
    """A value rendered inline (as a literal) in offline SQL, like Alembic's."""
    return _build.inline_literal(value, type_)


def f(name: str) -> conv:
    """Mark ``name`` as final: naming conventions leave it as it is."""
    return conv(name)


def invoke(operation: Any) -> Any:
    """Run an operation object: one of :mod:`offline_sql.operations` is recorded as it is;
    a ``MigrateOperation`` goes to the implementation registered with
    ``Operations.implementation_for`` (Alembic's cookbook), which returns what it returns."""
    from offline_sql.custom_ops import invoke as run

    recorder = current_recorder("invoke")
    return run(sys.modules[__name__], operation, recorder.record)


def run_async(async_function: Callable[..., Any], *args: Any, **kw_args: Any) -> NoReturn:
    """Refused: mig has no async connection to give the function."""
    from offline_sql.custom_ops import refuse_run_async

    raise refuse_run_async(str(current_recorder("run_async").origin_here()))


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
