"""Every operation is wired everywhere its declaration says, and says why where it is not.

One test per operation in :data:`offline_sql.operations.ALL_OPERATIONS`; each failure names
the operation and the missing part, so adding an operation is: declare it in
``offline_sql/operation_specs.py``, then follow the failures (docs/architecture.md,
"Adding an operation").
"""

from __future__ import annotations

import inspect

import pytest

from offline_sql import op
from offline_sql import operations as ops
from offline_sql.autogen import pysource
from offline_sql.batch import BatchOperations
from offline_sql.dialect_api.base import Dialect
from offline_sql.dialect_api.registry import NAMES, get_dialect
from offline_sql.operation_specs import SPEC_BY_OPERATION, SPECS, OperationSpec
from offline_sql.replay import _apply


def _spec(cls: type[ops.Operation]) -> OperationSpec:
    spec = SPEC_BY_OPERATION.get(cls)
    assert spec is not None, f"{cls.__name__}: no OperationSpec in offline_sql/operation_specs.py"
    return spec


def test_one_declaration_per_operation() -> None:
    assert [spec.operation for spec in SPECS] == list(ops.ALL_OPERATIONS)


@pytest.mark.parametrize("cls", ops.ALL_OPERATIONS, ids=lambda c: c.__name__)
def test_replay(cls: type[ops.Operation]) -> None:
    _spec(cls)
    assert _apply.dispatch(cls) is not _apply.registry[object], (
        f"{cls.__name__}: no schema-state replay (register one in offline_sql/replay.py)"
    )


@pytest.mark.parametrize("cls", ops.ALL_OPERATIONS, ids=lambda c: c.__name__)
def test_op_facade(cls: type[ops.Operation]) -> None:
    spec = _spec(cls)
    builder = getattr(op, spec.facade, None)
    assert callable(builder) and spec.facade in op.__all__, (
        f"{cls.__name__}: offline_sql.op has no public {spec.facade}()"
    )


@pytest.mark.parametrize("cls", ops.ALL_OPERATIONS, ids=lambda c: c.__name__)
def test_batch(cls: type[ops.Operation]) -> None:
    spec = _spec(cls)
    if spec.batch is None:
        assert spec.no_batch, f"{cls.__name__}: no batch method and no reason"
        return
    assert inspect.isfunction(getattr(BatchOperations, spec.batch, None)), (
        f"{cls.__name__}: BatchOperations has no {spec.batch}() (offline_sql/batch.py)"
    )


@pytest.mark.parametrize("cls", ops.ALL_OPERATIONS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("dialect_name", NAMES)
def test_dialect_renderer(cls: type[ops.Operation], dialect_name: str) -> None:
    spec = _spec(cls)
    assert inspect.isfunction(getattr(Dialect, spec.renderer, None)), (
        f"{cls.__name__}: Dialect has no {spec.renderer}() (offline_sql/dialect_api/base.py)"
    )
    dialect = get_dialect(dialect_name)
    assert cls in dialect.renderers(), f"{cls.__name__}: {dialect_name} cannot render it"


@pytest.mark.parametrize("cls", ops.ALL_OPERATIONS, ids=lambda c: c.__name__)
def test_autogen_source(cls: type[ops.Operation]) -> None:
    spec = _spec(cls)
    has_source = pysource._render.dispatch(cls) is not pysource._render.registry[object]
    if spec.autogen:
        assert has_source, (
            f"{cls.__name__}: autogenerate cannot write it as op.{spec.facade}() "
            "(register a renderer in offline_sql/autogen/pysource.py)"
        )
    else:
        assert spec.no_autogen and not has_source, (
            f"{cls.__name__}: declared without an autogen form ({spec.no_autogen!r}) "
            "but pysource renders it: say autogen=True"
        )


@pytest.mark.parametrize("cls", ops.ALL_OPERATIONS, ids=lambda c: c.__name__)
def test_inverse(cls: type[ops.Operation]) -> None:
    spec = _spec(cls)
    has_inverse = pysource.inverse.dispatch(cls) is not pysource.inverse.registry[object]
    if spec.inverse:
        assert has_inverse, (
            f"{cls.__name__}: no inverse for autogenerate's downgrade "
            "(register one in offline_sql/autogen/pysource.py)"
        )
    else:
        assert spec.no_inverse and not has_inverse, (
            f"{cls.__name__}: declared without an inverse ({spec.no_inverse!r}) "
            "but pysource has one: say inverse=True"
        )


def test_a_spec_needs_a_reason_for_a_missing_part() -> None:
    with pytest.raises(ValueError, match="no_inverse"):
        OperationSpec(
            ops.Execute,
            "execute",
            "render_execute",
            no_batch="x",
            no_autogen="y",
            autogen=False,
            inverse=False,
        )
