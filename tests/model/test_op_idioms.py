"""What the Alembic idioms record: autocommit blocks, batch_op's bindings, invoke and
custom operations (the scripts' output is in tests/cli/test_alembic_op_idioms.py)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from recording import recorded

from offline_sql import _op_builders, op
from offline_sql.batch import BatchOperations
from offline_sql.custom_ops import RESERVED, MigrateOperation, Operations
from offline_sql.errors import ScriptError
from offline_sql.operations import (
    BatchAlterTable,
    CreateExcludeConstraint,
    CreateIndex,
    DropTable,
    Execute,
    Operation,
)


@pytest.fixture
def ops() -> Iterator[list[Operation]]:
    with recorded(path=__file__) as found:
        yield found


def test_autocommit_block_marks_what_is_recorded_inside(ops: list[Operation]) -> None:
    op.execute("SELECT 1")
    with op.get_context().autocommit_block():
        op.execute("SELECT 2")
        with op.get_context().autocommit_block():
            op.drop_table("a")
        with op.batch_alter_table("t") as batch_op:
            batch_op.drop_column("c")
    op.drop_table("b")
    assert [o.autocommit for o in ops] == [False, True, True, True, False]
    assert isinstance(ops[3], BatchAlterTable)


def test_batch_op_execute_is_recorded_when_called(ops: list[Operation]) -> None:
    with op.batch_alter_table("t") as batch_op:
        batch_op.drop_column("c")
        batch_op.execute("UPDATE t SET x = 1")
    assert [type(o) for o in ops] == [Execute, BatchAlterTable]


def test_batch_op_binds_the_builders_with_the_table_implied(ops: list[Operation]) -> None:
    with op.batch_alter_table("t", schema="s") as batch_op:
        batch_op.create_index("ix", ["a"], unique=True)
        batch_op.create_exclude_constraint("ex", ("a", "="), using="gist")
        batch_op.invoke(DropTable("x"))
    batch = ops[0]
    assert isinstance(batch, BatchAlterTable)
    index, exclude, drop = batch.operations
    assert isinstance(index, CreateIndex) and (index.schema, index.table_name) == ("s", "t")
    assert index.unique and index.origin is not None
    assert isinstance(exclude, CreateExcludeConstraint) and exclude.elements == (("a", "="),)
    assert exclude.kw == {"using": "gist"} and exclude.schema == "s"
    assert isinstance(drop, DropTable)
    assert str(inspect.signature(BatchOperations.create_index)) == (
        "(self, index_name: 'str | None', columns: 'Sequence[str | ClauseElement] | str', *, "
        "unique: 'bool' = False, if_not_exists: 'bool | None' = None, **kw: 'Any') -> None"
    )
    assert inspect.signature(op.create_index) == inspect.signature(_op_builders.create_index)


def test_batch_op_takes_the_first_argument_by_name_too(ops: list[Operation]) -> None:
    """As Alembic allows; type checkers see the first argument as positional-only
    (``Concatenate`` in ``batch.table_second`` cannot say otherwise)."""
    with op.batch_alter_table("t") as batch_op:
        batch_op.create_index(index_name="ix", columns=["a"])  # type: ignore[call-arg]
        batch_op.drop_index(index_name="ix")  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="missing argument 'constraint_name'"):
            batch_op.drop_constraint(type_="check")  # type: ignore[call-arg]
    index, drop = ops[0].operations  # type: ignore[attr-defined]
    assert (index.index_name, drop.index_name, drop.table_name) == ("ix", "ix", "t")


def test_op_invoke_records_mig_operations(ops: list[Operation]) -> None:
    assert op.invoke(DropTable("x")) is None
    assert [type(o) for o in ops] == [DropTable] and ops[0].origin is not None


def test_op_reserves_its_own_names() -> None:
    assert set(op.__all__) == RESERVED
    with pytest.raises(ScriptError, match=r"op\.execute is mig's own"):

        @Operations.register_operation("execute")
        class Shadow(MigrateOperation):
            @classmethod
            def execute(cls, operations: Any) -> None:
                pass


class Truncate(MigrateOperation):
    def __init__(self, table: str) -> None:
        self.table = table

    @classmethod
    def truncate_table(cls, operations: Any, table: str) -> Any:
        return operations.invoke(cls(table))

    @classmethod
    def batch_truncate_table(cls, operations: Any) -> Any:
        return operations.invoke(cls(operations.table_name))


Operations.register_operation("truncate_table")(Truncate)
BatchOperations.register_operation("truncate_table", "batch_truncate_table")(Truncate)


@Operations.implementation_for(Truncate)
def _truncate(operations: Any, operation: Truncate) -> str:
    operations.execute(f"DELETE FROM {operation.table}")
    return "done"


def test_custom_operations_run_their_implementation(ops: list[Operation]) -> None:
    assert op.truncate_table("a") == "done"  # type: ignore[attr-defined]
    assert op.invoke(Truncate("b")) == "done"
    with op.batch_alter_table("c") as batch_op:
        batch_op.truncate_table()  # type: ignore[attr-defined]
    assert [o.sqltext for o in ops if isinstance(o, Execute)] == [
        "DELETE FROM a",
        "DELETE FROM b",
        "DELETE FROM c",
    ]


def test_a_second_implementation_needs_replace() -> None:
    def other(operations: Any, operation: Truncate) -> None:
        pass

    with pytest.raises(ScriptError, match="replace=True"):
        Operations.implementation_for(Truncate)(other)
    Operations.implementation_for(Truncate, replace=True)(other)
    Operations.implementation_for(Truncate, replace=True)(_truncate)


def test_unknown_names_stay_attribute_errors(ops: list[Operation]) -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        op.nope  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(ScriptError, match="Alembic's operation objects are not run"):
        op.invoke(object())
